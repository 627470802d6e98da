/* test_hist.c: the latency histogram reports quantiles within its documented
 * error (exact below 128, within 1/128 above), exact extremes, and merges. */
#include <stdlib.h>

#include "hist.h"
#include "kit_test.h"
#include "source.h"

static struct hist *hist_new(void)
{
    struct hist *h = malloc(sizeof *h);
    ck_assert_ptr_nonnull(h);
    hist_init(h);
    return h;
}

static void assert_near(uint64_t got, uint64_t want, double rel, const char *what)
{
    double err = got > want ? (double)(got - want) : (double)(want - got);
    ck_assert_msg(err <= rel * (double)want, "%s: expected %llu within %.2f%%, got %llu",
                  what, (unsigned long long)want, rel * 100, (unsigned long long)got);
}

START_TEST(test_known_data)
{
    struct hist *h = hist_new();
    for (uint64_t v = 1; v <= 1000; v++)
        hist_add(h, v);
    ck_assert_uint_eq(h->count, 1000);
    assert_near(hist_quantile(h, 0.5), 500, 1.0 / 64, "p50 of 1..1000");
    assert_near(hist_quantile(h, 0.99), 990, 1.0 / 64, "p99 of 1..1000");
    assert_near(hist_quantile(h, 0.9), 900, 1.0 / 64, "p90 of 1..1000");
    ck_assert_uint_eq(hist_quantile(h, 1.0), 1000);
    ck_assert_uint_eq(hist_quantile(h, 0.0), 1);
    ck_assert_uint_eq(h->min, 1);
    ck_assert_uint_eq(h->max, 1000);
    ck_assert_double_eq_tol(hist_mean(h), 500.5, 1e-9);
    uint64_t prev = 0;                  /* quantiles never decrease with q */
    for (int i = 0; i <= 1000; i++) {
        uint64_t q = hist_quantile(h, i / 1000.0);
        ck_assert_msg(q >= prev, "quantile(%g) = %llu < quantile below it %llu", i / 1000.0,
                      (unsigned long long)q, (unsigned long long)prev);
        prev = q;
    }
    free(h);
}
END_TEST

START_TEST(test_exact_small)
{
    struct hist *h = hist_new();
    for (uint64_t v = 0; v < 128; v++)
        hist_add(h, v);
    for (uint64_t v = 0; v < 128; v++)  /* the sample of rank v+1 is v, exactly */
        ck_assert_uint_eq(hist_quantile(h, (double)(v + 1) / 128), v);
    free(h);
}
END_TEST

START_TEST(test_error_bound)
{
    /* For values across every magnitude, the middle sample of {0, v, max} is
     * reported within 1/128 of v: the documented bound. */
    struct rng r;
    rng_seed(&r, 42);
    for (int i = 0; i < 20000; i++) {
        unsigned bits = 1 + (unsigned)rng_below(&r, 63);
        uint64_t v = rng_next(&r) >> (64 - bits);
        struct hist *h = hist_new();
        hist_add(h, 0);
        hist_add(h, v);
        hist_add(h, UINT64_MAX);
        assert_near(hist_quantile(h, 0.5), v, 1.0 / 128, "middle of {0, v, max}");
        free(h);
    }
}
END_TEST

START_TEST(test_merge)
{
    struct hist *a = hist_new(), *b = hist_new(), *all = hist_new();
    struct rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < 50000; i++) {
        uint64_t v = rng_below(&r, 10000000);
        hist_add(i % 3 ? a : b, v);
        hist_add(all, v);
    }
    hist_merge(a, b);
    ck_assert_uint_eq(a->count, all->count);
    ck_assert_uint_eq(a->min, all->min);
    ck_assert_uint_eq(a->max, all->max);
    ck_assert_mem_eq(a->bucket, all->bucket, sizeof a->bucket);
    ck_assert_double_eq_tol(hist_mean(a), hist_mean(all), 1e-6);
    for (int i = 0; i <= 100; i++)
        ck_assert_uint_eq(hist_quantile(a, i / 100.0), hist_quantile(all, i / 100.0));
    struct hist *empty = hist_new();    /* merging an empty histogram changes nothing */
    hist_merge(a, empty);
    ck_assert_uint_eq(a->min, all->min);
    ck_assert_uint_eq(a->count, all->count);
    free(a), free(b), free(all), free(empty);
}
END_TEST

START_TEST(test_empty)
{
    struct hist *h = hist_new();
    ck_assert_uint_eq(h->count, 0);
    ck_assert_uint_eq(h->min, UINT64_MAX);
    ck_assert_uint_eq(hist_quantile(h, 0.0), 0);
    ck_assert_uint_eq(hist_quantile(h, 0.5), 0);
    ck_assert_uint_eq(hist_quantile(h, 1.0), 0);
    ck_assert_double_eq(hist_mean(h), 0.0);
    free(h);
}
END_TEST

START_TEST(test_huge_values)
{
    struct hist *h = hist_new();
    hist_add(h, UINT64_MAX);
    hist_add(h, UINT64_MAX - 1);
    hist_add(h, (uint64_t)1 << 63);
    ck_assert_uint_eq(hist_quantile(h, 1.0), UINT64_MAX);
    ck_assert_uint_eq(hist_quantile(h, 0.0), (uint64_t)1 << 63);
    uint64_t mid = hist_quantile(h, 0.5);
    ck_assert_msg(mid >= (uint64_t)1 << 63, "p50 %llu below min", (unsigned long long)mid);
    assert_near(mid, UINT64_MAX - 1, 1.0 / 128, "p50 of huge values");
    ck_assert_double_eq_tol(hist_mean(h), 1.5372286728091293e19, 1e5);   /* (2^65 - 3 + 2^63) / 3 */
    /* One sample: every quantile is that sample. */
    struct hist *one = hist_new();
    hist_add(one, 123456789);
    for (int i = 0; i <= 10; i++)
        ck_assert_uint_eq(hist_quantile(one, i / 10.0), 123456789);
    free(h);
    free(one);
}
END_TEST

static Suite *hist_suite(void)
{
    const struct kit_case cases[] = {
        { "known_data", test_known_data, 10 },
        { "exact_small", test_exact_small, 10 },
        { "error_bound", test_error_bound, 30 },
        { "merge", test_merge, 10 },
        { "empty", test_empty, 10 },
        { "huge_values", test_huge_values, 10 },
    };
    return kit_suite("hist", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(hist_suite)
