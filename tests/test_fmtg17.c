/* test_fmtg17.c: lib/fmtg17.h against glibc's snprintf("%.17g"), byte for byte:
 * a table of edge cases, every power of ten and of two with its neighbours, every
 * double the kit's built-in source and fsm produce on a seeded stream (and the
 * dump rows made of them), and millions of random doubles. The fast path must
 * carry the large majority of the stream's values. */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "fmtg17.h"
#include "fsm.h"
#include "kit_test.h"
#include "registry.h"
#include "source.h"

/* fmtg17_write(x) must be glibc's %.17g. Returns 1 if the fast path answered. */
static int check(double x)
{
    char want[64], got[FMTG17_MAX + 8];
    int wn = snprintf(want, sizeof want, "%.17g", x);
    int gn = fmtg17_write(got, x);
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    ck_assert_msg(gn == wn && strcmp(got, want) == 0,
                  "%%.17g of 0x%016" PRIx64 ": glibc '%s', fmtg17 '%s' (%d)", bits, want, got, gn);
    int fn = fmtg17_fast(got, x);
    if (fn >= 0)
        ck_assert_msg(fn == wn && strcmp(got, want) == 0, "fast path of 0x%016" PRIx64 ": '%s' not '%s'",
                      bits, got, want);
    return fn >= 0;
}

static void check_around(double x)     /* x and its two neighbours, both signs */
{
    double v[3] = { nextafter(x, -INFINITY), x, nextafter(x, INFINITY) };
    for (int i = 0; i < 3; i++) {
        check(v[i]);
        check(-v[i]);
    }
}

START_TEST(edges)
{
    static const double table[] = {
        0.0, -0.0, 1, -1, 0.1, -0.1, 0.5, 2, 10, 1e16, 1e17, 9007199254740993.0,
        9007199254740992.0, 1e-5, 1e-4, 99999999999999999.0, 9999999999999998.0,
        99999999999999984.0, 0.3, 1.0 / 3, 2.0 / 3, 123456789012345678.0, 1e15, 1e-11, 1e43,
        1e-12, 1e44, 0.0001, 0.00001, 0.000123, 1.5, 2.5, 100, 1000, 12.34, 150.0, 0.01,
        DBL_MIN, -DBL_MIN, DBL_MAX, -DBL_MAX, DBL_TRUE_MIN, 4.9406564584124654e-324, 2.2250738585072009e-308,
        DBL_EPSILON, 1e-300, 1e300, 1e22, 1e23, 5e-324, 1.7976931348623157e308, 6.02214076e23,
        9.9999999999999995e-5, 9.9999999999999995e16, 0.29999999999999999, 5e-5, 123456.5, 0.125,
    };
    for (size_t i = 0; i < KIT_NELEM(table); i++)
        check_around(table[i]);
    check(INFINITY);
    check(-INFINITY);
    check(NAN);
}
END_TEST

/* Every power of ten and of two in range, and the 17-nines and x.5 values
 * next to each decade, with neighbours: the exponent and rounding boundaries. */
START_TEST(boundaries)
{
    char s[64];
    for (int k = -330; k <= 310; k++) {
        const char *forms[] = { "1e%d", "9.9999999999999999e%d", "9.99999999999999995e%d",
                                "5e%d", "1.00000000000000005e%d", "2.5e%d", "1.5e%d" };
        for (size_t f = 0; f < KIT_NELEM(forms); f++) {
            snprintf(s, sizeof s, forms[f], k);
            check_around(strtod(s, NULL));
        }
    }
    for (int k = -1075; k <= 1024; k++)
        check_around(ldexp(1.0, k));
    for (int d = 1; d < 1 << 8; d++)      /* subnormals */
        check_around(DBL_TRUE_MIN * d);
}
END_TEST

/* dump_row(ks) against the row glibc's printf makes (dump_row as it was), and
 * into every too-small buffer: -1, ENOBUFS and snprintf's truncated prefix. */
