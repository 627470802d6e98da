/* test_phase2.c: bin/phase2, the thread pool over one shared registry. Every
 * lock mode with per-thread queues gives bin/reference's dump, at 1 to 4
 * threads, for several seeds and Zipf keys; the order-break counters are 0
 * where the order is kept and agree with the summary and the dump where a
 * shared queue breaks it; --lock global with 2 threads and CPU work shows
 * contention; a query is answered while the workers are saturated; exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlclient.h"
#include "kit_test.h"

#define T 60                    /* seconds any one run may take */

/* The value of CSV column `name` in a --csv output (metadata, header, one row). */
static double csv_value(const char *out, const char *name)
{
    char cell[64];
    return strtod(kit_csv_cell(out, name, cell, sizeof cell), NULL);
}

/* ------------------------------------------------------------ dumps */

static const char *const locks[] = { "global", "registry", "sharded" };
static const char *const streams[][4] = {     /* dist, seed, keys, work */
    { "uniform", "1", "100", "0" },
    { "uniform", "2", "7", "2" },
    { "zipf", "3", "200", "0" },
};

/* _i runs over lock x threads 1..4 x stream. */
START_TEST(test_dump_equals_reference)
{
    const char *lock = locks[_i / 12];
    char threads[16];
    snprintf(threads, sizeof threads, "%d", _i / 3 % 4 + 1);
    const char *const *st = streams[_i % 3];
    int fds = kit_count_fds();
    char *ref = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--messages", "20000",
                       "--keys", (char *)st[2], "--dist", (char *)st[0], "--seed", (char *)st[1],
                       "--dump-state", "-", "--quiet", NULL });
    char *got = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("phase2"), "--messages", "20000",
                       "--keys", (char *)st[2], "--dist", (char *)st[0], "--seed", (char *)st[1],
                       "--work", (char *)st[3], "--threads", threads, "--lock", (char *)lock,
                       "--queue", "per-thread", "--dump-state", "-", "--quiet", NULL });
    char what[160];
    snprintf(what, sizeof what, "phase2 --lock %s --threads %s --dist %s --seed %s", lock,
             threads, st[0], st[1]);
    kit_assert_same_dump(ref, got, what);
    free(ref);
    free(got);
    kit_assert_clean(fds);
}
END_TEST

/* --input with bad lines: counted, exit 65, the same dump as the reference's. */
START_TEST(test_input_rejects_exit_65)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/in.txt", dir);
    ck_assert_int_eq(kit_write_file(path, "k1,START,\nk1,DATA,2.5\nk1,DATA,1e999\n# note\n"
                                          "k2,START\nk1,DATA,-1\nk1,STOP,\n"), 0);
    char *ref = kit_run_ok(65, T, (char *const[]){ (char *)kit_bin("reference"), "--input", path,
                       "--dump-state", "-", "--quiet", NULL });
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase2"), "--input", path, "--threads", "2",
                             "--dump-state", "-", NULL), 0);
    ck_assert_msg(r.status == 65, "expected exit 65, got %d: %s", r.status, r.err);
    ck_assert_msg(strstr(r.err, ":3: ") && strstr(r.err, ":5: "),
                  "expected reports for lines 3 and 5: %s", r.err);
    ck_assert_msg(strstr(r.err, "2 input lines rejected"), "summary must count 2: %s", r.err);
    kit_assert_same_dump(ref, r.out, "phase2 --input with bad lines");
    kit_run_free(&r);
    free(ref);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ the lessons */

/* Rows of two dumps of the same keys that differ (the header included). */
static int rows_differing(const char *want, const char *got)
{
    int n = 0;
    while (*want && *got) {
        size_t wl = strcspn(want, "\n"), gl = strcspn(got, "\n");
        n += wl != gl || memcmp(want, got, wl) != 0;
        want += wl + (want[wl] == '\n');
        got += gl + (got[gl] == '\n');
    }
    ck_assert_msg(!*want && !*got, "the dumps have different numbers of rows");
    return n;
}

