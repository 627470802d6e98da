/* test_phase4.c: bin/phase4, the process pool over shared memory, against
 * independent truths: bin/reference's dump (1..8 workers, generated streams
 * with bad lines, exit 65; and after repeated SIGKILLs of workers mid-run, so
 * exactly once), the rows a GET may see (the key's row after some prefix of the
 * stream, computed here with the state machine: never a torn one), and the
 * machine's state after the supervisor is SIGKILLed (no worker left, nothing
 * new in /dev/shm). */
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
#include "dump.h"
#include "fsm.h"
#include "kit_test.h"
#include "parse.h"

#define T 120                   /* seconds any one run may take */

/* The value of CSV column name in a --csv output (metadata, header, one row). */
static unsigned long long csv_u(const char *out, const char *name)
{
    char cell[64];
    return strtoull(kit_csv_cell(out, name, cell, sizeof cell), NULL, 10);
}

/* A generated stream (seed, keys, dist) of n messages in dir/in.txt with a bad
 * line after every 997th; returns the path and sets *bad to their count. */
static char *stream_with_bad_lines(const char *dir, const char *seed, const char *keys,
                                   const char *dist, int n, int *bad)
{
    char count[32];
    snprintf(count, sizeof count, "%d", n);
    char *text = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--emit", "--messages",
                            count, "--seed", (char *)seed, "--keys", (char *)keys, "--dist",
                            (char *)dist, NULL });
    static const char *const junk[] = { "k1,DATA,nan", "k1,JUMP,1", "bad key!,START,", "k1,DATA",
                                        "k1,DATA,1e999" };
    size_t cap = strlen(text) + (size_t)n / 997 * 32 + 64;
    char *out = malloc(cap), *o = out;
    int line = 0;
    *bad = 0;
    for (char *p = text, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        memcpy(o, p, (size_t)(nl - p + 1));
        o += nl - p + 1;
        if (++line % 997 == 0)
            o += sprintf(o, "%s\n", junk[(*bad)++ % 5]);
    }
    *o = '\0';
    char *path;
    ck_assert(asprintf(&path, "%s/in.txt", dir) > 0);
    ck_assert_int_eq(kit_write_file(path, out), 0);
    free(out);
    free(text);
    return path;
}

/* ------------------------------------------------------------ dumps */

static const char *const streams[][4] = {   /* dist, seed, keys, ring */
    { "uniform", "1", "100", "4096" },
    { "zipf", "3", "300", "64" },
};

