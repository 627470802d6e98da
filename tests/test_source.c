/* test_source.c: the built-in source. Same seed, same bytes; the key
 * distributions match their theory within a statistical bound; the op mix
 * makes every (op, state) pair of SPEC §2 happen. The statistical tests use a
 * fixed seed, so they are deterministic: a bound of 5 sigma that passes today
 * passes on every run, and a broken sampler misses it by far more. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"
#include "kit_test.h"
#include "registry.h"
#include "source.h"

/* FNV-1a over everything a consumer of the source can see of one message:
 * its --emit line, its seq and its payload bytes. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t stream_digest(const struct source_opts *o, int with_payload)
{
    struct source *s = source_new(o);
    ck_assert_msg(s != NULL, "source_new: %s", strerror(errno));
    uint64_t h = 0xcbf29ce484222325ULL;
    struct msg m;
    char line[128];
    while (source_next(s, &m)) {
        int n = msg_format(&m, line, sizeof line);
        ck_assert_int_gt(n, 0);
        h = fnv(h, line, (size_t)n);
        h = fnv(h, &m.seq, sizeof m.seq);
        if (with_payload)
            h = fnv(h, m.payload, m.payload_len);
    }
    source_free(s);
    return h;
}

static struct source_opts opts(uint64_t messages, uint32_t keys, enum dist d, double zs, uint64_t seed)
{
    return (struct source_opts){ .messages = messages, .keys = keys, .dist = d, .zipf_s = zs,
                                 .seed = seed, .payload = 0 };
}

START_TEST(test_same_seed_same_bytes)
{
    for (int d = 0; d < 2; d++) {
        struct source_opts o = opts(20000, 100, d ? DIST_ZIPF : DIST_UNIFORM, 1.1, 42);
        o.payload = 40;
        uint64_t a = stream_digest(&o, 1), b = stream_digest(&o, 1);
        ck_assert_msg(a == b, "%s: two sources with seed 42 differ (%016llx vs %016llx)",
                      dist_name(o.dist), (unsigned long long)a, (unsigned long long)b);
        o.seed = 43;
        uint64_t c = stream_digest(&o, 1);
        ck_assert_msg(a != c, "%s: seeds 42 and 43 gave the same stream", dist_name(o.dist));
    }
}
END_TEST

/* The stream of seed 1 as this kit first made it. If this fails on another
 * machine, the stream is no longer "the same on every machine" (SPEC §1):
 * look at libm's pow() (the Zipf table) before anything else. */
#define GOLDEN_UNIFORM 0x898b606f765372beULL
#define GOLDEN_ZIPF 0x503ba37bdd90aa1cULL
START_TEST(test_golden_stream)
{
    struct source_opts u = opts(10000, 100, DIST_UNIFORM, 1.1, 1);
    struct source_opts z = opts(10000, 100, DIST_ZIPF, 1.1, 1);
    uint64_t hu = stream_digest(&u, 0), hz = stream_digest(&z, 0);
    ck_assert_msg(hu == GOLDEN_UNIFORM, "uniform seed 1: expected digest %016llx, got %016llx",
                  (unsigned long long)GOLDEN_UNIFORM, (unsigned long long)hu);
    ck_assert_msg(hz == GOLDEN_ZIPF, "zipf s=1.1 seed 1: expected digest %016llx, got %016llx",
                  (unsigned long long)GOLDEN_ZIPF, (unsigned long long)hz);
}
END_TEST

/* --payload is opaque: it must not change the key/op/value stream. */
START_TEST(test_payload_does_not_change_stream)
{
    struct source_opts o = opts(5000, 50, DIST_ZIPF, 0.9, 7);
    uint64_t without = stream_digest(&o, 0);
    o.payload = 1000;
    ck_assert_msg(stream_digest(&o, 0) == without, "--payload 1000 changed the emitted stream");
}
END_TEST

