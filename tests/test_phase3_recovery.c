/* test_phase3_recovery.c: bin/phase3's zero-loss recovery (issue 8), from the
 * outside. Workers are SIGKILLed at chosen points of a run, found by polling
 * STATS until `processed` passes a mark (never by the clock), and the final
 * dump must still equal bin/reference's, with exit 0 and no message applied
 * twice. Also: a stopped worker's replay log stays within --replay-max while
 * the input stalls; checkpoints happen; --recovery off still counts its losses;
 * a short soak (phase3_processes/pipeline/soak.sh). After each: no fd, no child left.
 * Rerun one case with CK_RUN_CASE=name. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"
#include "phase3_bg.h"

#define T 30                    /* seconds any one foreground run may take */

/* bin/reference's dump of a stream. */
static char *reference_dump(const char *const *stream)
{
    char *argv[24];
    int n = 0;
    argv[n++] = (char *)kit_bin("reference");
    while (*stream && n < 20)
        argv[n++] = (char *)*stream++;
    argv[n++] = "--dump-state";
    argv[n++] = "-";
    argv[n++] = "--quiet";
    argv[n] = NULL;
    struct kit_run r;
    ck_assert_int_eq(kit_runv(&r, NULL, T, argv), 0);
    ck_assert_msg(r.status == 0, "bin/reference exited %d: %s", r.status, r.err);
    char *out = r.out;
    r.out = NULL;
    kit_run_free(&r);
    return out;
}

/* Poll STATS until processed >= mark or the input is over; returns processed
 * (and the line in stats). */
static long wait_processed(struct bg *b, long mark, char *stats, size_t len)
{
    for (int i = 0; i < 20000; i++) {
        if (bg_try(b, "STATS", stats, len) < 0) {
            kit_sleep_ms(5);
            continue;
        }
        long p = stat_of(stats, "processed");
        if (p >= mark || !strstr(stats, "phase=running"))
            return p;
        kit_sleep_ms(2);
    }
    ck_abort_msg("processed never reached %ld: %s", mark, stats);
    return -1;
}

/* SIGKILL the worker in slot w; then wait until STATS shows the respawn. */
static void kill_slot(struct bg *b, int w, char *stats, size_t len)
{
    bg_cmd(b, "STATS", stats, len);
    pid_t pids[16];
    int n = pids_of(stats, pids, 16);
    ck_assert_msg(w < n && pids[w] > 0, "slot %d has no live worker: %s", w, stats);
    long before = stat_of(stats, "restarts");
    ck_assert_int_eq(kill(pids[w], SIGKILL), 0);
    for (int i = 0; i < 5000 && stat_of(stats, "restarts") == before; i++) {
        kit_sleep_ms(2);
        if (bg_try(b, "STATS", stats, len) < 0)
            break;              /* the run ended: the summary will tell */
    }
}

/* The end of a recovery run: exit 0, dump == reference, the summary says
 * nothing was lost and nothing applied twice. */
static void assert_recovered(struct bg *b, const char *ref, int min_restarts, const char *what)
{
    int st = bg_wait(b, 60);
    char *err = bg_file(b->err), *dump = bg_file(bg_path(b, "dump.csv"));
    ck_assert_msg(st == 0, "%s: exit %d: %s", what, st, err);
    ck_assert_msg(strcmp(dump, ref) == 0, "%s: dump differs from bin/reference (%zu vs %zu bytes); summary:\n%s",
                  what, strlen(dump), strlen(ref), err);
    ck_assert_msg(strstr(err, "nothing lost") && !strstr(err, "LOST"), "%s: summary: %s", what, err);
    ck_assert_msg(strstr(err, "0 seq duplicates skipped"), "%s: a message reached a worker twice: %s", what, err);
    const char *r = strstr(err, "restarts: ");
    ck_assert_msg(r && atoi(r + 10) >= min_restarts, "%s: expected >= %d restarts: %s", what, min_restarts, err);
    free(err);
    free(dump);
}

/* ------------------------------------------------------------ kill anywhere */

struct killplan {
    const char *seed, *workers, *keys, *dist;
    const char *extra[4];       /* more phase3 flags */
    long marks[4];              /* kill when processed >= mark (-1 ends) */
    int slots[4];               /* ... the worker in this slot */
};

