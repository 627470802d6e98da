/* test_phase3_faults.c: bin/phase3 against the faults of issue 12, each placed
 * at a chosen point (a worker stopped before its input arrives, a supervisor
 * killed after its Nth snapshot), never by the clock:
 *   stuck_in_drain        a SIGSTOPped worker while the run drains: the grace
 *                         deadline kills it, --recovery on respawns and replays
 *                         it (dump == bin/reference, exit 0);
 *   stuck_recovery_off    the same with --recovery off: the state is lost and
 *                         the run exits 1 with a one-line reason;
 *   hung_mid_run          a worker SIGSTOPped mid-run while it owes acks: killed
 *                         after --hang-ms, recovered; STATS hangs>=1, the
 *                         summary names it;
 *   foreign_child         phase3 exec'd by a process that has a child of its
 *                         own: that child is not waited for;
 *   supervisor_killed     --state-dir: the supervisor SIGKILLed right after its
 *                         Nth snapshot (found by watching the directory),
 *                         --resume, killed again, a snapshot of another run
 *                         refused (exit 2), the newest snapshot corrupted (the
 *                         one before it used), resumed and stopped by SHUTDOWN:
 *                         dump == bin/reference's for the messages it read.
 * The input goes through a pipe the test writes, so it decides what a worker
 * owes when it is stopped. After each: no fd, no child left. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"
#include "phase3_bg.h"

#define T 30                    /* seconds any one foreground run may take */

/* A stream from bin/reference --emit (malloc'd text). */
static char *emit_stream(const char *messages, const char *keys, const char *seed)
{
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("reference"), "--emit", "--messages", messages, "--keys", keys,
                             "--dist", "zipf", "--seed", seed, NULL), 0);
    ck_assert_msg(r.status == 0, "bin/reference --emit exited %d: %s", r.status, r.err);
    char *out = r.out;
    r.out = NULL;
    kit_run_free(&r);
    return out;
}

/* bin/reference's dump of a stream given as text. */
static char *reference_of(const char *text)
{
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, text, T, kit_bin("reference"), "--input", "-", "--dump-state", "-", "--quiet",
                             NULL), 0);
    ck_assert_msg(r.status == 0, "bin/reference exited %d: %s", r.status, r.err);
    char *out = r.out;
    r.out = NULL;
    kit_run_free(&r);
    return out;
}

/* The first n lines of text (a static copy's start is text itself: returns the length). */
static size_t lines_len(const char *text, size_t n)
{
    const char *p = text;
    for (size_t i = 0; i < n && *p; i++) {
        const char *e = strchr(p, '\n');
        p = e ? e + 1 : p + strlen(p);
    }
    return (size_t)(p - text);
}

/* Start phase3 --input - reading a pipe; *wfd is the test's end (CLOEXEC, so
 * phase3 does not hold it open). */
