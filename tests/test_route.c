/* test_route.c: the four routing policies keep their promises: stable owners,
 * few moves on the ring when a worker joins, balanced first-sight maps, and a
 * hash that is the same on every machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"
#include "param.h"
#include "route.h"

#define NKEYS 100000

static int key_name(unsigned i, char *buf)
{
    return snprintf(buf, 32, "key%u", i);
}

START_TEST(test_hash_golden)
{
    /* Computed once from the definition (FNV-1a 64, then the splitmix64
     * finalizer) by an independent Python script; pinned so that every machine
     * routes the same key to the same worker. FNV-1a("a") = 0xaf63dc4c8601ec8c
     * is the published FNV test vector. */
    static const struct { const char *key; uint64_t hash; } golden[] = {
        { "", 0xf52a15e9a9b5e89bull },
        { "a", 0x02c0bdbf481420f8ull },
        { "k0000", 0x78e5d11605968495ull },
        { "k0001", 0xc83f7947fc99b873ull },
        { "sensor.7", 0xaa754ceb1593a504ull },
        { "abcdefghijklmnopqrstuvwxyz_.-09", 0x1f9904597cbdd409ull },
    };
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
        uint64_t h = route_hash(golden[i].key, strlen(golden[i].key));
        ck_assert_msg(h == golden[i].hash, "route_hash(\"%s\"): expected 0x%016llx, got 0x%016llx",
                      golden[i].key, (unsigned long long)golden[i].hash, (unsigned long long)h);
    }
}
END_TEST

START_TEST(test_modulo_stable)
{
    struct router *a = router_new(ROUTE_MODULO, 7), *b = router_new(ROUTE_MODULO, 7);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    unsigned count[7] = { 0 };
    for (unsigned i = 0; i < NKEYS; i++) {
        char k[32];
        int n = key_name(i, k);
        unsigned w = route_pick(a, k, (size_t)n);
        ck_assert_msg(w < 7, "key %s: worker %u out of range", k, w);
        ck_assert_uint_eq(route_pick(a, k, (size_t)n), w);     /* same router, again */
        ck_assert_uint_eq(route_pick(b, k, (size_t)n), w);     /* another router */
        ck_assert_uint_eq(w, route_hash(k, (size_t)n) % 7);
        count[w]++;
    }
    for (unsigned w = 0; w < 7; w++)    /* 14286 expected; 5 sigma is about 560 */
        ck_assert_msg(count[w] > 13500 && count[w] < 15100, "worker %u got %u of %u keys", w, count[w], NKEYS);
    router_free(a);
    router_free(b);
}
END_TEST

START_TEST(test_consistent_add_worker)
{
    static const unsigned sizes[] = { 2, 4, 8 };
    for (size_t s = 0; s < 3; s++) {
        unsigned n = sizes[s];
        struct router *before = router_new(ROUTE_CONSISTENT, n), *after = router_new(ROUTE_CONSISTENT, n + 1);
        ck_assert_ptr_nonnull(before);
        ck_assert_ptr_nonnull(after);
        unsigned moved = 0;
        for (unsigned i = 0; i < NKEYS; i++) {
            char k[32];
            int len = key_name(i, k);
            unsigned w0 = route_pick(before, k, (size_t)len), w1 = route_pick(after, k, (size_t)len);
            ck_assert_msg(w0 < n && w1 <= n, "key %s: workers %u/%u out of range", k, w0, w1);
            if (w0 != w1) {
                ck_assert_msg(w1 == n, "N=%u->%u: key %s moved from %u to %u, expected to the new worker %u",
                              n, n + 1, k, w0, w1, n);
                moved++;
            }
            ck_assert_uint_eq(route_pick(before, k, (size_t)len), w0);
        }
        double share = (double)moved / NKEYS, ideal = 1.0 / (n + 1);
        ck_assert_msg(share > 0.5 * ideal && share < 1.5 * ideal,
                      "N=%u->%u: %.4f of the keys moved, expected about %.4f (0.5x..1.5x)", n, n + 1, share, ideal);
        router_free(before);
        router_free(after);
    }
}
END_TEST

START_TEST(test_consistent_spread)
{
    enum { N = 8 };
    struct router *r = router_new(ROUTE_CONSISTENT, N);
    unsigned count[N] = { 0 }, max = 0;
    for (unsigned i = 0; i < NKEYS; i++) {
        char k[32];
        int len = key_name(i, k);
        count[route_pick(r, k, (size_t)len)]++;
    }
    for (unsigned w = 0; w < N; w++)
        if (count[w] > max)
            max = count[w];
    double ratio = (double)max / ((double)NKEYS / N);
    ck_assert_msg(ratio < 1.35, "max/mean load %.3f with %d vnodes, expected < 1.35", ratio, RING_VNODES);
    router_free(r);
}
END_TEST

