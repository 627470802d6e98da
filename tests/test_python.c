/* test_python.c: the Python lane's pipeline twins (bin/py_phase1, py_phase2,
 * py_phase3) against bin/reference, the independent truth. Each twin's dump
 * equals the reference's on a recorded stream with bad lines in it (exit 65,
 * the same INPUT:LINE: reason lines on stderr, byte for byte) and on the
 * built-in source (its PRNG and Zipf table are Python's own copy of
 * lib/source.c); --help and bad flags; py_phase3 answers GET and STATS while
 * the stream flows, drains on SHUTDOWN, and leaves no worker process behind;
 * py_phase1 and py_phase3 stop on SHUTDOWN or SIGTERM with a silent input;
 * a killed py_phase3 worker ends the run with exit 1.
 * The Python programs are not instrumented under VARIANT=asan/tsan: there these
 * tests check the Python, as they do everywhere. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctlclient.h"
#include "kit_test.h"

#define T 60                    /* seconds any one run may take */

static const char *const twins[] = { "py_phase1", "py_phase2", "py_phase3" };
static const char *const twin_flag[][2] = {      /* a pool of 2 where the twin has one */
    { "--offload", "none" }, { "--threads", "2" }, { "--workers", "2" },
};

/* Lines SPEC 1 rejects, one of each reason lib/parse.c gives, and lines it
 * skips or keeps (a -0 value, a last line without a newline follows them). */
static const char bad_block[] =
    "bad line\n" "k1,DATA,nan\n" "k1,DATA,1e999\n" ",DATA,1\n" "k\x01x,DATA,2\n"
    "k2,FOO,1\n" "k2,DATA,\n" "k3,START,abc\n" "k3,DATA,1\r\n" "#comment\n" "\n"
    "k4,DATA,0x10\n" "k4,,1\n" "k5,DATA,1_0\n" "k5,DATA, 1\n" "k12345678901234567890123456789012,START,\n"
    "k6,START,\n" "k6,DATA,-0\n" "k6,DATA,.5e-3\n";

/* dir/in.txt: a recorded stream, the bad block, a long line, more stream, and
 * a last line without its newline. Returns the malloc'd path. */
static char *write_stream(const char *dir, const char *dist, const char *seed)
{
    char *a = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--messages", "3000",
                         "--keys", "50", "--dist", (char *)dist, "--seed", (char *)seed, "--emit", NULL });
    char *b = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--messages", "2000",
                         "--keys", "80", "--seed", "9", "--emit", NULL });
    char *longline = malloc(5001);
    memset(longline, '7', 5000);
    memcpy(longline, "k7,DATA,", 8);
    longline[5000] = '\0';
    char *text, *path;
    ck_assert_int_ge(asprintf(&text, "%s%s%s\n%sk6,STOP,", a, bad_block, longline, b), 0);
    ck_assert_int_ge(asprintf(&path, "%s/in.txt", dir), 0);
    ck_assert_int_eq(kit_write_file(path, text), 0);
    free(a);
    free(b);
    free(longline);
    free(text);
    return path;
}

/* _i runs over twin x stream (uniform seed 1, zipf seed 3). */
START_TEST(test_dump_with_bad_lines)
{
    const char *twin = twins[_i / 2];
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), *path = write_stream(dir, _i % 2 ? "zipf" : "uniform", _i % 2 ? "3" : "1");
    struct kit_run ref, got;
    ck_assert_int_eq(kit_run(&ref, NULL, T, kit_bin("reference"), "--input", path, "--dump-state", "-",
                             "--quiet", NULL), 0);
    ck_assert_int_eq(ref.status, 65);
    ck_assert_int_eq(kit_run(&got, NULL, T, kit_bin(twin), "--input", path, twin_flag[_i / 2][0],
                             twin_flag[_i / 2][1], "--dump-state", "-", "--quiet", NULL), 0);
    ck_assert_msg(got.status == 65, "%s: expected exit 65, got %d: %.300s", twin, got.status, got.err);
    ck_assert_msg(strcmp(ref.err, got.err) == 0, "%s: rejected lines differ from the reference's:\n"
                  "expected:\n%s\ngot:\n%s", twin, ref.err, got.err);
    kit_assert_same_dump(ref.out, got.out, twin);
    kit_run_free(&ref);
    kit_run_free(&got);
    free(path);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* The built-in source, Zipf keys and --work: the same stream as lib/source.c
 * makes, so the same dump; exit 0. _i runs over the twins. */