static void start_piped(struct bg *b, const char *const *flags, int *wfd)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    bg_start_in(b, flags, p[0]);
    close(p[0]);
    *wfd = p[1];
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        ck_assert_msg(w > 0, "write to phase3's input: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

/* Poll STATS until name >= want (or the run ends); returns the last value. */
static long wait_stat(struct bg *b, const char *name, long want, char *stats, size_t len)
{
    long v = -1;
    for (int i = 0; i < 20000; i++) {
        if (bg_try(b, "STATS", stats, len) < 0)
            return v;
        if ((v = stat_of(stats, name)) >= want)
            return v;
        kit_sleep_ms(5);
    }
    return v;
}

/* ------------------------------------------------------------ stuck in the drain */

static void stuck_in_drain(int recovery)
{
    int fds = kit_count_fds();
    char *text = emit_stream("3000", "60", "31");
    char *ref = reference_of(text);
    /* --queue-depth 4096: all 3000 messages are routed at once, so the input
     * ends and the drain starts although worker 0 never acks; --hang-ms 0:
     * this is the drain's deadline at work, not the hang detector. */
    const char *flags[] = { "--input", "-", "--workers", "2", "--queue-depth", "4096", "--grace-ms", "300",
                            "--hang-ms", "0", "--recovery", recovery ? "on" : "off", "--dump-state", "@/dump.csv",
                            NULL };
    struct bg b;
    int wfd;
    start_piped(&b, flags, &wfd);
    char stats[2048];
    bg_cmd(&b, "STATS", stats, sizeof stats);
    pid_t pids[2];
    ck_assert_int_eq(pids_of(stats, pids, 2), 2);
    ck_assert_int_eq(kill(pids[0], SIGSTOP), 0);      /* before it has a single message */
    write_all(wfd, text, strlen(text));
    close(wfd);
    int st = bg_wait(&b, 60);
    char *err = bg_file(b.err), *dump = bg_file(bg_path(&b, "dump.csv"));
    ck_assert_msg(strstr(err, "SIGKILL"), "the stuck worker was not killed: %s", err);
    if (recovery) {
        ck_assert_msg(st == 0, "exit %d: %s", st, err);
        ck_assert_msg(strcmp(dump, ref) == 0, "dump differs from bin/reference: %s", err);
        /* restarts >= 1: under load the healthy worker may have looked idle too. */
        ck_assert_msg(strstr(err, "nothing lost") && !strstr(err, "restarts: 0"), "summary: %s", err);
    } else {
        ck_assert_msg(st == 1, "a run that lost a worker's state exited %d, not 1: %s", st, err);
        ck_assert_msg(strstr(err, "messages lost: the dump is NOT the reference\n"), "no one-line reason: %s", err);
        ck_assert_msg(strcmp(dump, ref) != 0, "the dump equals the reference although state was lost");
    }
    ck_assert_msg(!pid_alive(pids[0]), "the stuck worker %ld is still alive", (long)pids[0]);
    free(err);
    free(dump);
    free(ref);
    free(text);
    bg_done(&b);
    kit_assert_clean(fds);
}

START_TEST(test_stuck_in_drain)
{
    stuck_in_drain(1);
}
END_TEST

START_TEST(test_stuck_recovery_off)
{
    stuck_in_drain(0);
}
END_TEST

/* ------------------------------------------------------------ hung mid-run */

/* Half the input, applied; worker 1 stopped (it owes nothing yet: not hung);
 * the other half, so it owes acks: after --hang-ms it is killed and recovered. */
START_TEST(test_hung_mid_run)
{
    int fds = kit_count_fds();
    char *text = emit_stream("20000", "200", "32");
    char *ref = reference_of(text);
    const char *flags[] = { "--input", "-", "--workers", "2", "--hang-ms", "1000", "--dump-state", "@/dump.csv",
                            NULL };
    struct bg b;
    int wfd;
    start_piped(&b, flags, &wfd);
    size_t half = lines_len(text, 10000);
    write_all(wfd, text, half);
    char stats[2048];
    bg_cmd(&b, "STATS", stats, sizeof stats);
    ck_assert_int_eq(wait_stat(&b, "processed", 10000, stats, sizeof stats), 10000);
    pid_t pids[2];
    ck_assert_int_eq(pids_of(stats, pids, 2), 2);
    ck_assert_int_eq(kill(pids[1], SIGSTOP), 0);
    ck_assert_msg(stat_of(stats, "hangs") == 0, "%s", stats);
    write_all(wfd, text + half, strlen(text) - half);
    ck_assert_msg(wait_stat(&b, "hangs", 1, stats, sizeof stats) >= 1, "no hang seen: %s", stats);
    ck_assert_msg(stat_of(stats, "restarts") >= 1 || wait_stat(&b, "restarts", 1, stats, sizeof stats) >= 1,
                  "the hung worker was not respawned: %s", stats);
    close(wfd);
    int st = bg_wait(&b, 60);
    char *err = bg_file(b.err), *dump = bg_file(bg_path(&b, "dump.csv"));
    char want[128];
    snprintf(want, sizeof want, "worker 1 (pid %ld) at ", (long)pids[1]);
    ck_assert_msg(st == 0, "exit %d: %s", st, err);
    ck_assert_msg(strcmp(dump, ref) == 0, "dump differs from bin/reference: %s", err);
    ck_assert_msg(strstr(err, "hangs: ") && strstr(err, want), "the summary does not name it: %s", err);
    ck_assert_msg(!pid_alive(pids[1]), "the hung worker %ld is still alive", (long)pids[1]);
    free(err);
    free(dump);
    free(ref);
    free(text);
    bg_done(&b);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ a child not ours */

/* A process with a child of its own (a sleeper) execs bin/phase3: the sleeper
 * is phase3's child, which phase3 must not wait for (bash's `exec bin/phase3
 * ... 3< <(sleep 300)` does this). phase3 exits when its own workers are done. */
START_TEST(test_foreign_child)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), dump[512], errf[512];
    snprintf(dump, sizeof dump, "%s/dump.csv", dir);
    snprintf(errf, sizeof errf, "%s/err", dir);
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        pid_t sleeper = fork();
        if (sleeper == 0) {
            execl("/bin/sleep", "sleep", "300", (char *)NULL);
            _exit(127);
        }
        int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (sleeper < 0 || e < 0 || write(p[1], &sleeper, sizeof sleeper) != sizeof sleeper)
            _exit(127);
        dup2(e, 2);
        execl(kit_bin("phase3"), "phase3", "--messages", "20000", "--workers", "2", "--dump-state", dump,
              (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    pid_t sleeper = 0;
    ck_assert_int_eq(read(p[0], &sleeper, sizeof sleeper), (ssize_t)sizeof sleeper);
    close(p[0]);
    struct bg b = { .pid = pid };
    int st = bg_wait(&b, 60);   /* the old supervisor waited here for the sleeper: 300 s */
    ck_assert_msg(pid_alive(sleeper), "phase3 killed or reaped a child it did not fork");
    kill(sleeper, SIGKILL);
    char *err = bg_file(errf), *got = bg_file(dump);
    ck_assert_msg(st == 0, "exit %d: %s", st, err);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("reference"), "--messages", "20000", "--dump-state", "-", "--quiet",
                             NULL), 0);
    ck_assert_msg(strcmp(got, r.out) == 0, "dump differs from bin/reference");
    kit_run_free(&r);
    free(err);
    free(got);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ the supervisor's death */

/* An endless stream (the built-in source is the same prefix whatever
 * --messages says): no run can end before the chosen snapshot, whatever the
 * machine's speed; the last one is stopped by SHUTDOWN and its dump compared
 * with bin/reference's for exactly the messages it says it read. */
#define DUR_STREAM "--messages", "0", "--keys", "400", "--dist", "zipf", "--seed", "33"
#define DUR_FLAGS DUR_STREAM, "--workers", "3", "--work", "2", "--snapshot-ms", "20"

/* The newest snapshot number in dir (0 if none). */
static unsigned long newest_snapshot(const char *dir)
{
    unsigned long best = 0;
    DIR *d = opendir(dir);
    ck_assert(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end = NULL;
        unsigned long n = strncmp(e->d_name, "snap-", 5) == 0 ? strtoul(e->d_name + 5, &end, 10) : 0;
        if (n > best && end && *end == '\0')
            best = n;
    }
    closedir(d);
    return best;
}

/* Wait until snapshot n or a newer one exists (only the two newest are kept:
 * snapshot n itself may be gone by the time we look), or, with a suffix,
 * until DIR/snap-N+suffix exists. phase3 may not exit meanwhile. */
static void wait_file(struct bg *b, const char *dir, unsigned long n, const char *suffix)
{
    char path[600];
    snprintf(path, sizeof path, "%s/snap-%lu%s", dir, n, suffix);
    for (int i = 0; i < 30000 * kit_time_scale(); i++) {
        if (*suffix ? access(path, F_OK) == 0 : newest_snapshot(dir) >= n)
            return;
        int st;
        ck_assert_msg(waitpid(b->pid, &st, WNOHANG) == 0, "phase3 ended before snapshot %lu: %s", n,
                      bg_file(b->err));
        kit_sleep_ms(1);
    }
    kill(b->pid, SIGKILL);
    ck_abort_msg("%s never appeared", path);
}

static void wait_snapshot(struct bg *b, const char *dir, unsigned long n)
{
    wait_file(b, dir, n, "");
}

/* One run (--resume when resume), SIGKILLed right after snapshot `at` appears. */
static void run_until_snapshot(const char *sdir, int resume, unsigned long at)
{
    const char *flags[] = { DUR_FLAGS, "--state-dir", sdir, "--quiet", resume ? "--resume" : NULL, NULL };
    struct bg b;
    bg_start(&b, flags);
    wait_snapshot(&b, sdir, at);
    ck_assert_int_eq(kill(b.pid, SIGKILL), 0);
    int st = bg_wait(&b, 30);
    ck_assert_msg(st == 128 + SIGKILL, "phase3 was not killed: %d", st);
    bg_done(&b);
}

/* Flip the last byte of snapshot n (its checksum): a torn write's stand-in. */
static void corrupt_snapshot(const char *sdir, unsigned long n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/snap-%lu", sdir, n);
    size_t len;
    char *bytes = kit_read_file(path, &len);
    ck_assert(bytes && len > 100);
    bytes[len - 1] ^= 0x5a;
    FILE *f = fopen(path, "w");
    ck_assert(f && fwrite(bytes, 1, len, f) == len && fclose(f) == 0);
    free(bytes);
}

START_TEST(test_supervisor_killed)
{
    int fds = kit_count_fds();
    char *sdir = kit_tmpdir();
    /* Killed after its 3rd snapshot, then a resume killed 2 snapshots later. */
    run_until_snapshot(sdir, 0, 3);
    run_until_snapshot(sdir, 1, newest_snapshot(sdir) + 2);
    /* Another run's flags: refused, the directory untouched. */
    unsigned long newest = newest_snapshot(sdir);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase3"), "--messages", "0", "--keys", "400", "--dist", "zipf",
                             "--seed", "34", "--workers", "3", "--state-dir", sdir, "--resume", NULL), 0);
    ck_assert_msg(r.status == 2 && strstr(r.err, "made for another run: seed=33 there, seed=34 here"),
                  "exit %d: %s", r.status, r.err);
    kit_run_free(&r);
    ck_assert_uint_eq(newest_snapshot(sdir), newest);
    /* The newest snapshot torn: the one before it is used. The resumed run
     * writes one snapshot of its own, then SHUTDOWN ends it. */
    corrupt_snapshot(sdir, newest);
    const char *flags[] = { DUR_FLAGS, "--state-dir", sdir, "--resume", "--dump-state", "@/dump.csv", NULL };
    struct bg b;
    bg_start(&b, flags);
    wait_file(&b, sdir, newest, ".bad");        /* the torn one moved aside, newest - 1 loaded */
    wait_snapshot(&b, sdir, newest);            /* and a fresh `newest` (or later) written by this run */
    char ans[64];
    bg_cmd(&b, "SHUTDOWN", ans, sizeof ans);
    int st = bg_wait(&b, 60);
    char *err = bg_file(b.err), *dump = bg_file(bg_path(&b, "dump.csv"));
    ck_assert_msg(st == 0, "exit %d: %s", st, err);
    ck_assert_msg(strstr(err, "is unusable (checksum mismatch") && strstr(err, "using the one before it"),
                  "the corrupt snapshot went unnoticed: %s", err);
    ck_assert_msg(strstr(err, "resumed from snapshot") && strstr(err, "skipped "), "summary: %s", err);
    /* The summary's first line: "phase3: N messages from built-in in ...". */
    const char *m = err;
    while ((m = strstr(m, "phase3: ")) && !(m[8] >= '1' && m[8] <= '9'))
        m++;
    ck_assert_msg(m && strstr(m, " messages from built-in"), "no message count in the summary: %s", err);
    char count[32];
    snprintf(count, sizeof count, "%ld", atol(m + 8));
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("reference"), "--messages", count, "--keys", "400", "--dist", "zipf",
                             "--seed", "33", "--dump-state", "-", "--quiet", NULL), 0);
    ck_assert_msg(strcmp(dump, r.out) == 0, "dump differs from bin/reference's for the %s messages read, after two "
                  "supervisor kills: %s", count, err);
    kit_run_free(&r);
    free(err);
    free(dump);
    bg_done(&b);
    kit_rmtree(sdir);
    free(sdir);
    kit_assert_clean(fds);
}
END_TEST

