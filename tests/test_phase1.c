/* test_phase1.c: bin/phase1, the pipeline on one libuv loop. Its dump equals
 * bin/reference's (inline, offloaded to the thread pool, from a file, paced);
 * a query is answered while the loop is busy with heavy --work; GET answers a
 * known key's dump row (the phase1-get exercise); SHUTDOWN drains;
 * exit codes and the --csv row follow SPEC §4 and §6. */
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

/* ------------------------------------------------------------ dumps */

struct dump_case {
    const char *dist, *seed, *work, *offload, *rate;
};

static const struct dump_case dump_cases[] = {
    { "uniform", "1", "0", "none", "0" },
    { "uniform", "2", "3", "none", "0" },
    { "zipf", "1", "0", "none", "0" },
    { "uniform", "1", "20", "threads", "0" },
    { "uniform", "3", "0", "threads", "0" },    /* work 0: nothing goes to the pool */
    { "zipf", "2", "20", "threads", "0" },      /* hot keys: long per-key chains */
    { "zipf", "4", "5", "threads", "20000" },   /* paced by the timer */
};
#define NDUMP (int)(sizeof dump_cases / sizeof dump_cases[0])

START_TEST(test_dump_equals_reference)
{
    const struct dump_case *c = &dump_cases[_i];
    int fds = kit_count_fds();
    const char *msgs = strcmp(c->rate, "0") ? "4000" : "20000";
    char *ref = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--messages", (char *)msgs,
                       "--keys", "60", "--dist", (char *)c->dist, "--seed", (char *)c->seed,
                       "--dump-state", "-", "--quiet", NULL });
    char *got = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("phase1"), "--messages", (char *)msgs,
                       "--keys", "60", "--dist", (char *)c->dist, "--seed", (char *)c->seed,
                       "--work", (char *)c->work, "--offload", (char *)c->offload,
                       "--rate", (char *)c->rate, "--dump-state", "-", "--quiet", NULL });
    char what[160];
    snprintf(what, sizeof what, "phase1 --dist %s --seed %s --work %s --offload %s --rate %s",
             c->dist, c->seed, c->work, c->offload, c->rate);
    kit_assert_same_dump(ref, got, what);
    free(ref);
    free(got);
    kit_assert_clean(fds);
}
END_TEST

/* --input: the file is read in slices between loop iterations; rejected lines
 * are reported, counted, skipped, and the run exits 65 with the same dump as
 * the reference on the same file. */
START_TEST(test_input_file_and_rejects)
{
    static const char *offloads[] = { "none", "threads" };
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/in.txt", dir);
    char *stream = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--emit", "--messages",
                          "5000", "--keys", "30", "--dist", "zipf", NULL });
    /* A few bad lines in the middle. */
    size_t n = strlen(stream);
    char *text = malloc(n + 200);
    size_t half = n / 2;
    while (stream[half] != '\n')
        half++;
    memcpy(text, stream, half + 1);
    strcpy(text + half + 1, "k1,FOO,1\nk2,DATA,nan\nbad key,START,\n");
    strcat(text, stream + half + 1);
    ck_assert_int_eq(kit_write_file(path, text), 0);
    unsigned long bad_line = 1;         /* the first bad line's number */
    for (size_t i = 0; i <= half; i++)
        bad_line += text[i] == '\n';
    char report[600];
    snprintf(report, sizeof report, "%s:%lu: ", path, bad_line);

    char *ref = kit_run_ok(65, T, (char *const[]){ (char *)kit_bin("reference"), "--input", path,
                       "--dump-state", "-", "--quiet", NULL });
    for (int i = 0; i < 2; i++) {
        struct kit_run r;
        ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase1"), "--input", path, "--work", "10",
                                 "--offload", offloads[i], "--dump-state", "-", NULL), 0);
        ck_assert_msg(r.status == 65, "offload %s: expected exit 65 for 3 bad lines, got %d: %s",
                      offloads[i], r.status, r.err);
        ck_assert_msg(strstr(r.err, report), "expected '%s' on stderr, got: %s", report, r.err);
        ck_assert_msg(strstr(r.err, "3 input lines rejected"), "summary must count 3 rejects: %s", r.err);
        kit_assert_same_dump(ref, r.out, offloads[i]);
        kit_run_free(&r);
    }
    free(ref);
    free(stream);
    free(text);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ queries */