/* _i: workers 1..8 x the two streams. */
START_TEST(test_dump_equals_reference)
{
    const char *const *st = streams[_i % 2];
    char workers[16];
    snprintf(workers, sizeof workers, "%d", _i / 2 + 1);
    int fds = kit_count_fds(), bad;
    char *dir = kit_tmpdir();
    char *in = stream_with_bad_lines(dir, st[1], st[2], st[0], 30000, &bad);
    char *ref = kit_run_ok(65, T, (char *const[]){ (char *)kit_bin("reference"), "--input", in,
                           "--dump-state", "-", "--quiet", NULL });
    char dump[600];
    snprintf(dump, sizeof dump, "%s/dump.csv", dir);
    char *out = kit_run_ok(65, T, (char *const[]){ (char *)kit_bin("phase4"), "--input", in,
                           "--workers", workers, "--ring", (char *)st[3], "--dump-state", dump,
                           "--csv", "--quiet", NULL });
    char *got = kit_read_file(dump, NULL), what[128];
    ck_assert_msg(got, "no dump written");
    snprintf(what, sizeof what, "phase4 --workers %s on a %s stream with %d bad lines", workers,
             st[0], bad);
    kit_assert_same_dump(ref, got, what);
    ck_assert_uint_eq(csv_u(out, "rejected"), (unsigned long long)bad);
    ck_assert_uint_eq(csv_u(out, "processed"), 30000);
    ck_assert_uint_eq(csv_u(out, "restarts"), 0);
    free(got);
    free(out);
    free(ref);
    free(in);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ queries */

/* The dump rows of key after each prefix of the stream in path: rows[n] is its
 * row once n of its messages are applied (rows[0] unused). */
static char **prefix_rows(const char *path, const char *key, size_t *count)
{
    char *text = kit_read_file(path, NULL);
    ck_assert(text);
    size_t cap = 1024, n = 1;
    char **rows = calloc(cap, sizeof *rows);
    struct keystate ks;
    fsm_init(&ks, key, strlen(key));
    for (char *p = text, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        struct msg m;
        char why[128];
        if (parse_line(p, (size_t)(nl - p), &m, why, sizeof why) < 0 || strcmp(m.key, key) != 0)
            continue;
        fsm_apply(&ks, m.op, m.value);
        if (n == cap)
            rows = realloc(rows, (cap *= 2) * sizeof *rows);
        rows[n] = malloc(DUMP_ROW_MAX);
        dump_row(&ks, rows[n++], DUMP_ROW_MAX);
    }
    free(text);
    *count = n;
    return rows;
}

/* GET k0000 as fast as the socket answers while 3 workers apply a stream with
 * CPU work: every row answered is the key's row after some prefix of the
 * stream (its `messages` field says which), and several prefixes are seen. */
START_TEST(test_get_never_torn)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), sock[600], ans[1024], path[600];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    snprintf(path, sizeof path, "%s/in.txt", dir);
    char *text = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--emit", "--messages",
                            "150000", "--keys", "3", "--seed", "9", NULL });
    ck_assert_int_eq(kit_write_file(path, text), 0);
    free(text);
    size_t nrows;
    char **rows = prefix_rows(path, "k0000", &nrows);
    pid_t pid = kit_spawn((char *const[]){ (char *)kit_bin("phase4"), "--input", path, "--workers", "3",
                      "--work", "10", "--control", sock, NULL }, NULL);
    int fd = kit_connect_ctl(sock, pid);
    unsigned long long last = 0, distinct = 0, gets = 0;
    while (ctlclient_request(fd, "GET k0000", ans, sizeof ans, 20000) > 0) {
        gets++;
        if (strcmp(ans, "ERR unknown key") == 0)
            continue;
        if (strcmp(ans, "ERR shutting down") == 0)
            break;              /* the stream is over */
        if (strncmp(ans, "ERR busy", 8) == 0)
            continue;           /* a writer preempted mid-write outlasted the reader's tries: not a row */
        char *f = strchr(ans, ',');
        f = f ? strchr(f + 1, ',') : NULL;
        ck_assert_msg(f, "GET k0000 #%llu: expected a dump row, got '%s'", gets, ans);
        unsigned long long n = strtoull(f + 1, NULL, 10);
        ck_assert_msg(n >= 1 && n < nrows, "GET k0000 #%llu: messages=%llu, the key has %zu", gets, n,
                      nrows - 1);
        ck_assert_msg(strcmp(ans, rows[n]) == 0, "GET k0000 #%llu is no prefix's row:\n  got  %s\n"
                      "  want %s (after its first %llu messages)", gets, ans, rows[n], n);
        ck_assert_msg(n >= last, "GET went back in time: messages %llu after %llu", n, last);
        distinct += n != last;
        last = n;
    }
    close(fd);
    ck_assert_int_eq(kit_reap_timeout(pid, T), 0);
    ck_assert_msg(distinct >= 5, "only %llu distinct rows in %llu GETs: the run was over too soon",
                  distinct, gets);
    for (size_t i = 1; i < nrows; i++)
        free(rows[i]);
    free(rows);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* SHUTDOWN while the writer is silent: OK, the workers drain, exit 0, and the
 * dump is the reference's for the lines written; GET and STATS before it. */
START_TEST(test_shutdown_and_get)
{
    int fds = kit_count_fds(), in;
    char *dir = kit_tmpdir(), sock[600], dump[600], ans[1024];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    snprintf(dump, sizeof dump, "%s/dump.csv", dir);
    pid_t pid = kit_spawn((char *const[]){ (char *)kit_bin("phase4"), "--input", "-", "--workers", "3",
                      "--control", sock, "--dump-state", dump, NULL }, &in);
    const char *lines = "k1,START,\nk1,DATA,2.5\nk2,START,\nk3,DATA,1\n";
    ck_assert_int_eq(write(in, lines, strlen(lines)), (ssize_t)strlen(lines));
    int fd = kit_connect_ctl(sock, pid);
    ck_assert_msg(kit_wait_stat(fd, "processed=", 4, ans, sizeof ans) == 4 && kit_stat_field(ans, "workers_alive=") == 3,
                  "expected processed=4 workers_alive=3: %s", ans);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, lines, T, kit_bin("reference"), "--input", "-", "--dump-state", "-",
                             "--quiet", NULL), 0);
    const char *k1 = strstr(r.out, "\nk1,") + 1;
    ck_assert_msg(ctlclient_request(fd, "GET k1", ans, sizeof ans, 20000) > 0 &&
                  strncmp(ans, k1, strlen(ans)) == 0 && k1[strlen(ans)] == '\n',
                  "GET k1: got '%s', the reference's row is '%.*s'", ans, (int)strcspn(k1, "\n"), k1);
    ck_assert_msg(ctlclient_request(fd, "GET k9", ans, sizeof ans, 20000) > 0 &&
                  strcmp(ans, "ERR unknown key") == 0, "GET k9: expected ERR unknown key, got '%s'", ans);
    ck_assert_msg(ctlclient_request(fd, "SHUTDOWN", ans, sizeof ans, 20000) > 0 &&
                  strcmp(ans, "OK") == 0, "expected OK for SHUTDOWN, got '%s'", ans);
    close(fd);
    int st = kit_reap_timeout(pid, T);  /* the write end is still open: no EOF */
    close(in);
    ck_assert_msg(st == 0, "expected exit 0 after SHUTDOWN, got %d", st);
    char *got = kit_read_file(dump, NULL);
    ck_assert_msg(got && strcmp(got, r.out) == 0, "dump after SHUTDOWN:\n%s\nexpected:\n%s",
                  got ? got : "(none)", r.out);
    free(got);
    kit_run_free(&r);
    struct stat stt;
    ck_assert_msg(stat(sock, &stt) < 0, "the socket file outlived the run");
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* SIGTERM while the writer is silent: the control thread's signal handling
 * stops the input, the workers drain, exit 0, and every line written is applied. */