START_TEST(test_map_first_sight)
{
    struct router *r = router_new(ROUTE_MAP, 3);
    static const char *const keys[] = { "a", "b", "c", "d", "e" };
    static const unsigned want[] = { 0, 1, 2, 0, 1 };   /* least loaded, ties to the lowest */
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(route_pick(r, keys[i], 1), want[i]);
    for (int rep = 0; rep < 3; rep++)           /* repeats neither move keys nor add load */
        for (int i = 0; i < 5; i++)
            ck_assert_uint_eq(route_pick(r, keys[i], 1), want[i]);
    ck_assert_uint_eq(route_pick(r, "f", 1), 2);
    router_free(r);

    /* Thousands of keys (the table grows several times): balanced to within one,
     * and every key keeps its worker. */
    enum { N = 5, K = 20000 };
    r = router_new(ROUTE_MAP, N);
    unsigned *first = malloc(K * sizeof *first), count[N] = { 0 };
    for (unsigned i = 0; i < K; i++) {
        char k[32];
        int len = key_name(i, k);
        first[i] = route_pick(r, k, (size_t)len);
        count[first[i]]++;
    }
    for (unsigned w = 0; w < N; w++)
        ck_assert_uint_eq(count[w], K / N);
    for (unsigned i = 0; i < K; i++) {
        char k[32];
        int len = key_name(i, k);
        ck_assert_uint_eq(route_pick(r, k, (size_t)len), first[i]);
    }
    free(first);
    router_free(r);
}
END_TEST

static char *write_tmp(char **dir, const char *text)
{
    *dir = kit_tmpdir();
    ck_assert_ptr_nonnull(*dir);
    char *path;
    ck_assert_int_ge(asprintf(&path, "%s/map.csv", *dir), 0);
    ck_assert_int_eq(kit_write_file(path, text), 0);
    return path;
}

START_TEST(test_map_load)
{
    char *dir, *path = write_tmp(&dir, "# key,worker\nx,2\n\ny,2\nz,0\n");
    struct router *r = router_new(ROUTE_MAP, 3);
    char err[256] = "";
    ck_assert_msg(router_load_map(r, path, err, sizeof err) == 0, "load failed: %s", err);
    ck_assert_uint_eq(route_pick(r, "x", 1), 2);
    ck_assert_uint_eq(route_pick(r, "y", 1), 2);
    ck_assert_uint_eq(route_pick(r, "z", 1), 0);
    /* loads are now 1, 0, 2: new keys fill worker 1, then 0 and 1 */
    ck_assert_uint_eq(route_pick(r, "new1", 4), 1);
    ck_assert_uint_eq(route_pick(r, "new2", 4), 0);
    ck_assert_uint_eq(route_pick(r, "new3", 4), 1);
    router_free(r);
    kit_rmtree(dir);
    free(dir);
    free(path);
}
END_TEST