static const struct killplan plans[] = {
    /* kill before anything was applied, then twice more */
    { "1", "2", "50", "uniform", { NULL }, { 0, 60000, 150000, -1 }, { 0, 1, 0 } },
    /* the same slot twice in a row, zipf (one hot key) */
    { "2", "3", "200", "zipf", { NULL }, { 40000, 41000, 200000, -1 }, { 2, 2, 0 } },
    /* frequent checkpoints, raw codec, four workers */
    { "3", "4", "1000", "zipf", { "--checkpoint-every", "500", "--codec", "raw" }, { 30000, 90000, 180000, -1 },
      { 1, 3, 0 } },
    /* rare checkpoints and a small log: replay from far back, stalls on a full log */
    { "4", "3", "100", "uniform", { "--checkpoint-every", "100000", "--replay-max", "3000" },
      { 100000, 200000, -1 }, { 1, 2 } },
    /* map routing, json */
    { "5", "2", "300", "zipf", { "--route", "map", "--codec", "json" }, { 20000, 120000, -1 }, { 1, 0 } },
};
#define NPLANS (int)(sizeof plans / sizeof plans[0])
#define KILL_MESSAGES "300000"

START_TEST(test_kill_anywhere)
{
    int fds = kit_count_fds();
    const struct killplan *k = &plans[_i];
    const char *stream[] = { "--messages", KILL_MESSAGES, "--keys", k->keys, "--dist", k->dist, "--seed", k->seed,
                             NULL };
    char *ref = reference_dump(stream);
    const char *flags[24];
    int n = 0;
    for (int i = 0; stream[i]; i++)
        flags[n++] = stream[i];
    flags[n++] = "--workers";
    flags[n++] = k->workers;
    flags[n++] = "--work";
    flags[n++] = "2";           /* ~1 µs per message: the run lasts long enough to aim */
    for (int i = 0; i < 4 && k->extra[i]; i++)
        flags[n++] = k->extra[i];
    flags[n++] = "--dump-state";
    flags[n++] = "@/dump.csv";
    flags[n] = NULL;
    struct bg b;
    bg_start(&b, flags);
    char stats[2048], what[64];
    int kills = 0;
    for (int i = 0; i < 4 && k->marks[i] >= 0; i++) {
        long p = wait_processed(&b, k->marks[i], stats, sizeof stats);
        if (p < k->marks[i])
            break;              /* the input ended first (a fast machine): the rest is the drain */
        kill_slot(&b, k->slots[i], stats, sizeof stats);
        kills++;
    }
    snprintf(what, sizeof what, "plan %d (seed %s, %s workers)", _i, k->seed, k->workers);
    assert_recovered(&b, ref, kills, what);
    ck_assert_msg(kills >= 1, "%s: no kill landed before the end of the input", what);
    bg_done(&b);
    free(ref);
    kit_assert_clean(fds);
}
END_TEST

/* A worker killed while the run drains (input over, pill queued): respawned,
 * replayed, pill again; its final rows are the full state. */