START_TEST(test_payload_deterministic)
{
    struct source_opts o = opts(200, 10, DIST_UNIFORM, 1.1, 5);
    o.payload = 3;              /* shorter than the 8-byte per-message head */
    struct source *a = source_new(&o), *b = source_new(&o);
    struct msg ma, mb;
    unsigned differs = 0;
    uint8_t prev[3] = { 0 };
    while (source_next(a, &ma)) {
        ck_assert_int_eq(source_next(b, &mb), 1);
        ck_assert_uint_eq(ma.payload_len, 3);
        ck_assert(ma.payload != NULL);
        ck_assert_msg(memcmp(ma.payload, mb.payload, 3) == 0, "payload of message %llu differs",
                      (unsigned long long)ma.seq);
        differs += memcmp(prev, ma.payload, 3) != 0;
        memcpy(prev, ma.payload, 3);
    }
    ck_assert_msg(differs > 190, "expected payloads to change from message to message (%u of 200)",
                  differs);
    source_free(a);
    source_free(b);

    o.payload = 0;
    struct source *s = source_new(&o);
    ck_assert_int_eq(source_next(s, &ma), 1);
    ck_assert_uint_eq(ma.payload_len, 0);
    source_free(s);
}
END_TEST

START_TEST(test_keys_in_range)
{
    static const uint32_t ks[] = { 1, 7, 100, 10000, 10001, 123456 };
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        for (int d = 0; d < 2; d++) {
            struct source_opts o = opts(20000, ks[i], d ? DIST_ZIPF : DIST_UNIFORM, 0.7, 3);
            struct source *s = source_new(&o);
            struct msg m;
            unsigned width = source_key_width(ks[i]);
            while (source_next(s, &m)) {
                ck_assert_msg(m.key_len == width + 1 && m.key[0] == 'k',
                              "keys=%u: key '%s' is not 'k' + %u digits", ks[i], m.key, width);
                char *end;
                unsigned long r = strtoul(m.key + 1, &end, 10);
                ck_assert_msg(*end == '\0' && r < ks[i], "keys=%u: key '%s' out of range", ks[i], m.key);
                ck_assert(key_valid(m.key, m.key_len));
            }
            source_free(s);
        }
    }
}
END_TEST

START_TEST(test_key_names)
{
    char buf[KEY_MAX + 1];
    ck_assert_uint_eq(source_key_width(1), 4);
    ck_assert_uint_eq(source_key_width(10000), 4);
    ck_assert_uint_eq(source_key_width(10001), 5);
    ck_assert_uint_eq(source_key_width(100000), 5);
    ck_assert_uint_eq(source_key_width(UINT32_MAX), 10);
    source_key_name(7, buf);
    ck_assert_str_eq(buf, "k0007");
    source_key_name(9999, buf);
    ck_assert_str_eq(buf, "k9999");
    source_key_name_of(20000, 7, buf);
    ck_assert_str_eq(buf, "k00007");
    source_key_name_of(20000, 19999, buf);
    ck_assert_str_eq(buf, "k19999");
    source_key_name_of(UINT32_MAX, UINT32_MAX - 1, buf);
    ck_assert_str_eq(buf, "k4294967294");
    /* Zero-padding makes bytewise order numeric order within one source. */
    char a[KEY_MAX + 1], b[KEY_MAX + 1];
    source_key_name_of(20000, 9, a);
    source_key_name_of(20000, 10000, b);
    ck_assert_msg(strcmp(a, b) < 0, "expected '%s' < '%s' bytewise", a, b);
}
END_TEST

/* Zipf: the counts of rank 1 and rank 2 in 200 000 draws against
 * p_r = r^-s / H(K, s), within 5 sigma of the binomial. */
static void check_zipf(double zs)
{
    const uint32_t K = 100;
    const uint64_t n = 200000;
    struct source_opts o = opts(n, K, DIST_ZIPF, zs, 11);
    struct source *s = source_new(&o);
    uint64_t count[100] = { 0 };
    struct msg m;
    while (source_next(s, &m))
        count[strtoul(m.key + 1, NULL, 10)]++;
    source_free(s);
    double h = 0;
    for (uint32_t r = 1; r <= K; r++)
        h += pow(r, -zs);
    for (uint32_t r = 1; r <= 2; r++) {
        double p = pow(r, -zs) / h, mean = (double)n * p, sigma = sqrt((double)n * p * (1 - p));
        double dev = fabs((double)count[r - 1] - mean);
        ck_assert_msg(dev <= 5 * sigma,
                      "zipf s=%g rank %u: expected %.0f +- %.0f (5 sigma) of %llu draws, got %llu",
                      zs, r, mean, 5 * sigma, (unsigned long long)n,
                      (unsigned long long)count[r - 1]);
    }
    /* And the law's shape: counts fall with rank (ranks 1 > 2 > 10 > 100). */
    ck_assert(count[0] > count[1] && count[1] > count[9] && count[9] > count[99]);
}

