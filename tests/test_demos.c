/* test_demos.c: the classic demos. Pool.map equals the sequential map (in
 * process and through bin/poolmap), the locked counter is exact, pipe and queue
 * deliver every message, clean_order's flags and its report of the cores
 * its orders had. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"
#include "poolmap.h"
#include "primes.h"

#define T 60

static int64_t triple(int64_t x) { return 3 * x + 1; }

START_TEST(test_poolmap_equals_sequential)
{
    static const size_t chunks[] = { 1, 7, 1000, 100000 };
    int fds = kit_count_fds();
    size_t n = 20011;
    int64_t *in = malloc(n * sizeof *in), *seq = malloc(n * sizeof *seq), *par = malloc(n * sizeof *par);
    for (size_t i = 0; i < n; i++)
        in[i] = (int64_t)(i * 7919 % 1000003);
    char err[256];
    ck_assert_int_eq(poolmap_run(is_prime, in, seq, n, 0, 1, err, sizeof err), 0);
    for (size_t c = 0; c < 4; c++) {
        memset(par, 0xff, n * sizeof *par);
        ck_assert_msg(poolmap_run(c % 2 ? triple : is_prime, in, par, n, 3, chunks[c], err, sizeof err) == 0,
                      "chunk %zu: %s", chunks[c], err);
        for (size_t i = 0; i < n; i++) {
            int64_t want = c % 2 ? triple(in[i]) : seq[i];
            ck_assert_msg(par[i] == want, "chunk %zu: out[%zu] = %lld, expected %lld", chunks[c], i,
                          (long long)par[i], (long long)want);
        }
    }
    free(in), free(seq), free(par);
    kit_assert_clean(fds);
}
END_TEST

START_TEST(test_poolmap_program)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/nums.txt", dir);
    const char *pm = kit_bin("poolmap");
    struct kit_run g, s, p, q;
    ck_assert_int_eq(kit_run(&g, NULL, T, pm, "--gen-primes", path, "--count", "50000", "--seed", "4", NULL), 0);
    ck_assert_msg(g.status == 0, "gen: exit %d: %s", g.status, g.err);
    ck_assert_int_eq(kit_run(&s, NULL, T, pm, "--count-primes", path, "--workers", "0", NULL), 0);
    ck_assert_int_eq(kit_run(&p, NULL, T, pm, "--count-primes", path, "--workers", "2", "--chunk", "999", NULL), 0);
    ck_assert_msg(s.status == 0 && p.status == 0, "exit %d/%d: %s %s", s.status, p.status, s.err, p.err);
    ck_assert_msg(atoll(s.out) > 1000, "implausible prime count %s", s.out);
    ck_assert_msg(strcmp(s.out, p.out) == 0, "parallel count %s differs from sequential %s", p.out, s.out);
    ck_assert_int_eq(kit_run(&q, NULL, T, pm, "--sum-squares", "100000", "--workers", "2", NULL), 0);
    ck_assert_msg(q.status == 0 && strcmp(q.out, "333328333350000\n") == 0, "sum of squares: %s", q.out);
    kit_run_free(&g), kit_run_free(&s), kit_run_free(&p), kit_run_free(&q);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* primes_count_range over ranges that tile a buffer, cut anywhere (mid-line,
 * on a newline, empty ranges), counts every line exactly once: the totals
 * equal is_prime mapped over the integers, whatever the cuts. */
START_TEST(test_count_range_any_cuts)
{
    char text[4096];
    size_t len = 0, n = 0;
    int64_t want = 0;
    for (int64_t v = 1; len < sizeof text - 16; v = v * 7 % 100003, n++) {
        len += (size_t)snprintf(text + len, sizeof text - len, "%lld\n", (long long)v);
        want += is_prime(v);
    }
    len--;                      /* the last line without its newline counts too */
    struct primes_tally whole;
    primes_count_range(text, len, 0, len, &whole);
    ck_assert_msg(whole.integers == n && (int64_t)whole.primes == want && whole.bad_off == PRIMES_NO_BAD,
                  "whole buffer: expected %zu integers, %lld primes; got %llu, %llu", n, (long long)want,
                  (unsigned long long)whole.integers, (unsigned long long)whole.primes);
    for (size_t parts = 2; parts <= 9; parts++) {
        for (size_t shift = 0; shift < 7; shift++) {
            uint64_t ints = 0, primes = 0;
            size_t begin = 0;
            for (size_t k = 1; k <= parts; k++) {
                size_t end = k == parts ? len : (len * k / parts + shift) % (len + 1);
                if (end < begin)
                    end = begin;
                struct primes_tally t;
                primes_count_range(text, len, begin, end, &t);
                ints += t.integers, primes += t.primes;
                begin = end;
            }
            ck_assert_msg(ints == n && (int64_t)primes == want, "%zu ranges shifted by %zu: expected %zu "
                          "integers, %lld primes; got %llu, %llu", parts, shift, n, (long long)want,
                          (unsigned long long)ints, (unsigned long long)primes);
        }
    }
}
END_TEST

