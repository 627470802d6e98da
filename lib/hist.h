/* hist.h: a latency histogram with fixed memory (log-linear buckets, as in
 * HdrHistogram). Values below 128 are counted exactly; above, each power of two
 * [2^e, 2^(e+1)) is cut into HIST_SUB equal sub-buckets, so a bucket is at most
 * 1/HIST_SUB (1.6 %) of its lower bound wide. A quantile reports the middle of its
 * bucket, within 1/(2*HIST_SUB) (0.8 %) of the true sample, for any value up to
 * 2^64-1, and percentiles over millions of samples cost 30 KiB. */
#ifndef KIT_HIST_H
#define KIT_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6                         /* 64 sub-buckets per power of two */
#define HIST_SUB      (1u << HIST_SUB_BITS)
#define HIST_BUCKETS  ((64 - HIST_SUB_BITS + 1) * HIST_SUB)   /* 3776: covers all of uint64_t */

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

/* The value at quantile q in [0, 1] (0.5 = p50): the sample of rank ceil(q*count)
 * (rank 1 = smallest), reported as the middle of its bucket, so within 0.8 % of
 * it, and never outside [min, max]. 0 when empty; q <= 0 returns min and q >= 1
 * returns max, exactly. */
uint64_t hist_quantile(const struct hist *h, double q);

/* The mean of the samples (exact up to long double rounding); 0 when empty. */
double hist_mean(const struct hist *h);

#endif