START_TEST(test_sigterm_drains)
{
    int fds = kit_count_fds(), in;
    char *dir = kit_tmpdir(), sock[600], ans[256];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    pid_t pid = kit_spawn((char *const[]){ (char *)kit_bin("phase4"), "--input", "-", "--workers", "2",
                          "--control", sock, NULL }, &in);
    ck_assert_int_eq(write(in, "k1,START,\nk2,START,\n", 20), 20);
    int fd = kit_connect_ctl(sock, pid);
    ck_assert_msg(kit_wait_stat(fd, "processed=", 2, ans, sizeof ans) == 2, "expected processed=2: %s", ans);
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

/* ------------------------------------------------------------ kills */

/* SIGKILL a worker (in turn) every 15 ms (x kit_time_scale) while 3 workers apply 300 000 messages
 * through rings of 64 records: the run completes, respawns, and the dump is the
 * reference's: no message lost, none applied twice. */
START_TEST(test_worker_killed_mid_run)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), csv[600], dump[600];
    snprintf(csv, sizeof csv, "%s/run.csv", dir);
    snprintf(dump, sizeof dump, "%s/dump.csv", dir);
    char *ref = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--messages", "300000",
                           "--keys", "50", "--seed", "4", "--dump-state", "-", "--quiet", NULL });
    pid_t pid = fork();
    if (pid == 0) {
        int out = open(csv, O_WRONLY | O_CREAT | O_TRUNC, 0600), null = open("/dev/null", O_RDWR);
        dup2(out, 1);
        dup2(null, 2);
        execl(kit_bin("phase4"), "phase4", "--messages", "300000", "--keys", "50", "--seed", "4",
              "--workers", "3", "--ring", "64", "--work", "3", "--dump-state", dump, "--csv", (char *)NULL);
        _exit(127);
    }
    int kills = 0, st = 0;
    for (unsigned turn = 0; waitpid(pid, &st, WNOHANG) == 0; turn++) {
        pid_t w[4];
        int n = kit_children_of(pid, w, 4);
        if (n > 0 && kill(w[turn % (unsigned)n], SIGKILL) == 0)
            kills++;
        kit_sleep_ms((long)(15 * kit_time_scale()));    /* slower builds: fewer kills, same run */
    }
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "phase4 under kills: status 0x%x", st);
    char *out = kit_read_file(csv, NULL), *got = kit_read_file(dump, NULL);
    ck_assert_msg(out && got, "no CSV or no dump");
    ck_assert_msg(kills >= 3, "only %d kills landed: the run was too short to test anything", kills);
    ck_assert_msg(csv_u(out, "restarts") >= 1, "%d kills, yet no restart: %s", kills, out);
    ck_assert_uint_eq(csv_u(out, "processed"), 300000);
    char what[96];
    snprintf(what, sizeof what, "phase4 after %d worker SIGKILLs (%llu respawns)", kills,
             csv_u(out, "restarts"));
    kit_assert_same_dump(ref, got, what);
    free(out);
    free(got);
    free(ref);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* True if pid maps the run's memfd segment ("/memfd:phase4 (deleted)"). A
 * /proc file has no size: read it to its end. */
static int maps_memfd(pid_t pid)
{
    char path[64], buf[4096 + 16];
    snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
    FILE *f = fopen(path, "re");
    int yes = 0;
    while (f && !yes && fgets(buf, sizeof buf, f))
        yes = strstr(buf, "/memfd:phase4") != NULL;
    if (f)
        fclose(f);
    return yes;
}