/* Start argv with stdout/stderr on /dev/null. Returns the pid. */
static pid_t spawn(char *const argv[])
{
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Heavy work per message on the loop itself (no offload): still, a query sent
 * mid-run is answered between two messages, before the run ends. The run is
 * paced (--rate) so that it cannot end before the test asks. */
START_TEST(test_query_while_busy)
{
    static const char *offloads[] = { "none", "threads" };
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), sock[512], ans[1024];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    pid_t pid = spawn((char *const[]){ (char *)kit_bin("phase1"), "--messages", "400",
                      "--work", "4000", "--rate", "40", "--offload", (char *)offloads[_i],
                      "--control", sock, NULL });
    int fd = kit_connect_ctl(sock, pid);
    ck_assert_msg(ctlclient_request(fd, "STATS", ans, sizeof ans, 20000) > 0,
                  "no answer to STATS: %s", strerror(errno));
    unsigned long long processed = kit_stat_field(ans, "processed=");
    ck_assert_msg(processed < 400, "expected a mid-run answer (processed < 400), got %llu", processed);
    ck_assert_msg(kit_alive(pid), "the answer came only after the run ended");
    ck_assert_msg(ctlclient_request(fd, "GET k0000", ans, sizeof ans, 20000) > 0, "no answer to GET");
    ck_assert_msg(strncmp(ans, "k0000,", 6) == 0 || strcmp(ans, "ERR unknown key") == 0,
                  "GET k0000: expected a dump row or ERR unknown key, got '%s'", ans);
    ck_assert_msg(ctlclient_request(fd, "NOPE", ans, sizeof ans, 20000) > 0 &&
                  strncmp(ans, "ERR", 3) == 0, "expected ERR for NOPE, got '%s'", ans);
    ck_assert_msg(ctlclient_request(fd, "SHUTDOWN", ans, sizeof ans, 20000) > 0 &&
                  strcmp(ans, "OK") == 0, "expected OK for SHUTDOWN, got '%s'", ans);
    close(fd);
    ck_assert_int_eq(kit_reap_timeout(pid, T), 0);
    struct stat st;
    ck_assert_msg(stat(sock, &st) < 0, "the socket file %s outlived the run", sock);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* The built-in probe measures client round trips and lands in the CSV row. */
START_TEST(test_csv_row_and_probe)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), sock[512];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    char *out = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("phase1"), "--messages", "300",
                       "--rate", "1000", "--control", sock, "--probe-ms", "5", "--csv",
                       "--quiet", NULL });
    ck_assert_msg(strncmp(out, "# date=", 7) == 0, "CSV must start with metadata: %.80s", out);
    ck_assert_msg(strstr(out, "\n# cmd="), "no # cmd= line: %s", out);
    const char *hdr = strstr(out, "\nmessages,seconds,msgs_per_s,work,offload,lag_p50_ms,lag_p99_ms,"
                             "lag_max_ms,query_p50_us,query_p99_us,rejected");
    ck_assert_msg(hdr, "header missing or wrong: %s", out);
    const char *row = strchr(hdr + 1, '\n');
    ck_assert_msg(row && strncmp(row + 1, "300,", 4) == 0, "row must start with 300 messages: %s", out);
    /* The probe answered at least once: query_p50_us (9th field) is not empty. */
    const char *f = row + 1;
    for (int i = 0; i < 8; i++)
        f = strchr(f, ',') + 1;
    ck_assert_msg(*f != ',', "query_p50_us is empty although --probe-ms was on: %s", row + 1);
    free(out);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* --control-private (lib/ctl.h, CTLSRV_PRIVATE): while the run lasts the
 * socket's directory is 0700 and the socket 0600; after SHUTDOWN both are
 * gone. A directory others can enter is refused (exit 1) and left alone. */
