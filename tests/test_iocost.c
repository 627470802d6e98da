/* test_iocost.c: the least-squares split of system-call time (iocost.h)
 * against calls whose cost this test makes up, so the answer is known: a
 * fixed cost per call plus a cost per byte, with and without noise; then the
 * split as bin/phase3's --csv row reports it. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iocost.h"
#include "kit_test.h"

/* Calls of 64 B .. 256 KiB and some that moved nothing, each costing exactly
 * `fixed` ns plus `per_byte` ns a byte, plus up to `noise` ns (a fixed
 * pseudo-random sequence, zero mean); the test's own totals on the side. */
static void feed(struct iocost *c, int calls, double fixed, double per_byte, int noise, uint64_t *bytes,
                 double *copy)
{
    unsigned seed = 12345;
    for (int i = 0; i < calls; i++) {
        size_t b = i % 7 == 0 ? 0 : (size_t)64 << (i % 13);
        int jitter = noise ? (int)(rand_r(&seed) % (2u * (unsigned)noise + 1)) - noise : 0;
        iocost_add(c, b, (uint64_t)llround(fixed + per_byte * (double)b) + (uint64_t)(int64_t)jitter);
        *bytes += b;
        *copy += per_byte * (double)b;
    }
}

START_TEST(test_exact_costs_split_exactly)
{
    struct iocost c = { 0 };
    uint64_t bytes = 0;
    double copy = 0;
    feed(&c, 10000, 1500, 0.25, 0, &bytes, &copy);
    ck_assert_uint_eq(c.calls, 10000);
    ck_assert_uint_eq(c.bytes, bytes);
    double got = iocost_copy_ns(&c);
    ck_assert_msg(fabs(got - copy) <= 1e-6 * copy, "copy %.1f ns, made %.1f ns", got, copy);
    /* the rest is the fixed cost, 1500 ns a call */
    ck_assert_double_eq_tol((double)c.ns - got, 1500.0 * 10000, 10000 * 0.5);
}
END_TEST

START_TEST(test_noise_averages_out)
{
    struct iocost c = { 0 };
    uint64_t bytes = 0;
    double copy = 0;
    feed(&c, 200000, 800, 0.1, 400, &bytes, &copy);
    double got = iocost_copy_ns(&c);
    ck_assert_msg(fabs(got - copy) <= 0.01 * copy, "copy %.1f ns, made %.1f ns (noise 400 ns a call)", got, copy);
}
END_TEST

/* Two channels merged give what adding every call to one gives. */
START_TEST(test_merge_equals_one_pass)
{
    struct iocost a = { 0 }, b = { 0 }, one = { 0 };
    uint64_t bytes = 0;
    double copy = 0;
    feed(&a, 2000, 900, 0.3, 100, &bytes, &copy);
    feed(&b, 5000, 2000, 0.5, 0, &bytes, &copy);     /* a second channel, other costs */
    feed(&one, 2000, 900, 0.3, 100, &bytes, &copy);
    feed(&one, 5000, 2000, 0.5, 0, &bytes, &copy);
    struct iocost two = a;
    iocost_merge(&two, &b);
    ck_assert_uint_eq(two.calls, one.calls);
    ck_assert_uint_eq(two.bytes, one.bytes);
    ck_assert_uint_eq(two.ns, one.ns);
    ck_assert_double_eq_tol(iocost_copy_ns(&two), iocost_copy_ns(&one), 1e-6 * iocost_copy_ns(&one));
    struct iocost empty = { 0 }, keep = a;
    iocost_merge(&keep, &empty);                        /* merging nothing changes nothing */
    ck_assert_double_eq(iocost_copy_ns(&keep), iocost_copy_ns(&a));
    iocost_merge(&empty, &a);                           /* into nothing: a copy */
    ck_assert_double_eq(iocost_copy_ns(&empty), iocost_copy_ns(&a));
}
END_TEST

/* No fit, no split: too few calls, all of one size, or a line that says a
 * byte or a call costs less than nothing. */
START_TEST(test_no_fit_says_so)
{
    struct iocost c = { 0 };
    ck_assert_double_eq(iocost_copy_ns(&c), -1);
    iocost_add(&c, 4096, 2000);
    ck_assert_double_eq(iocost_copy_ns(&c), -1);
    for (int i = 0; i < 100; i++)
        iocost_add(&c, 4096, 2000 + (uint64_t)i);
    ck_assert_double_eq(iocost_copy_ns(&c), -1);            /* one size: no slope */
    struct iocost neg = { 0 };
    for (int i = 0; i < 100; i++)
        iocost_add(&neg, (size_t)i * 100, 100000 - (uint64_t)i * 10);
    ck_assert_double_eq(iocost_copy_ns(&neg), -1);          /* bigger calls cheaper */
    struct iocost steep = { 0 };
    for (int i = 1; i < 100; i++)
        iocost_add(&steep, (size_t)i * 100, (uint64_t)i * 100 * 2 - 150);
    ck_assert_double_eq(iocost_copy_ns(&steep), -1);        /* a negative cost per call */
}
END_TEST

/* bin/phase3's channel cost is its copy plus its system calls, to the CSV's
 * rounding, each of them measured (not a zero) whenever the fit was made. */
START_TEST(test_phase3_csv_adds_up)
{
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 60, kit_bin("phase3"), "--workers", "2", "--messages", "100000", "--work",
                             "0", "--csv", "--quiet", NULL), 0);
    ck_assert_msg(r.status == 0, "phase3 exited %d: %s", r.status, r.err);
    char chan[64], copy[64], sys[64];
    kit_csv_cell(r.out, "ipc_channel_us", chan, sizeof chan);
    kit_csv_cell(r.out, "ipc_copy_us", copy, sizeof copy);
    kit_csv_cell(r.out, "ipc_syscall_us", sys, sizeof sys);
    ck_assert_msg(!*copy == !*sys, "half a split: copy '%s', system calls '%s'", copy, sys);
    if (*copy) {
        double c = strtod(chan, NULL), a = strtod(copy, NULL), b = strtod(sys, NULL);
        ck_assert_msg(a > 0 && b > 0, "copy %s µs, system calls %s µs: one measured as free", copy, sys);
        ck_assert_msg(fabs(a + b - c) <= 0.00015, "copy %s + system calls %s != channel %s", copy, sys, chan);
    }
    kit_run_free(&r);
}
END_TEST

static Suite *iocost_suite(void)
{
    Suite *s = suite_create("iocost");
    TCase *tc = kit_tcase(s, "fit", 10);
    tcase_add_test(tc, test_exact_costs_split_exactly);
    tcase_add_test(tc, test_noise_averages_out);
    tcase_add_test(tc, test_merge_equals_one_pass);
    tcase_add_test(tc, test_no_fit_says_so);
    tcase_add_test(kit_tcase(s, "phase3", 60), test_phase3_csv_adds_up);
    return s;
}

KIT_TEST_MAIN(iocost_suite)