/* What a snapshot cannot stand for is refused before anything runs (exit 2). */
START_TEST(test_durable_flags)
{
    static const char *const bad[][6] = {
        { "--resume", NULL },
        { "--state-dir", "@", "--route", "roundrobin", NULL },
        { "--state-dir", "@", "--recovery", "off", NULL },
        { "--state-dir", "@", "--input", "-", NULL },
    };
    static const char *const why[] = { "--resume needs --state-dir", "--state-dir needs --route modulo or consistent",
                                       "--state-dir needs --recovery on", "standard input cannot be read again" };
    char *dir = kit_tmpdir();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[12];
        int n = 0;
        argv[n++] = (char *)kit_bin("phase3");
        for (int k = 0; bad[i][k]; k++)
            argv[n++] = strcmp(bad[i][k], "@") == 0 ? dir : (char *)bad[i][k];
        argv[n] = NULL;
        struct kit_run r;
        ck_assert_int_eq(kit_runv(&r, "", T, argv), 0);
        ck_assert_msg(r.status == 2 && strstr(r.err, why[i]), "case %zu: exit %d: %s", i, r.status, r.err);
        kit_run_free(&r);
    }
    kit_rmtree(dir);
    free(dir);
}
END_TEST

static Suite *phase3_faults_suite(void)
{
    const struct kit_case cases[] = {
        { "stuck_in_drain", test_stuck_in_drain, 60 },
        { "stuck_recovery_off", test_stuck_recovery_off, 60 },
        { "hung_mid_run", test_hung_mid_run, 60 },
        { "foreign_child", test_foreign_child, 60 },
        { "supervisor_killed", test_supervisor_killed, 120 },
        { "durable_flags", test_durable_flags, 30 },
    };
    return kit_suite("phase3_faults", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(phase3_faults_suite)