START_TEST(test_control_private)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), priv[512], sock[600], ans[1024];
    snprintf(priv, sizeof priv, "%s/sub", dir);
    snprintf(sock, sizeof sock, "%s/ctl.sock", priv);
    pid_t pid = spawn((char *const[]){ (char *)kit_bin("phase1"), "--messages", "0", "--rate", "1000",
                      "--control", sock, "--control-private", NULL });
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
    ck_assert_int_eq(kit_reap_timeout(pid, T), 0);
    ck_assert_msg(lstat(sock, &st) < 0 && lstat(priv, &st) < 0, "the socket or its directory outlived the run");

    ck_assert_int_eq(mkdir(priv, 0755), 0);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase1"), "--messages", "10", "--control", sock,
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

/* ------------------------------------------------------------ slow input */

/* Start phase1 with argv's flags plus --input - --control SOCK, its stdin the
 * read end of a new pipe (write end returned in *wfd), stdout and stderr to
 * DIR/out and DIR/err. Returns the pid. */
static pid_t spawn_piped(const char *dir, const char *sock, const char *const *flags, int *wfd)
{
    char *argv[32], out[512], err[512];
    int n = 0;
    argv[n++] = (char *)kit_bin("phase1");
    argv[n++] = "--input";
    argv[n++] = "-";
    argv[n++] = "--control";
    argv[n++] = (char *)sock;
    for (; *flags && n < 31; flags++)
        argv[n++] = (char *)*flags;
    argv[n] = NULL;
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(err, sizeof err, "%s/err", dir);
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0)
            _exit(127);
        dup2(p[0], 0);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[0]);
    *wfd = p[1];
    return pid;
}

/* `--input -` fed by a slow writer (one line every 2 ms): every 40 lines, STATS
 * must show every line written so far taken and applied, and a GET must be
 * answered, before the test writes more. A loop that read its input with a
 * blocking read() would sit in it waiting for the next line and answer
 * nothing: the writer waits for the answer, the answer for the writer, and the
 * TCase timeout fails the test. The dump at EOF equals the reference's. */
START_TEST(test_slow_input_answered)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), sock[512], path[512], ans[1024];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    char *text = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--emit", "--messages",
                        "400", "--keys", "8", "--seed", "3", NULL });
    snprintf(path, sizeof path, "%s/in.txt", dir);
    ck_assert_int_eq(kit_write_file(path, text), 0);
    char *ref = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--input", path,
                       "--dump-state", "-", "--quiet", NULL });
    int wfd;
    pid_t pid = spawn_piped(dir, sock, (const char *const[]){ "--dump-state", "-", "--quiet", NULL },
                            &wfd);
    int cfd = kit_connect_ctl(sock, pid);
    unsigned long long lines = 0;
    for (const char *p = text; *p; ) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        ck_assert_int_eq(write(wfd, p, n), (ssize_t)n);
        p += n;
        lines++;
        kit_sleep_ms(2);
        if (lines % 40 != 0)
            continue;
        /* Bounded wait for the loop to take what was written (it is not
         * instantaneous: the reader thread, then the loop, must wake). */
        unsigned long long in = 0, done = 0;
        for (int i = 0; i < 2000 * kit_time_scale(); i++) {
            ck_assert_msg(ctlclient_request(cfd, "STATS", ans, sizeof ans, 20000) > 0,
                          "no answer to STATS after %llu lines: %s", lines, strerror(errno));
            in = kit_stat_field(ans, "messages_in=");
            done = kit_stat_field(ans, "processed=");
            if (done >= lines)
                break;
            kit_sleep_ms(5);
        }
        ck_assert_msg(in == lines && done == lines, "expected messages_in=%llu processed=%llu once "
                      "%llu lines were written, got: %s", lines, lines, lines, ans);
        ck_assert_msg(ctlclient_request(cfd, "GET k0001", ans, sizeof ans, 20000) > 0,
                      "no answer to GET after %llu lines: %s", lines, strerror(errno));
        ck_assert_msg(strncmp(ans, "k0001,", 6) == 0 || strcmp(ans, "ERR unknown key") == 0,
                      "GET k0001 mid-input: expected a dump row or ERR unknown key, got '%s'", ans);
    }
    close(cfd);
    close(wfd);
    int st = kit_reap_timeout(pid, T);
    char opath[512];
    snprintf(opath, sizeof opath, "%s/err", dir);
    char *err = kit_read_file(opath, NULL);
    ck_assert_msg(st == 0, "expected exit 0 at EOF, got %d: %s", st, err ? err : "");
    free(err);
    snprintf(opath, sizeof opath, "%s/out", dir);
    char *dump = kit_read_file(opath, NULL);
    ck_assert_msg(dump, "no dump written");
    kit_assert_same_dump(ref, dump, "slow --input -");
    free(dump);
    free(ref);
    free(text);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* SHUTDOWN while the writer is silent (its pipe open, nothing written after
 * the first lines): the run drains and exits 0 without waiting for another
 * line or EOF. The order is the assertion: the program has exited while the
 * test still holds the write end open. */