/* The order-break counters of one phase2 run, checked against each other, the
 * summary and the dump. A key none of whose messages came late was applied in
 * stream order, so its row equals bin/reference's: the rows that differ are
 * among the broken keys, and with no break the dump is the reference's.
 * Returns order_breaks. */
static double check_order_breaks(const char *what, const char *const *stream, int nkeys,
                                 const char *threads, const char *queue, const char *lock,
                                 const char *work)
{
    char *dir = kit_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/dump.csv", dir);
    char *argv[24] = { (char *)kit_bin("reference") };
    int n = 1;
    for (int i = 0; stream[i]; i++)
        argv[n++] = (char *)stream[i];
    argv[n++] = "--dump-state", argv[n++] = "-", argv[n++] = "--quiet", argv[n] = NULL;
    char *ref = kit_run_ok(0, T, argv);
    argv[0] = (char *)kit_bin("phase2");
    n -= 3;
    const char *more[] = { "--threads", threads, "--queue", queue, "--lock", lock, "--work", work,
                           "--dump-state", path, "--csv", NULL };
    for (int i = 0; more[i]; i++)
        argv[n++] = (char *)more[i];
    argv[n] = NULL;
    struct kit_run r;
    ck_assert_int_eq(kit_runv(&r, NULL, T, argv), 0);
    ck_assert_msg(r.status == 0, "%s: exit %d: %s", what, r.status, r.err);
    double breaks = csv_value(r.out, "order_breaks"), keys = csv_value(r.out, "order_broken_keys");
    ck_assert_msg(keys >= 0 && keys <= nkeys && keys <= breaks && (breaks > 0) == (keys > 0),
                  "%s: expected 0 <= order_broken_keys <= min(%d keys, order_breaks) and both 0 or "
                  "both > 0, got order_breaks %g, order_broken_keys %g", what, nkeys, breaks, keys);
    if (strcmp(queue, "shared") == 0) {
        char line[160];
        snprintf(line, sizeof line, "the order broke for %.0f of %d keys: %.0f messages were "
                 "applied after a later message", keys, nkeys, breaks);
        ck_assert_msg(strstr(r.err, line), "%s: expected '%s' in the summary: %s", what, line, r.err);
    }
    char *got = kit_read_file(path, NULL);
    ck_assert_msg(got, "%s: no dump at %s", what, path);
    int differ = rows_differing(ref, got);
    ck_assert_msg(differ <= keys, "%s: %d rows differ from bin/reference but only %g keys had "
                  "their order broken", what, differ, keys);
    kit_run_free(&r);
    free(got);
    free(ref);
    kit_rmtree(dir);
    free(dir);
    return breaks;
}

static const char *const few_hot[] = { "--messages", "20000", "--keys", "7", "--dist", "zipf",
                                       "--zipf-s", "1.5", "--seed", "5", NULL };
static const char *const many[] = { "--messages", "20000", "--keys", "300", "--seed", "6", NULL };

/* Nothing can break the order where each key has one thread: per-thread queues
 * at 1..4 threads, and one shared queue with one thread: 0 breaks, 0 keys, the
 * reference's dump. _i runs over the lock modes. */
START_TEST(test_order_kept_counts_zero)
{
    int fds = kit_count_fds();
    for (int t = 1; t <= 4; t++) {
        char threads[16], what[96];
        snprintf(threads, sizeof threads, "%d", t);
        snprintf(what, sizeof what, "--queue per-thread --threads %d --lock %s", t, locks[_i]);
        double b = check_order_breaks(what, few_hot, 7, threads, "per-thread", locks[_i], "20");
        ck_assert_msg(b == 0, "%s: expected order_breaks 0, got %g", what, b);
    }
    char what[96];
    snprintf(what, sizeof what, "--queue shared --threads 1 --lock %s", locks[_i]);
    double b = check_order_breaks(what, few_hot, 7, "1", "shared", locks[_i], "20");
    ck_assert_msg(b == 0, "%s: expected order_breaks 0, got %g", what, b);
    kit_assert_clean(fds);
}
END_TEST

