/* test_phase3_live.c: bin/phase3 answering while its input trickles in and
 * while it drains, and its per-worker CSV.
 *
 *   slow_input   `--input -` fed line by line by this test: after every few
 *                lines the test queries STATS and GET and only then writes
 *                more, so a supervisor that blocked on its input until a batch
 *                filled would never answer (the TCase timeout fails it).
 *   drain_get    one worker finishes its drain while the other is stopped:
 *                a GET for a key of the finished worker is its final row, not
 *                "ERR worker N is restarting" / "died".
 *   workers_csv  --workers-csv FILE: one row per worker whose messages add up.
 * Every wait is bounded; no assertion is about speed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlclient.h"
#include "kit_test.h"
#include "phase3_bg.h"
#include "route.h"

/* Run phase3 with flags, its stdin the read end of a new pipe whose write end
 * is returned in *wfd; --control is added (bg_start's conventions). */
static void bg_start_piped(struct bg *b, const char *const *flags, int *wfd)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    bg_start_in(b, flags, p[0]);
    close(p[0]);
    *wfd = p[1];
}

/* The emitted stream of the given flags, and bin/reference's dump of it. */
static char *emit(const char *dir, const char *messages, const char *keys, char **ref_dump)
{
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 30, kit_bin("phase3"), "--emit", "--messages", messages, "--keys", keys,
                             "--seed", "3", NULL), 0);
    ck_assert_int_eq(r.status, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/in.txt", dir);
    ck_assert_int_eq(kit_write_file(path, r.out), 0);
    char *text = r.out;
    r.out = NULL;
    kit_run_free(&r);
    ck_assert_int_eq(kit_run(&r, NULL, 30, kit_bin("reference"), "--input", path, "--dump-state", "-", "--quiet",
                             NULL), 0);
    ck_assert_int_eq(r.status, 0);
    *ref_dump = r.out;
    r.out = NULL;
    kit_run_free(&r);
    return text;
}

/* Poll STATS (bounded) until messages_in reaches want. Returns the last STATS. */
static void wait_messages_in(struct bg *b, long want, char *stats, size_t len)
{
    for (int i = 0; i < 2000 * kit_time_scale(); i++) {
        bg_cmd(b, "STATS", stats, len);
        if (stat_of(stats, "messages_in") >= want)
            break;
        kit_sleep_ms(5);
    }
    ck_assert_msg(stat_of(stats, "messages_in") == want, "expected messages_in=%ld once %ld lines were written, "
                  "got: %s", want, want, stats);
}

START_TEST(test_slow_input_answered)
{
    int fds = kit_count_fds();
    struct bg b;
    char *ref;
    char *probe_dir = kit_tmpdir();
    char *text = emit(probe_dir, "400", "8", &ref);
    const char *flags[] = { "--input", "-", "--workers", "2", "--dump-state", "@/dump.csv", "--quiet", NULL };
    int wfd;
    bg_start_piped(&b, flags, &wfd);
    char stats[2048], ans[1024];
    long lines = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        ck_assert_int_eq(write(wfd, p, n), (ssize_t)n);
        p += n;
        lines++;
        kit_sleep_ms(2);            /* a slow writer: one line every few ms */
        if (lines % 40 == 0) {
            /* Every line written so far is taken, and the queries are answered
             * while the writer still has lines to write. */
            wait_messages_in(&b, lines, stats, sizeof stats);
            ck_assert_msg(strstr(stats, "phase=running"), "expected phase=running mid-input: %s", stats);
            bg_cmd(&b, "GET k0001", ans, sizeof ans);
            ck_assert_msg(strncmp(ans, "k0001,", 6) == 0 || strcmp(ans, "ERR unknown key") == 0,
                          "GET k0001 mid-input answered '%s'", ans);
        }
    }
    close(wfd);
    int st = bg_wait(&b, 30);
    ck_assert_msg(st == 0, "exit %d: %s", st, bg_file(b.err));
    char *dump = bg_file(bg_path(&b, "dump.csv"));
    ck_assert_msg(strcmp(dump, ref) == 0, "dump differs from the reference:\n%s\nexpected:\n%s", dump, ref);
    free(dump);
    free(ref);
    free(text);
    kit_rmtree(probe_dir);
    free(probe_dir);
    bg_done(&b);
    kit_assert_clean(fds);
}
END_TEST

/* SHUTDOWN with worker 1 stopped: worker 0 drains, reports and exits while
 * the run is still draining. Its keys' GETs must be its final rows. */
