/* test_reference.c: bin/reference, the single-threaded truth. Its own
 * consistency (an emitted stream replayed from a file gives the same dump as
 * the built-in run), its exit codes (SPEC §4) and its output streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"

#define T 30                    /* seconds any one run may take */

/* --emit, then --input of what it printed: a byte-identical dump to the run
 * that used the built-in source directly. For both distributions, with
 * --work on (it must not change the state). */
START_TEST(test_emit_replay)
{
    static const char *dists[] = { "uniform", "zipf" };
    const char *ref = kit_bin("reference");
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/stream.txt", dir);
    for (int d = 0; d < 2; d++) {
        struct kit_run emit, direct, replay;
        ck_assert_int_eq(kit_run(&emit, NULL, T, ref, "--emit", "--messages", "20000", "--keys", "50",
                                 "--dist", dists[d], "--seed", "3", NULL), 0);
        ck_assert_msg(emit.status == 0, "--emit exited %d: %s", emit.status, emit.err);
        ck_assert_msg(emit.out_len > 20000 * 10, "--emit printed only %zu bytes", emit.out_len);
        ck_assert_int_eq(kit_write_file(path, emit.out), 0);

        ck_assert_int_eq(kit_run(&direct, NULL, T, ref, "--messages", "20000", "--keys", "50",
                                 "--dist", dists[d], "--seed", "3", "--work", "2",
                                 "--dump-state", "-", NULL), 0);
        ck_assert_int_eq(kit_run(&replay, NULL, T, ref, "--input", path, "--dump-state", "-",
                                 "--quiet", NULL), 0);
        ck_assert_msg(direct.status == 0 && replay.status == 0, "exit %d and %d: %s %s",
                      direct.status, replay.status, direct.err, replay.err);
        ck_assert_msg(strncmp(direct.out, "key,state,", 10) == 0, "not a dump: %.80s", direct.out);
        ck_assert_msg(direct.out_len == replay.out_len && memcmp(direct.out, replay.out, direct.out_len) == 0,
                      "%s: the replayed dump differs from the built-in run's (%zu vs %zu bytes)",
                      dists[d], replay.out_len, direct.out_len);
        ck_assert_msg(strstr(direct.err, "applied 20000 messages"), "summary: %s", direct.err);
        ck_assert_msg(replay.err_len == 0, "--quiet printed: %s", replay.err);
        kit_run_free(&emit);
        kit_run_free(&direct);
        kit_run_free(&replay);
    }
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* Rejected lines: reported, skipped, the good lines still applied, exit 65. */
START_TEST(test_rejects_exit_65)
{
    int fds = kit_count_fds();
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, "k1,START,\nbad line\nk1,DATA,5\nk2,DATA,nan\n", T,
                             kit_bin("reference"), "--input", "-", "--dump-state", "-", NULL), 0);
    ck_assert_msg(r.status == 65, "expected exit 65, got %d", r.status);
    const char *want = "key,state,messages,data_count,sum,min,max,last,feature_sum,invalid\n"
                       "k1,RUNNING,2,1,5,5,5,5,0.89587973461402748,0\n";
    ck_assert_msg(strcmp(r.out, want) == 0, "dump: expected\n%s\ngot\n%s", want, r.out);
    ck_assert_msg(strstr(r.err, "-:2: expected 3 fields, got 1\n") &&
                  strstr(r.err, "-:4: value 'nan' is not a decimal number\n"),
                  "stderr lacks the reject reports: %s", r.err);
    ck_assert_msg(strstr(r.err, "2 lines rejected"), "summary: %s", r.err);
    kit_run_free(&r);

    ck_assert_int_eq(kit_run(&r, "k1,START,\n", T, kit_bin("reference"), "--input", "-", "--quiet", NULL), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(r.out_len == 0 && r.err_len == 0, "a quiet run without --dump-state printed: %s%s",
                  r.out, r.err);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

START_TEST(test_bad_command_line)
{
    static const char *bad[][4] = {
        { "--bogus", NULL, NULL }, { "--messages", "-1", NULL }, { "--keys", "0", NULL },
        { "--dist", "normal", NULL }, { "--control", "/tmp/x.sock", NULL }, { "extra", NULL, NULL },
        { "--control-private", NULL, NULL }, { "--control", "/tmp/x.sock", "--control-private", NULL },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct kit_run r;
        ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("reference"), bad[i][0], bad[i][1], bad[i][2],
                                 NULL), 0);
        ck_assert_msg(r.status == 2, "%s %s: expected exit 2, got %d", bad[i][0], bad[i][1] ? bad[i][1] : "",
                      r.status);
        ck_assert_msg(strncmp(r.err, "reference: ", 11) == 0 && strstr(r.err, "Usage:"),
                      "%s: expected a reason and the usage on stderr, got: %s", bad[i][0], r.err);
        ck_assert_msg(r.out_len == 0, "%s: stdout must stay empty, got: %s", bad[i][0], r.out);
        kit_run_free(&r);
    }
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("reference"), "--input", "/nonexistent/in.txt", NULL), 0);
    ck_assert_msg(r.status == 1, "a missing input file: expected exit 1, got %d", r.status);
    ck_assert_str_eq(r.err, "reference: cannot open '/nonexistent/in.txt': No such file or directory\n");
    kit_run_free(&r);
}
END_TEST

START_TEST(test_csv)
{
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("reference"), "--messages", "5000", "--csv", "--quiet", NULL), 0);
    ck_assert_int_eq(r.status, 0);
    char *header = strstr(r.out, "\nmessages,");
    ck_assert_msg(strncmp(r.out, "# ", 2) == 0 && header, "expected metadata lines, then the header: %s", r.out);
    ck_assert_msg(strstr(r.out, "# commit=") && strstr(r.out, "# cmd="), "metadata: %s", r.out);
    ck_assert_msg(strncmp(header + 1, "messages,seconds,msgs_per_s,", 28) == 0, "header: %s", header + 1);
    unsigned long long messages, keys, rejected;
    double seconds, rate;
    char *row = strchr(header + 1, '\n') + 1;
    ck_assert_msg(sscanf(row, "%llu,%lf,%lf,%llu,%llu", &messages, &seconds, &rate, &keys, &rejected) == 5,
                  "row: %s", row);
    ck_assert(messages == 5000 && keys == 100 && rejected == 0 && seconds > 0 && rate > 0);
    ck_assert_msg(strchr(row, '\n') && strchr(row, '\n')[1] == '\0', "more than one row: %s", row);
    kit_run_free(&r);
}
END_TEST

static Suite *reference_suite(void)
{
    const struct kit_case cases[] = {
        { "emit_replay", test_emit_replay, 60 },
        { "rejects_exit_65", test_rejects_exit_65, 30 },
        { "bad_command_line", test_bad_command_line, 30 },
        { "csv", test_csv, 30 },
    };
    return kit_suite("reference", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(reference_suite)