/* SIGKILL the supervisor mid-run: within 2 s (x kit_time_scale) no worker is
 * alive (PR_SET_PDEATHSIG), and /dev/shm holds nothing new: the segment was
 * an anonymous memfd, mapped by the workers while they lived. */
START_TEST(test_supervisor_killed)
{
    enum { WORKERS = 3 };
    int fds = kit_count_fds(), shm = kit_shm_entries();
    pid_t sup = kit_spawn((char *const[]){ (char *)kit_bin("phase4"), "--messages", "0", "--work", "20",
                      "--workers", "3", NULL }, NULL);
    pid_t w[WORKERS + 1];
    int n = 0;
    for (int ms = 0; ms < 10000 * kit_time_scale() && n < WORKERS; ms += 10) {
        if ((n = kit_children_of(sup, w, WORKERS + 1)) < WORKERS)
            kit_sleep_ms(10);
    }
    if (n < WORKERS) {
        kill(sup, SIGKILL);
        waitpid(sup, NULL, 0);
        ck_abort_msg("found %d workers of phase4, expected %d", n, WORKERS);
    }
    for (int i = 0; i < n; i++)
        ck_assert_msg(maps_memfd(w[i]), "worker %d (parent %d) maps no /memfd:phase4 segment",
                      (int)w[i], (int)kit_live_parent(w[i]));
    ck_assert_int_eq(kill(sup, SIGKILL), 0);
    int st;
    ck_assert_int_eq(waitpid(sup, &st, 0), sup);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "phase4 ended before the SIGKILL (0x%x)", st);
    int alive = n;
    for (int ms = 0; ms <= 2000 * kit_time_scale() && alive; ms += 20) {
        alive = 0;
        for (int i = 0; i < n; i++)
            alive += kit_live_parent(w[i]) != 0;
        if (alive)
            kit_sleep_ms(20);
    }
    for (int i = 0; alive && i < n; i++)
        kill(w[i], SIGKILL);
    ck_assert_msg(alive == 0, "%d of %d workers alive 2 s after the supervisor's SIGKILL", alive, n);
    int now = kit_shm_settled(shm);
    ck_assert_msg(now == shm, "/dev/shm had %d entries before, %d after", shm, now);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ exit codes */

static const char *const bad_flags[][4] = {
    { "--workers", "0", NULL }, { "--workers", "1000", NULL }, { "--ring", "100", NULL },
    { "--ring", "1", NULL }, { "--max-keys", "0", NULL }, { "--pad", "maybe", NULL },
    { "--bogus", NULL }, { "--control-private", NULL },
};

START_TEST(test_bad_flags_exit_2)
{
    int fds = kit_count_fds();
    char *argv[6] = { (char *)kit_bin("phase4") };
    for (int i = 0; bad_flags[_i][i]; i++)
        argv[i + 1] = (char *)bad_flags[_i][i];
    struct kit_run r;
    ck_assert_int_eq(kit_runv(&r, NULL, T, argv), 0);
    ck_assert_msg(r.status == 2 && strstr(r.err, "Usage:"), "%s %s: expected exit 2 and the usage, "
                  "got %d: %s", bad_flags[_i][0], bad_flags[_i][1] ? bad_flags[_i][1] : "", r.status, r.err);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

/* More keys than rows: a clear runtime failure (exit 1), never a silent loss. */
START_TEST(test_too_many_keys_exit_1)
{
    int fds = kit_count_fds();
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase4"), "--keys", "50", "--max-keys", "10",
                             "--messages", "1000", NULL), 0);
    ck_assert_msg(r.status == 1 && strstr(r.err, "--max-keys"), "expected exit 1 naming --max-keys, "
                  "got %d: %s", r.status, r.err);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

static Suite *phase4_suite(void)
{
    Suite *s = suite_create("phase4");
    tcase_add_loop_test(kit_tcase(s, "dump", 180), test_dump_equals_reference, 0, 16);
    TCase *tc = kit_tcase(s, "query", 120);
    tcase_add_test(tc, test_get_never_torn);
    tcase_add_test(tc, test_shutdown_and_get);
    tcase_add_test(tc, test_sigterm_drains);
    tc = kit_tcase(s, "kills", 120);
    tcase_add_test(tc, test_worker_killed_mid_run);
    tcase_add_test(tc, test_supervisor_killed);
    tc = kit_tcase(s, "exit", 60);
    tcase_add_loop_test(tc, test_bad_flags_exit_2, 0, (int)(sizeof bad_flags / sizeof bad_flags[0]));
    tcase_add_test(tc, test_too_many_keys_exit_1);
    return s;
}

KIT_TEST_MAIN(phase4_suite)