START_TEST(test_builtin_source)
{
    int fds = kit_count_fds();
    char *ref = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--messages", "4000",
                           "--keys", "300", "--dist", "zipf", "--zipf-s", "0.9", "--seed", "42",
                           "--dump-state", "-", "--quiet", NULL });
    char *got = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin(twins[_i]), "--messages", "4000",
                           "--keys", "300", "--dist", "zipf", "--zipf-s", "0.9", "--seed", "42",
                           "--work", "1", (char *)twin_flag[_i][0], (char *)twin_flag[_i][1],
                           "--dump-state", "-", "--quiet", NULL });
    kit_assert_same_dump(ref, got, twins[_i]);
    free(ref);
    free(got);
    kit_assert_clean(fds);
}
END_TEST

/* --help: exit 0, the usage and the common flags; a bad flag: exit 2. */
START_TEST(test_help_and_bad_flags)
{
    int fds = kit_count_fds();
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin(twins[_i]), "--help", NULL), 0);
    ck_assert_msg(r.status == 0 && strstr(r.out, "usage:") && strstr(r.out, "--dump-state") &&
                  strstr(r.out, "--work"), "%s --help: exit %d, %.300s", twins[_i], r.status, r.out);
    kit_run_free(&r);
    const char *const bad[][2] = { { "--bogus", NULL }, { "--keys", "0" }, { "--work", "-1" },
                                   { twin_flag[_i][0], "0" }, { "--dist", "pareto" } };
    for (size_t b = 0; b < KIT_NELEM(bad); b++) {
        ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin(twins[_i]), bad[b][0], bad[b][1], NULL), 0);
        ck_assert_msg(r.status == 2 && strstr(r.err, "usage:"), "%s %s %s: expected exit 2 and the "
                      "usage, got %d: %s", twins[_i], bad[b][0], bad[b][1] ? bad[b][1] : "", r.status, r.err);
        kit_run_free(&r);
    }
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ py_phase3's queries */

/* The pids of a STATS line's pids=A,B,... into pids[0..n-1]; returns n. */
static int stat_pids(const char *stats, pid_t *pids, int max)
{
    const char *p = strstr(stats, "pids=");
    ck_assert_msg(p, "no pids= in STATS: %s", stats);
    int n = 0;
    for (p += 5; n < max && *p >= '0' && *p <= '9'; p += *p == ',') {
        char *end;
        pids[n++] = (pid_t)strtol(p, &end, 10);
        p = end;
    }
    return n;
}

/* 2 workers fed CPU-heavy lines from a pipe this test keeps open: GET and STATS
 * are answered while they work; once every line is applied, SHUTDOWN: OK, the
 * run ends although the pipe is still open, exit 0, the socket is gone, the
 * workers are gone, and the dump is the reference's for the lines written. */
