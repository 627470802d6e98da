/* hist.c: the log-linear latency histogram (see hist.h).
 *
 * Bucket index of v: below 2*HIST_SUB the value itself (exact). Above, with
 * e = floor(log2 v) >= HIST_SUB_BITS+1, the top HIST_SUB_BITS bits under the
 * leading one pick the sub-bucket: index = (e - HIST_SUB_BITS) * HIST_SUB + sub.
 * (For e = HIST_SUB_BITS that formula also gives v itself, so the exact range and
 * the log range join without a gap.) Bucket width is 2^(e - HIST_SUB_BITS), a
 * fixed fraction of the value: that is why a few KiB cover 1 ns to 584 years. */
#include "hist.h"

#include <math.h>
#include <string.h>

static unsigned hist_index(uint64_t v)
{
    if (v < HIST_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);          /* floor(log2 v) >= HIST_SUB_BITS */
    unsigned sub = (unsigned)(v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1);
    return (e - HIST_SUB_BITS + 1) * HIST_SUB + sub;
}

/* Smallest value that falls into bucket i, and the bucket's width. */
static void hist_bounds(unsigned i, uint64_t *lo, uint64_t *width)
{
    if (i < 2 * HIST_SUB) {
        *lo = i;
        *width = 1;
        return;
    }
    unsigned e = i / HIST_SUB + HIST_SUB_BITS - 1;
    unsigned sub = i % HIST_SUB;
    *width = (uint64_t)1 << (e - HIST_SUB_BITS);
    *lo = ((uint64_t)1 << e) + (uint64_t)sub * *width;
}

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void hist_add(struct hist *h, uint64_t v)
{
    h->bucket[hist_index(v)]++;
    h->count++;
    h->sum += (long double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        dst->bucket[i] += src->bucket[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q > 0))               /* also catches NaN */
        return h->min;
    if (q >= 1)
        return h->max;
    long double r = ceill((long double)q * (long double)h->count);
    uint64_t rank = r < 1 ? 1 : r > (long double)h->count ? h->count : (uint64_t)r;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen < rank)
            continue;
        uint64_t lo, width;
        hist_bounds(i, &lo, &width);
        uint64_t mid = lo + (width - 1) / 2;
        return mid < h->min ? h->min : mid > h->max ? h->max : mid;
    }
    return h->max;              /* unreachable while the buckets sum to count */
}

double hist_mean(const struct hist *h)
{
    return h->count ? (double)(h->sum / (long double)h->count) : 0.0;
}