/* A shared queue with 2 threads and CPU work: how many breaks depends on the
 * scheduler (on one core it may well be 0), but the counters must agree with
 * each other, with the summary and with the dump (check_order_breaks): few hot
 * keys (most breaks), and 300 keys (some keys broken, some not). _i runs over
 * lock mode x stream. */
START_TEST(test_shared_queue_counts_order_breaks)
{
    int fds = kit_count_fds();
    const char *lock = locks[_i / 2];
    char what[96];
    snprintf(what, sizeof what, "--queue shared --threads 2 --work 20 --lock %s, %s", lock,
             _i % 2 ? "300 keys" : "7 hot keys");
    check_order_breaks(what, _i % 2 ? many : few_hot, _i % 2 ? 300 : 7, "2", "shared", lock, "20");
    kit_assert_clean(fds);
}
END_TEST

/* The GIL in C: two threads with CPU work under one lock must queue on it. */
START_TEST(test_global_lock_contends)
{
    int fds = kit_count_fds();
    char *out = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("phase2"), "--messages", "600",
                       "--work", "2000", "--threads", "2", "--lock", "global", "--csv",
                       "--quiet", NULL });
    double contended = csv_value(out, "contended"), share = csv_value(out, "lock_wait_share");
    ck_assert_msg(contended > 0, "--lock global, 2 threads, work 2000: expected contended > 0, "
                  "got %g\n%s", contended, out);
    ck_assert_msg(share > 0 && share < 1, "expected 0 < lock_wait_share < 1, got %g", share);
    ck_assert_msg(csv_value(out, "vol_cs") > 0, "a thread that waits on a lock sleeps: "
                  "expected voluntary context switches > 0\n%s", out);
    free(out);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ queries */

/* The stream comes from a pipe this test holds open, so the run cannot end
 * before the answers are in: 2 threads are fed CPU-heavy messages, and GET and
 * STATS are answered while they work (GET waits for the key's lock only). */