START_TEST(test_kill_while_draining)
{
    int fds = kit_count_fds();
    const char *stream[] = { "--messages", "3000", "--keys", "40", "--seed", "9", NULL };
    char *ref = reference_dump(stream);
    /* 3000 messages fit in the credit window: the input ends at once and the
     * workers drain ~1500 messages of --work 300 each (about a quarter second
     * at 0.56 µs per unit; the kill only needs to land before that). */
    const char *flags[] = { "--messages", "3000", "--keys", "40", "--seed", "9", "--workers", "2", "--work", "300",
                            "--queue-depth", "4096", "--dump-state", "@/dump.csv", NULL };
    struct bg b;
    bg_start(&b, flags);
    char stats[2048];
    bg_cmd(&b, "STATS", stats, sizeof stats);
    for (int i = 0; i < 2000 && !strstr(stats, "phase=draining"); i++) {
        kit_sleep_ms(1);
        bg_cmd(&b, "STATS", stats, sizeof stats);
    }
    ck_assert_msg(strstr(stats, "phase=draining"), "never saw the drain: %s", stats);
    ck_assert_msg(stat_of(stats, "processed") < 3000, "the drain was over before the kill: %s", stats);
    kill_slot(&b, 0, stats, sizeof stats);
    assert_recovered(&b, ref, 1, "killed while draining");
    bg_done(&b);
    free(ref);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ memory bound */

/* A SIGSTOPped worker cannot checkpoint: its replay log fills to --replay-max
 * and stops there; the input stalls instead of the log growing. SIGCONT: it
 * checkpoints, the log empties, the input flows again. */
START_TEST(test_replay_bounded)
{
    int fds = kit_count_fds();
    /* --hang-ms 0: this test stops a worker on purpose and watches the stall. */
    const char *flags[] = { "--messages", "0", "--workers", "2", "--replay-max", "300", "--hang-ms", "0", "--quiet",
                            NULL };
    struct bg b;
    bg_start(&b, flags);
    char stats[2048], ans[64];
    bg_cmd(&b, "STATS", stats, sizeof stats);
    pid_t pids[2];
    ck_assert_int_eq(pids_of(stats, pids, 2), 2);
    ck_assert_int_eq(kill(pids[0], SIGSTOP), 0);
    long in = -1, same = 0;
    for (int i = 0; i < 3000 && same < 5; i++) {
        kit_sleep_ms(10);
        bg_cmd(&b, "STATS", stats, sizeof stats);
        long buffered = stat_of(stats, "replay_buffered");
        ck_assert_msg(buffered <= 300, "replay_buffered %ld > --replay-max 300: %s", buffered, stats);
        long now = stat_of(stats, "messages_in");
        same = now == in ? same + 1 : 0;
        in = now;
    }
    ck_assert_msg(same >= 5, "the input never stalled behind the stopped worker: %s", stats);
    ck_assert_msg(stat_of(stats, "replay_buffered") == 300, "the stalled log should be full (300): %s", stats);
    ck_assert_msg(stat_of(stats, "replay_stalls") >= 1, "no replay stall counted: %s", stats);
    ck_assert_int_eq(kill(pids[0], SIGCONT), 0);
    long moved = 0;
    for (int i = 0; i < 3000 && moved <= in; i++) {
        kit_sleep_ms(10);
        bg_cmd(&b, "STATS", stats, sizeof stats);
        moved = stat_of(stats, "messages_in");
    }
    ck_assert_msg(moved > in, "the input did not resume after SIGCONT: %s", stats);
    bg_cmd(&b, "SHUTDOWN", ans, sizeof ans);
    int st = bg_wait(&b, 30);
    ck_assert_msg(st == 0, "exit %d: %s", st, bg_file(b.err));
    bg_done(&b);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ checkpoints */

/* The --csv row's value of column `name` (the header names it). */
static double csv_col(const char *out, const char *name)
{
    const char *hdr = strstr(out, "messages,seconds,");
    ck_assert_msg(hdr, "no CSV header: %s", out);
    const char *row = strchr(hdr, '\n');
    ck_assert(row);
    row++;
    int col = 0;
    size_t nlen = strlen(name);
    for (const char *p = hdr; p < row; col++) {
        const char *e = strpbrk(p, ",\n");
        if ((size_t)(e - p) == nlen && strncmp(p, name, nlen) == 0) {
            const char *v = row;
            for (int i = 0; i < col && v; i++)
                v = strchr(v, ',') ? strchr(v, ',') + 1 : NULL;
            ck_assert_msg(v, "row too short for %s: %s", name, row);
            if (strncmp(v, "on", 2) == 0)
                return 1;
            if (strncmp(v, "off", 3) == 0)
                return 0;
            return strtod(v, NULL);
        }
        p = e + 1;
    }
    ck_abort_msg("no column %s in %.300s", name, hdr);
    return -1;
}

START_TEST(test_checkpoints_happen)
{
    int fds = kit_count_fds();
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase3"), "--messages", "100000", "--workers", "2",
                             "--checkpoint-every", "1000", "--csv", "--quiet", NULL), 0);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    /* Each worker is asked every 1000 logged messages; a checkpoint trims all
     * it has applied, so the log is back under 1000 + --queue-depth (1024). */
    double ck = csv_col(r.out, "checkpoints");
    ck_assert_msg(ck >= 100000 / 2024, "%g checkpoints for 100000 messages at --checkpoint-every 1000", ck);
    ck_assert_msg(csv_col(r.out, "recovery") == 1, "recovery column not on: %s", r.out);
    ck_assert_msg(csv_col(r.out, "checkpoint_bytes") > 0, "no checkpoint bytes: %s", r.out);
    ck_assert_msg(csv_col(r.out, "replay_peak") <= 16384, "replay_peak over the default --replay-max: %s", r.out);
    ck_assert_msg(csv_col(r.out, "lost") == 0 && csv_col(r.out, "replayed") == 0, "%s", r.out);
    kit_run_free(&r);
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase3"), "--messages", "100000", "--workers", "2",
                             "--recovery", "off", "--csv", "--quiet", NULL), 0);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert_msg(csv_col(r.out, "recovery") == 0 && csv_col(r.out, "checkpoints") == 0,
                  "--recovery off still checkpoints: %s", r.out);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ recovery off */

/* The old lesson stays available: without recovery a killed worker's state is
 * lost, the summary and STATS say how much, and the dump is not the reference;
 * a run whose dump is not the truth exits 1 and says why in one line. */