/* A malformed line is reported by its line number, exactly, however many
 * workers split the file (the bad line in the first, middle or last range),
 * and exits 65; an empty file counts 0 primes. */
START_TEST(test_count_primes_bad_line)
{
    static const char *const workers[] = { "0", "1", "2", "3", "5" };
    static const unsigned bad_lines[] = { 1, 2500, 4999, 5000 };
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), path[512], want[600];
    snprintf(path, sizeof path, "%s/nums.txt", dir);
    for (size_t b = 0; b < sizeof bad_lines / sizeof bad_lines[0]; b++) {
        char *text = malloc(5000 * 16), *p = text;
        for (unsigned i = 1; i <= 5000; i++)
            p += sprintf(p, i == bad_lines[b] ? "12x%u\n" : "%u\n", i * 37);
        ck_assert_int_eq(kit_write_file(path, text), 0);
        free(text);
        snprintf(want, sizeof want, "poolmap: %s:%u: not an integer\n", path, bad_lines[b]);
        for (size_t w = 0; w < sizeof workers / sizeof workers[0]; w++) {
            struct kit_run r;
            ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("poolmap"), "--count-primes", path, "--workers",
                                     workers[w], NULL), 0);
            ck_assert_msg(r.status == 65, "bad line %u, %s workers: expected exit 65, got %d: %s",
                          bad_lines[b], workers[w], r.status, r.err);
            ck_assert_msg(strcmp(r.err, want) == 0, "bad line %u, %s workers: expected '%s', got '%s'",
                          bad_lines[b], workers[w], want, r.err);
            kit_run_free(&r);
        }
    }
    ck_assert_int_eq(kit_write_file(path, ""), 0);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("poolmap"), "--count-primes", path, "--workers", "2", NULL),
                     0);
    ck_assert_msg(r.status == 0 && strcmp(r.out, "0\n") == 0, "empty file: exit %d, out '%s'", r.status, r.out);
    kit_run_free(&r);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

START_TEST(test_locked_counter_exact)
{
    int fds = kit_count_fds();
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("counter"), "--procs", "4", "--increments", "200000",
                             "--csv", NULL), 0);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert_msg(strstr(r.out, "\nlocked,4,200000,800000,800000,0,"), "locked row not exact: %s", r.out);
    ck_assert_msg(strstr(r.out, "\nunlocked,4,200000,800000,"), "no unlocked row: %s", r.out);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

/* The sum each transport's consumers received, from the CSV's last column,
 * against the sum of 0..N-1 this test computes. */
START_TEST(test_pipe_and_queue)
{
    enum { N = 100000 };
    int fds = kit_count_fds();
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("pipeq"), "--messages", "100000", "--consumers", "3",
                             "--csv", NULL), 0);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert_msg(strstr(r.out, "\ntransport,consumers,messages,seconds,msgs_per_s,sum_ok,sum\n"), "header: %s",
                  r.out);
    static const char *const rows[] = { "\npipe,1,100000,", "\nqueue,3,100000," };
    long long want = (long long)N * (N - 1) / 2;
    for (int i = 0; i < 2; i++) {
        const char *row = strstr(r.out, rows[i]);
        ck_assert_msg(row != NULL, "no row %s in: %s", rows[i] + 1, r.out);
        const char *eol = strchr(row + 1, '\n'), *last = row + 1;
        for (const char *p = row + 1; p < (eol ? eol : p + strlen(p)); p++)
            if (*p == ',')
                last = p + 1;
        long long got = atoll(last);
        ck_assert_msg(got == want, "%sthe consumers received a sum of %lld, expected 0+1+...+%d = %lld", rows[i] + 1,
                      got, N - 1, want);
    }
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

/* is_prime against known truth: pi(10^6) = 78498 (the prime-counting function),
 * and lists of known primes and composites (Carmichael numbers and strong
 * pseudoprimes among them, which fool a Fermat test). */