START_TEST(test_drain_get_answered)
{
    int fds = kit_count_fds();
    struct bg b;
    /* --hang-ms 0: worker 1 is stopped on purpose, not to be killed as hung. */
    const char *flags[] = { "--messages", "0", "--keys", "10", "--workers", "2", "--grace-ms", "60000",
                            "--hang-ms", "0", "--dump-state", "@/dump.csv", "--quiet", NULL };
    bg_start(&b, flags);
    char stats[2048], ans[1024];
    bg_cmd(&b, "STATS", stats, sizeof stats);
    for (int i = 0; i < 2000 && stat_of(stats, "processed") < 5000; i++) {
        kit_sleep_ms(5);
        bg_cmd(&b, "STATS", stats, sizeof stats);
    }
    pid_t pids[2];
    ck_assert_int_eq(pids_of(stats, pids, 2), 2);
    ck_assert_int_eq(kill(pids[1], SIGSTOP), 0);
    bg_cmd(&b, "SHUTDOWN", ans, sizeof ans);
    ck_assert_str_eq(ans, "OK");
    /* Wait (bounded) for worker 0 to finish: one worker alive, still draining. */
    for (int i = 0; i < 2000 * kit_time_scale(); i++) {
        bg_cmd(&b, "STATS", stats, sizeof stats);
        if (stat_of(stats, "workers_alive") == 1)
            break;
        kit_sleep_ms(5);
    }
    ck_assert_msg(stat_of(stats, "workers_alive") == 1 && strstr(stats, "phase=draining"),
                  "expected worker 0 gone while worker 1 (stopped) keeps the run draining: %s", stats);
    ck_assert_msg(stat_of(stats, "restarts") == 0 && stat_of(stats, "lost") == 0, "nothing died: %s", stats);
    struct router *rt = router_new(ROUTE_MODULO, 2);
    ck_assert(rt);
    char rows[10][1024];
    int asked[10] = { 0 }, nasked = 0;
    for (int k = 0; k < 10; k++) {
        char key[16], cmd[32];
        snprintf(key, sizeof key, "k%04d", k);
        if (route_peek(rt, key, strlen(key)) != 0)
            continue;           /* worker 1's: stopped, it cannot answer */
        snprintf(cmd, sizeof cmd, "GET %s", key);
        bg_cmd(&b, cmd, rows[k], sizeof rows[k]);
        ck_assert_msg(strncmp(rows[k], key, 5) == 0 && rows[k][5] == ',',
                      "GET %s while draining, its worker finished: expected its final row, got '%s'", key, rows[k]);
        asked[k] = 1;
        nasked++;
    }
    router_free(rt);
    ck_assert_msg(nasked > 0, "no key of worker 0 among k0000..k0009");
    ck_assert_int_eq(kill(pids[1], SIGCONT), 0);
    int st = bg_wait(&b, 30);
    ck_assert_msg(st == 0, "exit %d: %s", st, bg_file(b.err));
    char *dump = bg_file(bg_path(&b, "dump.csv"));
    for (int k = 0; k < 10; k++) {
        if (!asked[k])
            continue;
        char line[1100];
        snprintf(line, sizeof line, "\n%s\n", rows[k]);
        ck_assert_msg(strstr(dump, line), "GET answered '%s', which is not the final dump's row:\n%s", rows[k], dump);
    }
    free(dump);
    bg_done(&b);
    kit_assert_clean(fds);
}
END_TEST

/* --workers-csv: a header with the promised columns, one row per worker, the
 * messages adding up to the stream and the keys to the dump's. */
START_TEST(test_workers_csv)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir();
    char csv[512], dump[512];
    snprintf(csv, sizeof csv, "%s/workers.csv", dir);
    snprintf(dump, sizeof dump, "%s/dump.csv", dir);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 30, kit_bin("phase3"), "--messages", "3000", "--keys", "40", "--workers", "3",
                             "--workers-csv", csv, "--dump-state", dump, "--quiet", NULL), 0);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    kit_run_free(&r);
    char *text = bg_file(csv), *d = bg_file(dump);
    const char *hdr = "worker,pid,messages,keys,cpu_s,restarts,";
    char *h = strstr(text, hdr);
    ck_assert_msg(h && (h == text || h[-1] == '\n'), "no header starting '%s' in:\n%s", hdr, text);
    long msgs = 0, keys = 0;
    int rows = 0;
    for (char *line = strchr(h, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        long w, pid, m, k, restarts;
        double cpu;
        ck_assert_msg(sscanf(line + 1, "%ld,%ld,%ld,%ld,%lf,%ld,", &w, &pid, &m, &k, &cpu, &restarts) == 6,
                      "bad row: %.80s", line + 1);
        ck_assert_msg(w == rows && pid > 0 && restarts == 0 && cpu >= 0, "row %d: %.80s", rows, line + 1);
        msgs += m;
        keys += k;
        rows++;
    }
    ck_assert_msg(rows == 3, "expected 3 worker rows, got %d:\n%s", rows, text);
    ck_assert_msg(msgs == 3000, "messages add up to %ld, expected 3000", msgs);
    long dump_keys = -1;            /* the header */
    for (const char *p = d; (p = strchr(p, '\n')) != NULL; p++)
        dump_keys++;
    ck_assert_msg(keys == dump_keys, "keys add up to %ld, the dump has %ld", keys, dump_keys);
    free(text);
    free(d);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

static Suite *phase3_live_suite(void)
{
    const struct kit_case cases[] = {
        { "slow_input", test_slow_input_answered, 60 },
        { "drain_get", test_drain_get_answered, 60 },
        { "workers_csv", test_workers_csv, 30 },
    };
    return kit_suite("phase3_live", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(phase3_live_suite)