START_TEST(test_zipf_frequencies)
{
    check_zipf(1.1);
    check_zipf(0.8);
}
END_TEST

/* Uniform: Pearson's chi-square over 100 keys (99 degrees of freedom: mean 99,
 * sd 14) must lie within 5 sd of its mean. */
START_TEST(test_uniform_chi_square)
{
    const uint32_t K = 100;
    const uint64_t n = 200000;
    struct source_opts o = opts(n, K, DIST_UNIFORM, 1.1, 12);
    struct source *s = source_new(&o);
    uint64_t count[100] = { 0 };
    struct msg m;
    while (source_next(s, &m))
        count[strtoul(m.key + 1, NULL, 10)]++;
    source_free(s);
    double e = (double)n / K, chi2 = 0;
    for (uint32_t i = 0; i < K; i++)
        chi2 += ((double)count[i] - e) * ((double)count[i] - e) / e;
    double df = K - 1, sd = sqrt(2 * df);
    ck_assert_msg(fabs(chi2 - df) <= 5 * sd, "chi-square over %u keys: expected %.0f +- %.0f, got %.1f",
                  K, df, 5 * sd, chi2);
}
END_TEST

/* Op mix 88/5/2/3/2 percent and DATA values n/100, n in [-5000, 15000]. */
START_TEST(test_ops_and_values)
{
    const uint64_t n = 200000;
    static const double pct[OP_COUNT] = { [OP_DATA] = 88, [OP_START] = 5, [OP_PAUSE] = 2,
                                          [OP_RESUME] = 3, [OP_STOP] = 2 };
    struct source_opts o = opts(n, 100, DIST_UNIFORM, 1.1, 13);
    struct source *s = source_new(&o);
    uint64_t count[OP_COUNT] = { 0 };
    double lo = INFINITY, hi = -INFINITY;
    struct msg m;
    uint64_t seq = 0;
    while (source_next(s, &m)) {
        ck_assert_uint_eq(m.seq, seq++);
        count[m.op]++;
        if (m.op == OP_DATA) {
            ck_assert(m.has_value);
            double c = nearbyint(m.value * 100);
            ck_assert_msg(m.value == c / 100.0 && c >= -5000 && c <= 15000,
                          "DATA value %.17g is not n/100 with n in [-5000, 15000]", m.value);
            lo = fmin(lo, m.value);
            hi = fmax(hi, m.value);
        } else {
            ck_assert_msg(!m.has_value && m.value == 0, "%s carries a value", op_name(m.op));
        }
    }
    source_free(s);
    ck_assert_msg(lo < -49 && hi > 149, "DATA values span [%g, %g], expected about [-50, 150]", lo, hi);
    for (int i = 0; i < OP_COUNT; i++) {
        double p = pct[i] / 100, mean = (double)n * p, sigma = sqrt((double)n * p * (1 - p));
        ck_assert_msg(fabs((double)count[i] - mean) <= 5 * sigma, "%s: expected %.0f +- %.0f, got %llu",
                      op_name((enum op)i), mean, 5 * sigma, (unsigned long long)count[i]);
    }
}
END_TEST

/* SPEC §1: "every transition, valid and invalid, occurs". Within 10 000
 * messages over 100 keys, for both distributions and several seeds. */
START_TEST(test_every_transition_occurs)
{
    for (uint64_t seed = 1; seed <= 5; seed++) {
        for (int d = 0; d < 2; d++) {
            struct source_opts o = opts(10000, 100, d ? DIST_ZIPF : DIST_UNIFORM, 1.1, seed);
            struct source *s = source_new(&o);
            struct registry *r = registry_new();
            uint64_t seen[OP_COUNT][4] = { { 0 } };
            struct msg m;
            while (source_next(s, &m)) {
                struct keystate *ks = registry_get(r, m.key, m.key_len);
                seen[m.op][ks->state]++;
                fsm_apply_msg(ks, &m);
            }
            for (int op = 0; op < OP_COUNT; op++)
                for (int st = 0; st < 4; st++)
                    ck_assert_msg(seen[op][st] > 0, "%s seed %llu: %s never arrived in state %s",
                                  dist_name(o.dist), (unsigned long long)seed, op_name((enum op)op),
                                  state_name((enum state)st));
            registry_free(r);
            source_free(s);
        }
    }
}
END_TEST