START_TEST(test_is_prime_known_table)
{
    static const int64_t primes[] = { 2, 3, 5, 7, 11, 97, 7919, 104729, 999983, 1000003, 2147483647,
                                      1000000007, 999999999989 };
    static const int64_t composites[] = { -7, 0, 1, 4, 9, 15, 91, 561, 1105, 1729, 2047, 7917, 999999, 1000001,
                                          25326001, 3215031751, 2147483649, 999999999999 };
    for (size_t i = 0; i < sizeof primes / sizeof primes[0]; i++)
        ck_assert_msg(is_prime(primes[i]) == 1, "%lld is prime", (long long)primes[i]);
    for (size_t i = 0; i < sizeof composites / sizeof composites[0]; i++)
        ck_assert_msg(is_prime(composites[i]) == 0, "%lld is not prime", (long long)composites[i]);
    int64_t pi = 0;
    for (int64_t n = 0; n <= 1000000; n++)
        pi += is_prime(n);
    ck_assert_msg(pi == 78498, "pi(10^6) = 78498 primes up to a million, is_prime counts %lld", (long long)pi);
}
END_TEST

START_TEST(test_clean_order_flags)
{
    int fds = kit_count_fds();
    const char *co = kit_bin("clean_order");
    struct kit_run a, b, c;
    ck_assert_int_eq(kit_run(&a, NULL, T, co, "--threads", "2", "--iterations", "1000000", NULL), 0);
    ck_assert_int_eq(kit_run(&b, NULL, T, co, "--processes", "2", "--iterations", "1000000", "--csv", NULL), 0);
    ck_assert_int_eq(kit_run(&c, NULL, T, co, "--threads", "2", "--processes", "2", NULL), 0);
    ck_assert_msg(a.status == 0 && strstr(a.err, "as threads"), "threads: %d %s", a.status, a.err);
    ck_assert_msg(b.status == 0 && strstr(b.out, "\nprocesses,2,1000000,"), "processes: %d %s", b.status, b.out);
    ck_assert_msg(c.status == 2 && strstr(c.err, "usage:"), "both: exit %d", c.status);
    kit_run_free(&a), kit_run_free(&b), kit_run_free(&c);
    kit_assert_clean(fds);
}
END_TEST

/* clean_order reports the orders' CPU time (--csv cpu_s) and says when they
 * did not have a core each: 2 orders forced onto one CPU (the affinity is
 * inherited by the program) have about 1 core between them, whatever the
 * speed of the machine. */
START_TEST(test_clean_order_cores)
{
    int fds = kit_count_fds();
    const char *co = kit_bin("clean_order");
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
    ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);    /* this test's child only */
    static const char *const modes[] = { "--threads", "--processes" };
    for (int m = 0; m < 2; m++) {
        struct kit_run r;
        ck_assert_int_eq(kit_run(&r, NULL, T, co, modes[m], "2", "--iterations", "200000000", "--csv", NULL), 0);
        ck_assert_msg(r.status == 0, "%s 2: exit %d: %s", modes[m], r.status, r.err);
        ck_assert_msg(strstr(r.out, "\nmode,orders,iterations,seconds,cpu_s\n"), "%s: CSV header: %s", modes[m],
                      r.out);
        ck_assert_msg(strstr(r.err, "did not have a core each"), "%s 2 on one CPU: expected the warning, got: %s",
                      modes[m], r.err);
        kit_run_free(&r);
    }
    kit_assert_clean(fds);
}
END_TEST

static Suite *demos_suite(void)
{
    Suite *s = suite_create("demos");
    TCase *tc = kit_tcase(s, "poolmap", 90);
    tcase_add_test(tc, test_poolmap_equals_sequential);
    tcase_add_test(tc, test_poolmap_program);
    tcase_add_test(tc, test_count_range_any_cuts);
    tcase_add_test(tc, test_count_primes_bad_line);
    tcase_add_test(tc, test_is_prime_known_table);

    tc = kit_tcase(s, "shared", 90);
    tcase_add_test(tc, test_locked_counter_exact);
    tcase_add_test(tc, test_pipe_and_queue);

    tc = kit_tcase(s, "clean_order", 60);
    tcase_add_test(tc, test_clean_order_flags);
    tcase_add_test(tc, test_clean_order_cores);
    return s;
}

KIT_TEST_MAIN(demos_suite)
