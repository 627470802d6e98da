/* hist.h: a latency histogram with fixed memory (log-linear buckets, as in
 * HdrHistogram): any value in ns up to 2^63 is counted with a relative error
 * below 1/HIST_SUB (1.6 %), so percentiles over millions of samples cost 16 KiB. */
#ifndef KIT_HIST_H
#define KIT_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6                         /* 64 sub-buckets per power of two */
#define HIST_SUB      (1u << HIST_SUB_BITS)
#define HIST_BUCKETS  ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
    uint64_t count;             /* samples added */
    uint64_t min, max;          /* exact extremes; min = UINT64_MAX while empty */
    long double sum;            /* for the mean */
    uint64_t bucket[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t v);

/* Add every sample of src to dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The value at quantile q in [0, 1] (0.5 = p50), to within the bucket error and
 * never outside [min, max]; 0 when empty. q = 1 returns max exactly. */
uint64_t hist_quantile(const struct hist *h, double q);

double hist_mean(const struct hist *h);

#endif
