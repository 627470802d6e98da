/* test_dump.c: the state dump of SPEC §3, byte for byte, and its inverse. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"
#include "kit_test.h"

/* A registry built by hand, covering: a key that never saw a valid DATA (empty
 * min/max/last), negative zero (prints "-0", distinct from "0"), %.17g's
 * long forms (0.1 -> 0.10000000000000001), exponents, and UINT64_MAX. */
static struct registry *sample(void)
{
    struct registry *r = registry_new();
    struct keystate *k1 = registry_get(r, "k1", 2);
    fsm_apply(k1, OP_START, 0);
    fsm_apply(k1, OP_DATA, 0.1);
    fsm_apply(k1, OP_DATA, 12.5);
    fsm_apply(k1, OP_DATA, -3.0);

    struct keystate *k0 = registry_get(r, "k0", 2);
    fsm_apply(k0, OP_DATA, 5.0);                /* invalid in IDLE: no statistics */

    struct keystate *z = registry_get(r, "Z", 1);
    fsm_apply(z, OP_START, 0);
    fsm_apply(z, OP_DATA, -0.0);                /* 0.0 + -0.0 = 0.0; min = max = last = -0.0 */

    struct keystate k2;
    fsm_init(&k2, "k2", 2);
    k2.state = ST_STOPPED;
    k2.messages = UINT64_MAX;
    k2.data_count = 2;
    k2.sum = -0.0;
    k2.min = 0.1;
    k2.max = 1e22;             /* exactly representable: the short form */
    k2.last = -2.5e-5;
    k2.feature_sum = 1.0 / 3.0;
    k2.invalid = 7;
    registry_put(r, &k2);
    return r;
}

static const char expected[] =
    "key,state,messages,data_count,sum,min,max,last,feature_sum,invalid\n"
    "Z,RUNNING,2,1,0,-0,-0,-0,0,0\n"
    "k0,IDLE,1,0,0,,,,0,1\n"
    "k1,RUNNING,4,3,9.5999999999999996,-3,12.5,-3,1.8333885443259539,0\n"
    "k2,STOPPED,18446744073709551615,2,-0,0.10000000000000001,1e+22,-2.5000000000000001e-05,0.33333333333333331,7\n";

START_TEST(test_exact_bytes)
{
    struct registry *r = sample();
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(dump_write(f, r), 0);
    fclose(f);
    ck_assert_msg(strcmp(text, expected) == 0, "expected:\n%s\ngot:\n%s", expected, text);
    free(text);
    registry_free(r);
}
END_TEST

START_TEST(test_empty_registry)
{
    struct registry *r = registry_new();
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(dump_write(f, r), 0);
    fclose(f);
    ck_assert_str_eq(text, DUMP_HEADER "\n");
    free(text);
    registry_free(r);
}
END_TEST

static bool same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;       /* -0.0 and 0.0 differ here */
}

/* Every row of the sample parses back to the same machine, bit for bit, and
 * formats again to the same bytes. */
START_TEST(test_round_trip)
{
    struct registry *r = sample();
    size_t n;
    struct keystate **rows = registry_sorted(r, &n);
    for (size_t i = 0; i < n; i++) {
        char buf[DUMP_ROW_MAX], again[DUMP_ROW_MAX];
        int len = dump_row(rows[i], buf, sizeof buf);
        ck_assert_int_gt(len, 0);
        struct keystate back;
        ck_assert_msg(dump_parse_row(buf, (size_t)len, &back) == 0, "row '%s' did not parse", buf);
        const struct keystate *k = rows[i];
        ck_assert_str_eq(back.key, k->key);
        ck_assert(back.state == k->state && back.messages == k->messages &&
                  back.data_count == k->data_count && back.invalid == k->invalid);
        ck_assert_msg(same_double(back.sum, k->sum) && same_double(back.feature_sum, k->feature_sum),
                      "row '%s': sum or feature_sum changed", buf);
        if (k->data_count)
            ck_assert(same_double(back.min, k->min) && same_double(back.max, k->max) &&
                      same_double(back.last, k->last));
        ck_assert_int_eq(dump_row(&back, again, sizeof again), len);
        ck_assert_str_eq(again, buf);
    }
    free(rows);
    registry_free(r);
}
END_TEST