static void assert_bad_map(const char *text, const char *expect)
{
    char *dir, *path = write_tmp(&dir, text);
    struct router *r = router_new(ROUTE_MAP, 3);
    char err[256] = "";
    errno = 0;
    ck_assert_int_eq(router_load_map(r, path, err, sizeof err), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_msg(strstr(err, expect) != NULL, "expected an error with \"%s\", got \"%s\"", expect, err);
    router_free(r);
    kit_rmtree(dir);
    free(dir);
    free(path);
}

START_TEST(test_map_load_errors)
{
    assert_bad_map("a,0\nb,1\nc,9\n", "map.csv:3: worker 9 out of range 0..2");
    assert_bad_map("a,0\n# fine\nb 1\n", "map.csv:3: expected key,worker");
    assert_bad_map("bad key,1\n", "map.csv:1: invalid key");
    assert_bad_map("a,0\na,1\n", "map.csv:2: key 'a' listed twice");
    assert_bad_map("a,x\n", "map.csv:1: worker 'x' is not a number");
    assert_bad_map("a,\n", "map.csv:1: missing worker");
    assert_bad_map("a,-1\n", "map.csv:1: worker '-1' is not a number");

    struct router *r = router_new(ROUTE_MAP, 3);
    char err[256] = "";
    ck_assert_int_eq(router_load_map(r, "/nonexistent/map.csv", err, sizeof err), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_msg(strstr(err, "/nonexistent/map.csv") != NULL, "error does not name the file: %s", err);
    router_free(r);
    r = router_new(ROUTE_MODULO, 3);
    ck_assert_int_eq(router_load_map(r, "/dev/null", err, sizeof err), -1);
    ck_assert_int_eq(errno, EINVAL);
    router_free(r);
}
END_TEST

START_TEST(test_roundrobin)
{
    struct router *r = router_new(ROUTE_ROUNDROBIN, 3);
    for (unsigned i = 0; i < 30; i++)
        ck_assert_uint_eq(route_pick(r, "same", 4), i % 3);    /* the key is ignored */
    router_free(r);
    ck_assert(!route_keeps_order(ROUTE_ROUNDROBIN));
    ck_assert(route_keeps_order(ROUTE_MODULO));
    ck_assert(route_keeps_order(ROUTE_CONSISTENT));
    ck_assert(route_keeps_order(ROUTE_MAP));
}
END_TEST

/* route_peek answers "who owns this key?" without changing the router: the
 * same as route_pick for the pure policies, the remembered worker (or ENOENT)
 * for map, no owner for roundrobin. */
START_TEST(test_peek)
{
    for (int kind = ROUTE_MODULO; kind <= ROUTE_CONSISTENT; kind++) {
        struct router *r = router_new((enum route)kind, 7);
        for (unsigned i = 0; i < 500; i++) {
            char k[32];
            int len = key_name(i, k);
            int peek = route_peek(r, k, (size_t)len);
            unsigned pick = route_pick(r, k, (size_t)len);
            ck_assert_msg(peek >= 0 && (unsigned)peek == pick, "%s: peek %d, pick %u for %s",
                          route_name((enum route)kind), peek, pick, k);
        }
        router_free(r);
    }
    struct router *r = router_new(ROUTE_MAP, 3);
    errno = 0;
    ck_assert_int_eq(route_peek(r, "a", 1), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(route_peek(r, "b", 1), -1);        /* peeking did not make "a" an owner */
    ck_assert_uint_eq(route_pick(r, "b", 1), 0);        /* so "b" is still the first key seen */
    ck_assert_uint_eq(route_pick(r, "a", 1), 1);
    ck_assert_int_eq(route_peek(r, "a", 1), 1);
    ck_assert_int_eq(route_peek(r, "b", 1), 0);
    ck_assert_int_eq(route_peek(r, "bad key", 7), (int)(route_hash("bad key", 7) % 3));
    router_free(r);
    r = router_new(ROUTE_ROUNDROBIN, 3);
    errno = 0;
    ck_assert_int_eq(route_peek(r, "a", 1), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_uint_eq(route_pick(r, "a", 1), 0);        /* peeking did not advance it */
    router_free(r);
}
END_TEST

START_TEST(test_names_and_limits)
{
    for (int i = 0; i < ROUTE_COUNT; i++) {
        enum route k;
        ck_assert_int_eq(route_parse(route_name((enum route)i), &k), 0);
        ck_assert_int_eq(k, i);
        struct router *r = router_new((enum route)i, 1);
        ck_assert_uint_eq(router_workers(r), 1);
        ck_assert_uint_eq(route_pick(r, "k", 1), 0);        /* one worker owns everything */
        router_free(r);
        r = router_new((enum route)i, WORKERS_MAX);
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_lt(route_pick(r, "k", 1), WORKERS_MAX);
        router_free(r);
    }
    enum route k;
    ck_assert_int_eq(route_parse("random", &k), -1);
    errno = 0;
    ck_assert_ptr_null(router_new(ROUTE_MODULO, 0));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(router_new(ROUTE_MODULO, WORKERS_MAX + 1));
    ck_assert_ptr_null(router_new(ROUTE_COUNT, 2));
    router_free(NULL);
}
END_TEST

static Suite *route_suite(void)
{
    const struct kit_case cases[] = {
        { "hash_golden", test_hash_golden, 10 },
        { "modulo_stable", test_modulo_stable, 20 },
        { "consistent_add_worker", test_consistent_add_worker, 30 },
        { "consistent_spread", test_consistent_spread, 20 },
        { "map_first_sight", test_map_first_sight, 20 },
        { "map_load", test_map_load, 10 },
        { "map_load_errors", test_map_load_errors, 10 },
        { "roundrobin", test_roundrobin, 10 },
        { "peek", test_peek, 10 },
        { "names_and_limits", test_names_and_limits, 10 },
    };
    return kit_suite("route", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(route_suite)