START_TEST(test_recovery_off_counts_losses)
{
    int fds = kit_count_fds();
    const char *stream[] = { "--messages", KILL_MESSAGES, "--keys", "100", "--seed", "6", NULL };
    char *ref = reference_dump(stream);
    const char *flags[] = { "--messages", KILL_MESSAGES, "--keys", "100", "--seed", "6", "--workers", "2",
                            "--work", "2", "--recovery", "off", "--csv", "--dump-state", "@/dump.csv", NULL };
    struct bg b;
    bg_start(&b, flags);
    char stats[2048];
    long p = wait_processed(&b, 50000, stats, sizeof stats);
    ck_assert_msg(p >= 50000, "the input ended before the kill: %s", stats);
    kill_slot(&b, 1, stats, sizeof stats);
    ck_assert_msg(stat_of(stats, "lost") > 0, "STATS does not count the loss: %s", stats);
    ck_assert_msg(strstr(stats, "recovery=off") && stat_of(stats, "replayed") == 0, "%s", stats);
    int st = bg_wait(&b, 60);
    char *err = bg_file(b.err), *out = bg_file(b.out), *dump = bg_file(bg_path(&b, "dump.csv"));
    ck_assert_msg(st == 1, "a run that lost messages exited %d, not 1: %s", st, err);
    ck_assert_msg(strstr(err, "messages lost: the dump is NOT the reference\n"), "no one-line reason: %s", err);
    ck_assert_msg(strstr(err, "the state of its") && strstr(err, "restarts: 1; LOST:")
                  && strstr(err, "the dump is NOT the reference"), "the loss is not told: %s", err);
    ck_assert_msg(strcmp(dump, ref) != 0, "the dump equals the reference although state was lost");
    ck_assert_msg(csv_col(out, "lost") > 0 && csv_col(out, "restarts") == 1, "csv: %s", out);
    free(err);
    free(out);
    free(dump);
    free(ref);
    bg_done(&b);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ soak */

/* phase3_processes/pipeline/soak.sh, short: 500 k messages, a random worker SIGKILLed,
 * stopped or hung every 100 ms, the supervisor SIGKILLed and resumed every second; the script checks dump == reference, no fd or memory leak (the
 * floor of the last third of the samples against the first's: a respawn in
 * progress is not a leak), no child and no shared memory left. A dozen kills or
 * more: a phase3 built to leak one fd per respawn lifted the fd floor by 8 or 9,
 * well past the 2-fd bound. */
START_TEST(test_soak_short)
{
    int fds = kit_count_fds();
    char bindir[512];
    snprintf(bindir, sizeof bindir, "%s", kit_bin("phase3"));
    *strrchr(bindir, '/') = '\0';
    setenv("BIN", bindir, 1);
    setenv("SOAK_MESSAGES", "500000", 1);
    setenv("SOAK_KILL_MS", "100", 1);
    setenv("SOAK_SAMPLE_MS", "50", 1);
    setenv("SOAK_WORK", "6", 1);        /* ~3 µs per message: a few seconds, a dozen kills */
    /* Stopped and hung workers beside the kills (the watchdog at 400 ms), and
     * the supervisor itself SIGKILLed every second and resumed from its
     * --state-dir: the dump must still be the reference's. */
    setenv("SOAK_FAULTS", "kill stop hang", 1);
    setenv("SOAK_SUP_KILL_MS", "1000", 1);
    setenv("SOAK_SHM_STRICT", "0", 1);  /* other suites may use /dev/shm meanwhile; mappings still checked */
    /* Under AddressSanitizer (make sanitize) freed memory waits in a quarantine
     * and RSS wanders by several MiB, hence 16 MiB here: over a dozen kills that
     * catches a leak of ~1.5 MiB per kill, not a smaller one (the 10 M soak keeps
     * the script's 8 MiB, over far more kills). */
    setenv("SOAK_RSS_SLACK_KIB", "16384", 1);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 60, "/bin/bash", kit_src("phase3_processes/pipeline/soak.sh"), NULL), 0);
    ck_assert_msg(r.status == 0 && strstr(r.err, "soak: PASSED"), "soak exited %d:\n%s", r.status, r.err);
    ck_assert_msg(strstr(r.err, "after 0 SIGKILLs") == NULL, "the soak killed nobody:\n%s", r.err);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

static Suite *phase3_recovery_suite(void)
{
    const struct kit_case cases[] = {
        { "kill_while_draining", test_kill_while_draining, 30 },
        { "replay_bounded", test_replay_bounded, 60 },
        { "checkpoints", test_checkpoints_happen, 30 },
        { "recovery_off", test_recovery_off_counts_losses, 60 },
        { "soak_short", test_soak_short, 90 },
    };
    Suite *s = kit_suite("phase3_recovery", cases, KIT_NELEM(cases));
    tcase_add_loop_test(kit_tcase(s, "kill_anywhere", 60), test_kill_anywhere, 0, NPLANS);
    return s;
}

KIT_TEST_MAIN(phase3_recovery_suite)