START_TEST(test_py_phase3_query_and_shutdown)
{
    int fds = kit_count_fds(), in;
    char *dir = kit_tmpdir(), sock[512], dump[512], ans[1024];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    snprintf(dump, sizeof dump, "%s/dump.csv", dir);
    signal(SIGPIPE, SIG_IGN);
    pid_t pid = kit_spawn_stdin((char *const[]){ (char *)kit_bin("py_phase3"), "--input", "-", "--workers", "2",
                      "--work", "20", "--control", sock, "--dump-state", dump, "--quiet", NULL }, &in);
    char lines[8192];
    size_t len = 0;
    for (int i = 0; i < 200; i++)
        len += (size_t)snprintf(lines + len, sizeof lines - len, "k%d,%s,%d.25\n", i % 4,
                                i < 4 ? "START" : "DATA", i);
    ck_assert_int_eq(write(in, lines, len), (ssize_t)len);
    int fd = kit_connect_ctl(sock, pid);
    ck_assert_msg(ctlclient_request(fd, "GET k1", ans, sizeof ans, 20000) > 0, "no answer to GET k1");
    ck_assert_msg(strncmp(ans, "k1,", 3) == 0 || strcmp(ans, "ERR unknown key") == 0,
                  "GET k1: expected a dump row or ERR unknown key, got '%s'", ans);
    ck_assert_msg(ctlclient_request(fd, "GET zz", ans, sizeof ans, 20000) > 0 &&
                  strcmp(ans, "ERR unknown key") == 0, "GET zz: expected ERR unknown key, got '%s'", ans);
    ck_assert_msg(ctlclient_request(fd, "HELLO", ans, sizeof ans, 20000) > 0 && strncmp(ans, "ERR ", 4) == 0,
                  "HELLO: expected ERR, got '%s'", ans);
    ck_assert_msg(ctlclient_request(fd, "STATS", ans, sizeof ans, 20000) > 0, "no answer to STATS");
    ck_assert_msg(kit_stat_field(ans, "workers_alive=") == 2, "expected 2 workers alive: %s", ans);
    pid_t pids[2];
    ck_assert_int_eq(stat_pids(ans, pids, 2), 2);
    for (int i = 0; i < 3000 * kit_time_scale(); i++) {
        ck_assert_msg(ctlclient_request(fd, "STATS", ans, sizeof ans, 20000) > 0, "no answer to STATS");
        ck_assert_msg(kit_stat_field(ans, "processed=") <= 200, "processed beyond the input: %s", ans);
        if (kit_stat_field(ans, "processed=") == 200)
            break;
        kit_sleep_ms(10);
    }
    ck_assert_msg(kit_stat_field(ans, "processed=") == 200, "expected processed=200: %s", ans);
    ck_assert_msg(ctlclient_request(fd, "GET k1", ans, sizeof ans, 20000) > 0 &&
                  strncmp(ans, "k1,RUNNING,50,49,", 17) == 0, "GET k1 after 200 lines: got '%s'", ans);
    ck_assert_msg(ctlclient_request(fd, "SHUTDOWN", ans, sizeof ans, 20000) > 0 && strcmp(ans, "OK") == 0,
                  "expected OK for SHUTDOWN, got '%s'", ans);
    close(fd);
    int st = kit_reap_timeout(pid, T);          /* the write end is still open */
    close(in);
    ck_assert_msg(st == 0, "expected exit 0 after SHUTDOWN, got %d", st);
    struct stat stt;
    ck_assert_msg(stat(sock, &stt) < 0, "the socket file %s outlived the run", sock);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(kill(pids[i], 0) < 0 && errno == ESRCH, "worker %d (pid %d) outlived the run",
                      i, (int)pids[i]);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, lines, T, kit_bin("reference"), "--input", "-", "--dump-state", "-",
                             "--quiet", NULL), 0);
    char *got = kit_read_file(dump, NULL);
    ck_assert_msg(got, "no dump after SHUTDOWN");
    kit_assert_same_dump(r.out, got, "py_phase3 after SHUTDOWN");
    free(got);
    kit_run_free(&r);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* A stop while the input pipe is silent, by SHUTDOWN or by SIGTERM: the lines
 * read are applied, the run ends although the pipe stays open, exit 0, the
 * dump is the reference's for those lines, no socket left. _i runs over
 * {py_phase1, py_phase3} x {SHUTDOWN, SIGTERM}. */