START_TEST(test_query_while_saturated)
{
    int fds = kit_count_fds(), in;
    char *dir = kit_tmpdir(), sock[512], ans[1024], line[64];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    signal(SIGPIPE, SIG_IGN);
    pid_t pid = kit_spawn_stdin((char *const[]){ (char *)kit_bin("phase2"), "--input", "-", "--threads", "2",
                      "--work", "2000", "--lock", (char *)locks[_i], "--control", sock, NULL }, &in);
    for (int i = 0; i < 200; i++) {
        int n = snprintf(line, sizeof line, "k%d,%s,%d\n", i % 4, i < 4 ? "START" : "DATA", i);
        ck_assert_int_eq(write(in, line, (size_t)n), n);
    }
    int fd = kit_connect_ctl(sock, pid);
    ck_assert_msg(ctlclient_request(fd, "GET k1", ans, sizeof ans, 20000) > 0,
                  "no answer to GET k1: %s", strerror(errno));
    ck_assert_msg(strncmp(ans, "k1,", 3) == 0 || strcmp(ans, "ERR unknown key") == 0,
                  "GET k1: expected a dump row or ERR unknown key, got '%s'", ans);
    ck_assert_msg(ctlclient_request(fd, "STATS", ans, sizeof ans, 20000) > 0, "no answer to STATS");
    ck_assert_msg(kit_stat_field(ans, "processed=") <= 200, "processed beyond the input: %s", ans);
    ck_assert_msg(kit_stat_field(ans, "workers_alive=") == 2, "expected 2 workers alive: %s", ans);
    ck_assert_msg(kit_alive(pid), "the program ended while its input was still open");
    close(in);                  /* end of input: the run drains and ends */
    ck_assert_msg(ctlclient_request(fd, "GET nokey", ans, sizeof ans, 20000) < 0 ||
                  strcmp(ans, "ERR unknown key") == 0 || strncmp(ans, "ERR", 3) == 0,
                  "GET nokey: expected ERR, got '%s'", ans);
    close(fd);
    ck_assert_int_eq(kit_reap_timeout(pid, T), 0);
    struct stat stt;
    ck_assert_msg(stat(sock, &stt) < 0, "the socket file %s outlived the run", sock);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* SHUTDOWN while the writer is silent: OK, then the dispatcher stops reading
 * and the pool drains, although the pipe stays open and no line comes (the
 * dispatcher was waiting inside a read: the control thread interrupts it).
 * The order is the assertion: the program has exited while this test still
 * holds the write end. The dump is the reference's for the lines written. */
START_TEST(test_shutdown)
{
    int fds = kit_count_fds(), in;
    char *dir = kit_tmpdir(), sock[512], dump[512], ans[256];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    snprintf(dump, sizeof dump, "%s/dump.csv", dir);
    pid_t pid = kit_spawn_stdin((char *const[]){ (char *)kit_bin("phase2"), "--input", "-", "--threads", "3",
                      "--control", sock, "--dump-state", dump, NULL }, &in);
    const char *lines = "k1,START,\nk1,DATA,2.5\nk2,START,\nk3,DATA,1\n";
    ck_assert_int_eq(write(in, lines, strlen(lines)), (ssize_t)strlen(lines));
    int fd = kit_connect_ctl(sock, pid);
    /* Bounded wait until the lines are applied: then the dispatcher can only be
     * waiting for the next line. */
    for (int i = 0; i < 2000 * kit_time_scale(); i++) {
        ck_assert_msg(ctlclient_request(fd, "STATS", ans, sizeof ans, 20000) > 0, "no answer to STATS");
        if (kit_stat_field(ans, "processed=") >= 4)
            break;
        kit_sleep_ms(5);
    }
    ck_assert_msg(kit_stat_field(ans, "processed=") == 4, "expected processed=4, got: %s", ans);
    ck_assert_msg(ctlclient_request(fd, "SHUTDOWN", ans, sizeof ans, 20000) > 0 &&
                  strcmp(ans, "OK") == 0, "expected OK for SHUTDOWN, got '%s'", ans);
    close(fd);
    int st = kit_reap_timeout(pid, T);         /* the write end is still open: no line, no EOF */
    close(in);
    ck_assert_msg(st == 0, "expected exit 0 after SHUTDOWN, got %d", st);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, lines, T, kit_bin("reference"), "--input", "-", "--dump-state", "-",
                             "--quiet", NULL), 0);
    ck_assert_int_eq(r.status, 0);
    char *got = kit_read_file(dump, NULL);
    ck_assert_msg(got && strcmp(got, r.out) == 0, "dump after SHUTDOWN differs from the reference's:\n"
                  "%s\nexpected:\n%s", got ? got : "(none)", r.out);
    free(got);
    kit_run_free(&r);
    struct stat stt;
    ck_assert_msg(stat(sock, &stt) < 0, "the socket file %s outlived the run", sock);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* SIGTERM while the writer is silent: the same graceful stop as SHUTDOWN. */