START_TEST(test_shutdown_idle_pipe)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), sock[512], ans[256];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    int wfd;
    pid_t pid = spawn_piped(dir, sock, (const char *const[]){ "--dump-state", "-", "--quiet", NULL },
                            &wfd);
    const char *lines = "k1,START,\nk1,DATA,2.5\nk2,START,\n";
    ck_assert_int_eq(write(wfd, lines, strlen(lines)), (ssize_t)strlen(lines));
    int cfd = kit_connect_ctl(sock, pid);
    for (int i = 0; i < 2000 * kit_time_scale(); i++) {
        ck_assert_msg(ctlclient_request(cfd, "STATS", ans, sizeof ans, 20000) > 0, "no STATS");
        if (kit_stat_field(ans, "processed=") >= 3)
            break;
        kit_sleep_ms(5);
    }
    ck_assert_msg(kit_stat_field(ans, "processed=") == 3, "expected processed=3, got: %s", ans);
    ck_assert_msg(ctlclient_request(cfd, "SHUTDOWN", ans, sizeof ans, 20000) > 0 &&
                  strcmp(ans, "OK") == 0, "expected OK for SHUTDOWN, got '%s'", ans);
    close(cfd);
    int st = kit_reap_timeout(pid, T);         /* the write end is still open here */
    close(wfd);
    ck_assert_msg(st == 0, "expected exit 0 after SHUTDOWN, got %d", st);
    char opath[512];
    snprintf(opath, sizeof opath, "%s/out", dir);
    char *dump = kit_read_file(opath, NULL);
    struct kit_run r;           /* the reference's dump of the lines that were read */
    ck_assert_int_eq(kit_run(&r, lines, T, kit_bin("reference"), "--input", "-", "--dump-state", "-",
                             "--quiet", NULL), 0);
    ck_assert_int_eq(r.status, 0);
    kit_assert_same_dump(r.out, dump ? dump : "", "SHUTDOWN on an idle pipe");
    kit_run_free(&r);
    free(dump);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* GET of a key the loop has applied answers that key's dump row, byte for byte
 * the row of bin/reference's dump of the same lines; GET of a key never seen
 * answers "ERR unknown key". The lines go through a pipe and the test waits
 * (STATS) until all are applied, so the expected row is known exactly. */