static void check_row(const struct keystate *ks)
{
    char got[DUMP_ROW_MAX], want[DUMP_ROW_MAX], mm[3][64] = { "", "", "" };
    double v[3] = { ks->min, ks->max, ks->last };
    if (ks->data_count)
        for (int i = 0; i < 3; i++)
            snprintf(mm[i], sizeof mm[i], "%.17g", v[i]);
    int n = snprintf(want, sizeof want, "%s,%s,%" PRIu64 ",%" PRIu64 ",%.17g,%s,%s,%s,%.17g,%" PRIu64,
                     ks->key, state_name(ks->state), ks->messages, ks->data_count, ks->sum, mm[0],
                     mm[1], mm[2], ks->feature_sum, ks->invalid);
    ck_assert_int_eq(dump_row(ks, got, sizeof got), n);
    ck_assert_str_eq(got, want);
    size_t len = (size_t)ks->messages % (size_t)(n + 1);   /* one short buffer a row */
    char cut[DUMP_ROW_MAX];
    snprintf(cut, len ? len : 1, "%s", want);
    memset(got, 'x', sizeof got);
    errno = 0;
    ck_assert_int_eq(dump_row(ks, got, len), -1);
    ck_assert_int_eq(errno, ENOBUFS);
    if (len)
        ck_assert_str_eq(got, cut);
    else
        ck_assert_int_eq(got[0], 'x');
}

/* The doubles of a seeded run through the built-in source and fsm_apply: each
 * key's sum, min, max, last and feature_sum after every message, and its dump
 * row against the row glibc formats. Counts the fast path's share. */
START_TEST(stream)
{
    struct source_opts o = { .messages = 100000, .keys = 500, .dist = DIST_ZIPF, .zipf_s = 1.1,
                             .seed = 20261203, .payload = 0 };
    struct source *src = source_new(&o);
    struct registry *reg = registry_new();
    ck_assert(src && reg);
    struct msg m;
    uint64_t values = 0, fast = 0;
    while (source_next(src, &m) == 1) {
        struct keystate *ks = registry_get(reg, m.key, m.key_len);
        ck_assert(ks);
        fsm_apply_msg(ks, &m);
        double v[5] = { ks->sum, ks->feature_sum, ks->min, ks->max, ks->last };
        int nv = ks->data_count ? 5 : 2;
        for (int i = 0; i < nv; i++)
            fast += (uint64_t)check(v[i]);
        values += (uint64_t)nv;
        if (m.seq % 16 == 0)
            check_row(ks);
    }
    size_t nrows;
    struct keystate **rows = registry_sorted(reg, &nrows), fresh;
    for (size_t i = 0; i < nrows; i++)
        check_row(rows[i]);
    free(rows);
    fsm_init(&fresh, "k-no-data", 9);
    check_row(&fresh);
    fprintf(stderr, "test_fmtg17: stream: %" PRIu64 " of %" PRIu64 " values (%.2f %%) on the fast path\n",
            fast, values, 100.0 * (double)fast / (double)values);
    ck_assert_msg(fast * 100 >= values * 95, "only %" PRIu64 " of %" PRIu64 " values took the fast path",
                  fast, values);
    registry_free(reg);
    source_free(src);
}
END_TEST

/* Random bit patterns over every finite exponent, and random decimal-looking
 * values (k/100, k/1000, k * 10^j) like the ones the kit's data carry. */
START_TEST(random_doubles)
{
    struct rng r;
    rng_seed(&r, 16);
    uint64_t fast = 0, n = 0;
    for (int i = 0; i < 1000000; i++) {
        uint64_t bits = rng_next(&r);
        double x;
        memcpy(&x, &bits, sizeof x);
        if (isfinite(x)) {
            fast += (uint64_t)check(x);
            n++;
        }
    }
    fprintf(stderr, "test_fmtg17: random bits: %" PRIu64 " of %" PRIu64 " on the fast path\n", fast, n);
    static const double scale[] = { 100, 1000, 1e6, 7, 3 };
    for (int i = 0; i < 1000000; i++) {
        double k = (double)rng_below(&r, 2000000001) - 1e9;
        if (i % 2)
            check(k / scale[rng_below(&r, KIT_NELEM(scale))]);
        else
            check(k * pow(10, (double)rng_below(&r, 61) - 40));
    }
}
END_TEST

static Suite *fmtg17_suite(void)
{
    const struct kit_case cases[] = {
        { "edges", edges, 10 },
        { "boundaries", boundaries, 20 },
        { "stream", stream, 60 },
        { "random_doubles", random_doubles, 120 },
    };
    return kit_suite("fmtg17", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(fmtg17_suite)