START_TEST(test_sigterm_idle_pipe)
{
    int fds = kit_count_fds(), in;
    char *dir = kit_tmpdir(), sock[512], ans[256];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    pid_t pid = kit_spawn_stdin((char *const[]){ (char *)kit_bin("phase2"), "--input", "-", "--threads", "2",
                      "--control", sock, NULL }, &in);
    ck_assert_int_eq(write(in, "k1,START,\n", 10), 10);
    int fd = kit_connect_ctl(sock, pid);
    for (int i = 0; i < 2000 * kit_time_scale(); i++) {
        ck_assert_msg(ctlclient_request(fd, "STATS", ans, sizeof ans, 20000) > 0, "no answer to STATS");
        if (kit_stat_field(ans, "processed=") >= 1)
            break;
        kit_sleep_ms(5);
    }
    close(fd);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    int st = kit_reap_timeout(pid, T);
    close(in);
    ck_assert_msg(st == 0, "expected exit 0 after SIGTERM, got %d", st);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* --control-private (lib/ctl.h, CTLSRV_PRIVATE), on the control thread: while
 * the run lasts the socket's directory is 0700 and the socket 0600; after
 * SHUTDOWN both are gone. A directory others can enter is refused (exit 1)
 * and left alone. */
START_TEST(test_control_private)
{
    int fds = kit_count_fds(), in;
    char *dir = kit_tmpdir(), priv[512], sock[600], ans[256];
    snprintf(priv, sizeof priv, "%s/sub", dir);
    snprintf(sock, sizeof sock, "%s/ctl.sock", priv);
    pid_t pid = kit_spawn_stdin((char *const[]){ (char *)kit_bin("phase2"), "--input", "-", "--threads", "2",
                      "--control", sock, "--control-private", NULL }, &in);
    int fd = kit_connect_ctl(sock, pid);
    struct stat st;
    ck_assert_int_eq(lstat(priv, &st), 0);
    ck_assert_msg(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700, "directory mode %04o, expected 0700",
                  (unsigned)(st.st_mode & 07777));
    ck_assert_int_eq(lstat(sock, &st), 0);
    ck_assert_msg(S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0600, "socket mode %04o, expected 0600",
                  (unsigned)(st.st_mode & 07777));
    ck_assert_msg(ctlclient_request(fd, "SHUTDOWN", ans, sizeof ans, 20000) > 0 &&
                  strcmp(ans, "OK") == 0, "expected OK for SHUTDOWN, got '%s'", ans);
    close(fd);
    int status = kit_reap_timeout(pid, T);
    close(in);
    ck_assert_msg(status == 0, "expected exit 0 after SHUTDOWN, got %d", status);
    ck_assert_msg(lstat(sock, &st) < 0 && lstat(priv, &st) < 0, "the socket or its directory outlived the run");

    ck_assert_int_eq(mkdir(priv, 0755), 0);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase2"), "--messages", "10", "--control", sock,
                             "--control-private", NULL), 0);
    ck_assert_msg(r.status == 1 && strstr(r.err, "mode 0755"), "expected exit 1 naming mode 0755, got %d: %s",
                  r.status, r.err);
    ck_assert_msg(lstat(priv, &st) == 0 && (st.st_mode & 07777) == 0755 && lstat(sock, &st) < 0,
                  "the refused directory was touched");
    kit_run_free(&r);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ exit codes */

static const char *const bad_flags[][4] = {
    { "--lock", "gil", NULL },
    { "--queue", "none", NULL },
    { "--threads", "0", NULL },
    { "--threads", "100000", NULL },
    { "--shards", "0", NULL },
    { "--bogus", NULL },
    { "--control-private", NULL },          /* needs --control */
};
#define NBAD (int)(sizeof bad_flags / sizeof bad_flags[0])

START_TEST(test_bad_flags_exit_2)
{
    int fds = kit_count_fds();
    char *argv[6] = { (char *)kit_bin("phase2") };
    for (int i = 0; bad_flags[_i][i]; i++)
        argv[i + 1] = (char *)bad_flags[_i][i];
    struct kit_run r;
    ck_assert_int_eq(kit_runv(&r, NULL, T, argv), 0);
    ck_assert_msg(r.status == 2, "%s: expected exit 2, got %d", bad_flags[_i][0], r.status);
    ck_assert_msg(strstr(r.err, "Usage:"), "%s: no usage on stderr: %s", bad_flags[_i][0], r.err);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

static Suite *phase2_suite(void)
{
    Suite *s = suite_create("phase2");
    TCase *tc = kit_tcase(s, "dump", 180);
    tcase_add_loop_test(tc, test_dump_equals_reference, 0, 36);
    tcase_add_test(tc, test_input_rejects_exit_65);

    tc = kit_tcase(s, "lessons", 120);
    tcase_add_loop_test(tc, test_order_kept_counts_zero, 0, 3);
    tcase_add_loop_test(tc, test_shared_queue_counts_order_breaks, 0, 6);
    tcase_add_test(tc, test_global_lock_contends);

    tc = kit_tcase(s, "query", 120);
    tcase_add_loop_test(tc, test_query_while_saturated, 0, 3);
    tcase_add_test(tc, test_shutdown);
    tcase_add_test(tc, test_sigterm_idle_pipe);
    tcase_add_test(tc, test_control_private);

    tcase_add_loop_test(kit_tcase(s, "exit", 60), test_bad_flags_exit_2, 0, NBAD);
    return s;
}

KIT_TEST_MAIN(phase2_suite)