START_TEST(test_get_known_key)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), sock[512], ans[1024];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    const char *lines = "k1,START,\nk1,DATA,2.5\nk1,DATA,4\nk2,START,\n";
    struct kit_run r;           /* the reference's dump of these lines */
    ck_assert_int_eq(kit_run(&r, lines, T, kit_bin("reference"), "--input", "-", "--dump-state", "-",
                             "--quiet", NULL), 0);
    ck_assert_msg(r.status == 0, "reference: expected exit 0, got %d: %s", r.status, r.err);
    const char *row = strstr(r.out, "\nk1,");
    ck_assert_msg(row, "the reference's dump has no row for k1: %s", r.out);
    char want[1024];
    snprintf(want, sizeof want, "%.*s", (int)strcspn(row + 1, "\n"), row + 1);

    int wfd;
    pid_t pid = spawn_piped(dir, sock, (const char *const[]){ "--quiet", NULL }, &wfd);
    ck_assert_int_eq(write(wfd, lines, strlen(lines)), (ssize_t)strlen(lines));
    int cfd = kit_connect_ctl(sock, pid);
    for (int i = 0; i < 2000 * kit_time_scale(); i++) {
        ck_assert_msg(ctlclient_request(cfd, "STATS", ans, sizeof ans, 20000) > 0, "no STATS");
        if (kit_stat_field(ans, "processed=") >= 4)
            break;
        kit_sleep_ms(5);
    }
    ck_assert_msg(kit_stat_field(ans, "processed=") == 4, "expected processed=4, got: %s", ans);
    ck_assert_msg(ctlclient_request(cfd, "GET k1", ans, sizeof ans, 20000) > 0, "no answer to GET k1");
    ck_assert_msg(strcmp(ans, want) == 0,
                  "GET k1 after its 3 lines were applied: expected its dump row '%s', got '%s' "
                  "(the GET answer of on_query() in phase1_async/pipeline.c: exercise phase1-get)",
                  want, ans);
    ck_assert_msg(ctlclient_request(cfd, "GET k9", ans, sizeof ans, 20000) > 0, "no answer to GET k9");
    ck_assert_msg(strcmp(ans, "ERR unknown key") == 0,
                  "GET k9 (never seen): expected 'ERR unknown key', got '%s'", ans);
    ck_assert_msg(ctlclient_request(cfd, "SHUTDOWN", ans, sizeof ans, 20000) > 0 &&
                  strcmp(ans, "OK") == 0, "expected OK for SHUTDOWN, got '%s'", ans);
    close(cfd);
    int st = kit_reap_timeout(pid, T);
    close(wfd);
    ck_assert_msg(st == 0, "expected exit 0 after SHUTDOWN, got %d", st);
    kit_run_free(&r);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ exit codes */

static const char *const bad_flags[][4] = {
    { "--offload", "fibers", NULL },
    { "--rate", "-5", NULL },
    { "--heartbeat-ms", "0", NULL },
    { "--probe-ms", "10", NULL },           /* needs --control */
    { "--control-private", NULL },          /* needs --control */
    { "--pool", "2", NULL },                /* needs --offload threads */
    { "--no-such-flag", NULL },
    { "--messages", "ten", NULL },
};
#define NBAD (int)(sizeof bad_flags / sizeof bad_flags[0])

START_TEST(test_bad_flags_exit_2)
{
    int fds = kit_count_fds();
    char *argv[6] = { (char *)kit_bin("phase1") };
    for (int i = 0; bad_flags[_i][i]; i++)
        argv[i + 1] = (char *)bad_flags[_i][i];
    struct kit_run r;
    ck_assert_int_eq(kit_runv(&r, NULL, T, argv), 0);
    ck_assert_msg(r.status == 2, "%s: expected exit 2, got %d", bad_flags[_i][0], r.status);
    ck_assert_msg(strstr(r.err, "Usage:"), "%s: no usage on stderr: %s", bad_flags[_i][0], r.err);
    ck_assert_msg(r.out_len == 0, "%s: stdout must stay empty: %s", bad_flags[_i][0], r.out);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

START_TEST(test_missing_input_exit_1)
{
    int fds = kit_count_fds();
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase1"), "--input", "/nonexistent/x.txt", NULL), 0);
    ck_assert_msg(r.status == 1, "expected exit 1, got %d", r.status);
    ck_assert_msg(strstr(r.err, "/nonexistent/x.txt"), "the error must name the file: %s", r.err);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

static Suite *phase1_suite(void)
{
    Suite *s = suite_create("phase1");
    TCase *tc = kit_tcase(s, "dump", 120);
    tcase_add_loop_test(tc, test_dump_equals_reference, 0, NDUMP);
    tcase_add_test(tc, test_input_file_and_rejects);

    tc = kit_tcase(s, "query", 120);
    tcase_add_loop_test(tc, test_query_while_busy, 0, 2);
    tcase_add_test(tc, test_csv_row_and_probe);
    tcase_add_test(tc, test_control_private);
    tcase_add_test(tc, test_get_known_key);

    tc = kit_tcase(s, "slow_input", 120);
    tcase_add_test(tc, test_slow_input_answered);
    tcase_add_test(tc, test_shutdown_idle_pipe);

    tc = kit_tcase(s, "exit", 60);
    tcase_add_loop_test(tc, test_bad_flags_exit_2, 0, NBAD);
    tcase_add_test(tc, test_missing_input_exit_1);
    return s;
}

KIT_TEST_MAIN(phase1_suite)