START_TEST(test_stop_on_silent_pipe)
{
    const char *twin = _i / 2 ? "py_phase3" : "py_phase1";
    int fds = kit_count_fds(), in;
    char *dir = kit_tmpdir(), sock[512], dump[512], ans[1024];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    snprintf(dump, sizeof dump, "%s/dump.csv", dir);
    pid_t pid = kit_spawn_stdin((char *const[]){ (char *)kit_bin(twin), "--input", "-", "--control",
                                sock, "--dump-state", dump, NULL }, &in);
    const char *lines = "k1,START,\nk1,DATA,2.5\nk2,DATA,1\n";
    ck_assert_int_eq(write(in, lines, strlen(lines)), (ssize_t)strlen(lines));
    int fd = kit_connect_ctl(sock, pid);
    for (int i = 0; i < 2000 * kit_time_scale(); i++) {
        ck_assert_msg(ctlclient_request(fd, "STATS", ans, sizeof ans, 20000) > 0, "no answer to STATS");
        if (kit_stat_field(ans, "processed=") >= 3)
            break;
        kit_sleep_ms(5);
    }
    ck_assert_msg(kit_stat_field(ans, "processed=") == 3, "%s: expected processed=3: %s", twin, ans);
    ck_assert_msg(ctlclient_request(fd, "GET k1", ans, sizeof ans, 20000) > 0 &&
                  strncmp(ans, "k1,RUNNING,2,1,2.5,", 19) == 0, "%s: GET k1: got '%s'", twin, ans);
    if (_i % 2)
        ck_assert_int_eq(kill(pid, SIGTERM), 0);
    else
        ck_assert_msg(ctlclient_request(fd, "SHUTDOWN", ans, sizeof ans, 20000) > 0 &&
                      strcmp(ans, "OK") == 0, "%s: expected OK for SHUTDOWN, got '%s'", twin, ans);
    close(fd);
    int st = kit_reap_timeout(pid, T);
    close(in);
    ck_assert_msg(st == 0, "%s: expected exit 0 after %s, got %d", twin, _i % 2 ? "SIGTERM" : "SHUTDOWN", st);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, lines, T, kit_bin("reference"), "--input", "-", "--dump-state", "-",
                             "--quiet", NULL), 0);
    char *got = kit_read_file(dump, NULL);
    ck_assert_msg(got, "%s: no dump after the stop", twin);
    kit_assert_same_dump(r.out, got, twin);
    free(got);
    kit_run_free(&r);
    struct stat stt;
    ck_assert_msg(stat(sock, &stt) < 0, "%s: the socket file %s outlived the run", twin, sock);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* A worker killed mid-run: py_phase3 does not respawn, so its keys' state is
 * lost, and a run that lost data says so and exits 1 (never 0); the socket
 * and the other worker are gone with it. */
START_TEST(test_py_phase3_worker_killed)
{
    int fds = kit_count_fds(), in;
    char *dir = kit_tmpdir(), sock[512], ans[1024];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    pid_t pid = kit_spawn_stdin((char *const[]){ (char *)kit_bin("py_phase3"), "--input", "-", "--workers", "2",
                      "--control", sock, NULL }, &in);
    ck_assert_int_eq(write(in, "k1,START,\n", 10), 10);
    int fd = kit_connect_ctl(sock, pid);
    ck_assert_msg(ctlclient_request(fd, "STATS", ans, sizeof ans, 20000) > 0, "no answer to STATS");
    close(fd);
    pid_t pids[2];
    ck_assert_int_eq(stat_pids(ans, pids, 2), 2);
    ck_assert_int_eq(kill(pids[0], SIGKILL), 0);
    int st = kit_reap_timeout(pid, T);
    close(in);
    ck_assert_msg(st == 1, "expected exit 1 after a worker was killed, got %d", st);
    struct stat stt;
    ck_assert_msg(stat(sock, &stt) < 0, "the socket file %s outlived the run", sock);
    for (int i = 0; i < 50 && kill(pids[1], 0) == 0; i++)
        kit_sleep_ms(100);      /* the survivor is killed by the supervisor; let it go */
    ck_assert_msg(kill(pids[1], 0) < 0 && errno == ESRCH, "worker 1 (pid %d) outlived the run",
                  (int)pids[1]);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

static Suite *python_suite(void)
{
    Suite *s = suite_create("python");
    TCase *tc = kit_tcase(s, "dump", 120);
    tcase_add_loop_test(tc, test_dump_with_bad_lines, 0, 6);
    tc = kit_tcase(s, "source", 120);
    tcase_add_loop_test(tc, test_builtin_source, 0, 3);
    tc = kit_tcase(s, "help", 60);
    tcase_add_loop_test(tc, test_help_and_bad_flags, 0, 3);
    tc = kit_tcase(s, "query", 120);
    tcase_add_test(tc, test_py_phase3_query_and_shutdown);
    tcase_add_test(tc, test_py_phase3_worker_killed);
    tcase_add_loop_test(tc, test_stop_on_silent_pipe, 0, 4);
    return s;
}

KIT_TEST_MAIN(python_suite)