START_TEST(test_parse_rejects)
{
    static const char *bad[] = {
        "",
        "k1,RUNNING,4,3,9.6,-3,12.5,-3,1.8",                      /* 9 fields */
        "k1,RUNNING,4,3,9.6,-3,12.5,-3,1.8,0,0",                  /* 11 fields */
        "k1,running,4,3,9.6,-3,12.5,-3,1.8,0",                    /* state case */
        "k!,RUNNING,4,3,9.6,-3,12.5,-3,1.8,0",                    /* key */
        ",RUNNING,4,3,9.6,-3,12.5,-3,1.8,0",                      /* empty key */
        "k1,RUNNING,+4,3,9.6,-3,12.5,-3,1.8,0",                   /* sign on a count */
        "k1,RUNNING,-4,3,9.6,-3,12.5,-3,1.8,0",
        "k1,RUNNING, 4,3,9.6,-3,12.5,-3,1.8,0",
        "k1,RUNNING,4x,3,9.6,-3,12.5,-3,1.8,0",
        "k1,RUNNING,18446744073709551616,3,9.6,-3,12.5,-3,1.8,0", /* past UINT64_MAX */
        "k1,RUNNING,4,3,nan,-3,12.5,-3,1.8,0",
        "k1,RUNNING,4,3,inf,-3,12.5,-3,1.8,0",
        "k1,RUNNING,4,3,1e999,-3,12.5,-3,1.8,0",
        "k1,RUNNING,4,3,,-3,12.5,-3,1.8,0",                       /* empty sum */
        "k1,RUNNING,4,3,9.6,,12.5,-3,1.8,0",                      /* data_count 3, min empty */
        "k0,IDLE,1,0,0,5,,,0,1",                                  /* data_count 0, min set */
        "k0,IDLE,1,0,0,,,,0,1\n",                                 /* the newline is not the row's */
        /* strtod reads hex floats; %.17g never prints them (found by fuzz_dump_row). */
        "k1,IDLE,0,0,0x10,,,,0,0",
        "k1,RUNNING,4,3,9.6,-0x1p3,12.5,-3,1.8,0",
        "k1,RUNNING,4,3,9.6,-3,12.5,-3,0X1.8P1,0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct keystate ks;
        errno = 0;
        ck_assert_msg(dump_parse_row(bad[i], strlen(bad[i]), &ks) == -1 && errno == EINVAL,
                      "expected row %zu '%s' rejected", i, bad[i]);
    }
    char big[DUMP_ROW_MAX + 10];
    memset(big, '1', sizeof big);
    struct keystate ks;
    ck_assert_int_eq(dump_parse_row(big, sizeof big, &ks), -1);
    ck_assert_int_eq(dump_parse_row("k0,IDLE,1,0,0,,,,0,1", 20, &ks), 0);
    ck_assert_int_eq(dump_parse_row("k0,IDLE,1,0,0,,,,0,1\0", 21, &ks), -1);     /* NUL inside */
}
END_TEST

/* The widest row there can be fits DUMP_ROW_MAX, and a short buffer is refused. */
START_TEST(test_row_limits)
{
    struct keystate ks;
    fsm_init(&ks, "abcdefghijklmnopqrstuvwxyz01234", 31);
    ks.state = ST_STOPPED;
    ks.messages = ks.data_count = ks.invalid = UINT64_MAX;
    ks.sum = ks.min = ks.max = ks.last = ks.feature_sum = -1.2345678901234567e-308;
    char buf[DUMP_ROW_MAX];
    int n = dump_row(&ks, buf, sizeof buf);
    ck_assert_msg(n > 200 && n < DUMP_ROW_MAX, "widest row: %d bytes", n);
    errno = 0;
    ck_assert_int_eq(dump_row(&ks, buf, (size_t)n), -1);       /* no room for the NUL */
    ck_assert_int_eq(errno, ENOBUFS);
}
END_TEST

START_TEST(test_sort)
{
    struct keystate a, b, c;
    fsm_init(&a, "k9", 2);
    fsm_init(&b, "k10", 3);
    fsm_init(&c, "K", 1);
    struct keystate *rows[] = { &a, &b, &c };
    dump_sort(rows, 3);
    ck_assert(rows[0] == &c && rows[1] == &b && rows[2] == &a);
    dump_sort(rows, 0);
}
END_TEST

START_TEST(test_to_path)
{
    struct registry *r = sample();
    char *dir = kit_tmpdir(), path[512], err[256];
    snprintf(path, sizeof path, "%s/state.csv", dir);
    int fds = kit_count_fds();
    ck_assert_int_eq(dump_to_path(path, r, err, sizeof err), 0);
    ck_assert_int_eq(kit_count_fds(), fds);
    char *text = kit_read_file(path, NULL);
    ck_assert_str_eq(text, expected);
    free(text);

    snprintf(path, sizeof path, "%s/no/such/dir/state.csv", dir);
    ck_assert_int_eq(dump_to_path(path, r, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "cannot open") && strstr(err, "No such file or directory"),
                  "expected 'cannot open ... No such file or directory', got '%s'", err);

    /* "-" is stdout, which stays open afterwards. */
    snprintf(path, sizeof path, "%s/stdout.txt", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    fflush(stdout);
    int saved = dup(1);
    dup2(fd, 1);
    int rc = dump_to_path("-", r, err, sizeof err);
    int still_open = fputs("after\n", stdout) >= 0 && fflush(stdout) == 0;
    dup2(saved, 1);
    close(saved);
    close(fd);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(still_open, "stdout was closed by dump_to_path(\"-\")");
    text = kit_read_file(path, NULL);
    ck_assert_msg(strncmp(text, expected, strlen(expected)) == 0 &&
                  strcmp(text + strlen(expected), "after\n") == 0, "stdout got:\n%s", text);
    free(text);
    kit_rmtree(dir);
    free(dir);
    registry_free(r);
}
END_TEST

static Suite *dump_suite(void)
{
    const struct kit_case cases[] = {
        { "exact_bytes", test_exact_bytes, 5 },
        { "empty_registry", test_empty_registry, 5 },
        { "round_trip", test_round_trip, 5 },
        { "parse_rejects", test_parse_rejects, 5 },
        { "row_limits", test_row_limits, 5 },
        { "sort", test_sort, 5 },
        { "to_path", test_to_path, 5 },
    };
    return kit_suite("dump", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(dump_suite)