START_TEST(test_endless)
{
    struct source_opts o = opts(0, 10, DIST_UNIFORM, 1.1, 1);
    struct source *s = source_new(&o);
    struct msg m;
    for (uint64_t i = 0; i < 1000; i++) {
        ck_assert_msg(source_next(s, &m) == 1, "an endless source ended after %llu messages",
                      (unsigned long long)i);
        ck_assert_uint_eq(m.seq, i);
    }
    source_free(s);

    o.messages = 3;
    s = source_new(&o);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(source_next(s, &m), 1);
    ck_assert_int_eq(source_next(s, &m), 0);
    ck_assert_int_eq(source_next(s, &m), 0);
    source_free(s);
}
END_TEST

START_TEST(test_bad_options)
{
    struct source_opts o = opts(10, 0, DIST_UNIFORM, 1.1, 1);
    errno = 0;
    ck_assert(source_new(&o) == NULL && errno == EINVAL);
    o = opts(10, 10, DIST_ZIPF, 0.0, 1);
    errno = 0;
    ck_assert(source_new(&o) == NULL && errno == EINVAL);
    o = opts(10, 10, DIST_ZIPF, NAN, 1);
    ck_assert(source_new(&o) == NULL);
    o = opts(10, 10, DIST_UNIFORM, 0.0, 1);     /* zipf_s is ignored when uniform */
    struct source *s = source_new(&o);
    ck_assert(s != NULL);
    source_free(s);
    o.payload = PAYLOAD_MAX + 1;
    ck_assert(source_new(&o) == NULL);
    source_free(NULL);

    enum dist d;
    ck_assert_int_eq(dist_parse("zipf", &d), 0);
    ck_assert_int_eq(d, DIST_ZIPF);
    ck_assert_int_eq(dist_parse("uniform", &d), 0);
    ck_assert_int_eq(d, DIST_UNIFORM);
    ck_assert_int_eq(dist_parse("Zipf", &d), -1);
    ck_assert_str_eq(dist_name(DIST_ZIPF), "zipf");
}
END_TEST

START_TEST(test_rng)
{
    struct rng a, b;
    rng_seed(&a, 99);
    rng_seed(&b, 99);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(rng_next(&a), rng_next(&b));
    uint64_t seen7[7] = { 0 };
    for (int i = 0; i < 70000; i++) {
        double u = rng_unit(&a);
        ck_assert(u >= 0.0 && u < 1.0);
        uint64_t x = rng_below(&a, 7);
        ck_assert_uint_lt(x, 7);
        seen7[x]++;
    }
    for (int i = 0; i < 7; i++)     /* 10000 expected, sd 93 */
        ck_assert_msg(seen7[i] > 9500 && seen7[i] < 10500, "rng_below(7): %d drawn %llu times of 70000",
                      i, (unsigned long long)seen7[i]);
    ck_assert_uint_eq(rng_below(&a, 1), 0);
    uint64_t big = rng_below(&a, UINT64_MAX);
    ck_assert_uint_lt(big, UINT64_MAX);
}
END_TEST

static Suite *source_suite(void)
{
    const struct kit_case cases[] = {
        { "same_seed_same_bytes", test_same_seed_same_bytes, 10 },
        { "golden_stream", test_golden_stream, 10 },
        { "payload_does_not_change_stream", test_payload_does_not_change_stream, 10 },
        { "payload_deterministic", test_payload_deterministic, 10 },
        { "keys_in_range", test_keys_in_range, 20 },
        { "key_names", test_key_names, 5 },
        { "zipf_frequencies", test_zipf_frequencies, 20 },
        { "uniform_chi_square", test_uniform_chi_square, 20 },
        { "ops_and_values", test_ops_and_values, 20 },
        { "every_transition_occurs", test_every_transition_occurs, 20 },
        { "endless", test_endless, 5 },
        { "bad_options", test_bad_options, 5 },
        { "rng", test_rng, 5 },
    };
    return kit_suite("source", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(source_suite)
