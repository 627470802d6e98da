/* test_phase3.c: bin/phase3, the fork-based process pool, from the outside.
 *
 * The truth is bin/reference: for every routing policy that keeps a key on one
 * worker, any number of workers, the dump must be byte-identical to it; with
 * roundrobin it must not be. The lifecycle cases run phase3 in the background
 * and drive it through its control socket (lib/ctlclient.h): a query answered
 * mid-run, a worker SIGKILLed and respawned, the supervisor SIGKILLed (its
 * workers must follow it), SIGINT and SHUTDOWN drains. No assertion is about
 * absolute speed; the only clock is "within a time limit", and the limits
 * scale with CK_TIMEOUT_MULTIPLIER. */
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
#include "phase3_bg.h"

#define T 30                    /* seconds any one foreground run may take */

/* ------------------------------------------------------------ dump vs reference */

/* Many keys uniform; many keys Zipf; and a few very hot keys (Zipf s = 1.5 over
 * 7 keys: most messages hit two of them, so a worker that owns one gets a long
 * run of one key) with an opaque payload that crosses the channels and must not
 * change the state. */
#define STREAM_ARGS 12
static const char *const stream_args[][STREAM_ARGS] = {
    { "--messages", "5000", "--keys", "50", "--seed", "1", NULL },
    { "--messages", "5000", "--keys", "200", "--dist", "zipf", "--seed", "7", NULL },
    { "--messages", "5000", "--keys", "7", "--dist", "zipf", "--zipf-s", "1.5", "--seed", "99",
      "--payload", "48" },
};
#define NSTREAMS 3

static char *run_dump(const char *prog, const char *const *extra, size_t nextra, int si)
{
    char *argv[32];
    size_t n = 0;
    argv[n++] = (char *)prog;
    for (size_t i = 0; i < STREAM_ARGS && stream_args[si][i]; i++)
        argv[n++] = (char *)stream_args[si][i];
    for (size_t i = 0; i < nextra; i++)
        argv[n++] = (char *)extra[i];
    argv[n++] = "--dump-state";
    argv[n++] = "-";
    argv[n++] = "--quiet";
    argv[n] = NULL;
    struct kit_run r;
    ck_assert_int_eq(kit_runv(&r, NULL, T, argv), 0);
    ck_assert_msg(r.status == 0, "%s exited %d: %s", prog, r.status, r.err);
    char *out = r.out;
    r.out = NULL;
    kit_run_free(&r);
    return out;
}

static const char *const routes_ok[] = { "modulo", "consistent", "map" };

/* Loop test over the three order-keeping policies: N = 1..8, three streams. */
START_TEST(test_dump_equals_reference)
{
    int fds = kit_count_fds();
    const char *route = routes_ok[_i];
    for (int si = 0; si < NSTREAMS; si++) {
        char *ref = run_dump(kit_bin("reference"), NULL, 0, si);
        for (int n = 1; n <= 8; n++) {
            char nb[16];
            snprintf(nb, sizeof nb, "%d", n);
            const char *extra[] = { "--workers", nb, "--route", route };
            char *got = run_dump(kit_bin("phase3"), extra, 4, si);
            ck_assert_msg(strcmp(got, ref) == 0,
                          "--route %s --workers %d, stream %d: dump differs from bin/reference\n"
                          "expected %zu bytes starting %.120s\ngot %zu bytes starting %.120s",
                          route, n, si, strlen(ref), ref, strlen(got), got);
            free(got);
        }
        free(ref);
    }
    kit_assert_clean(fds);
}
END_TEST

/* The codec changes how messages cross, never what they say. */
START_TEST(test_codecs_same_dump)
{
    int fds = kit_count_fds();
    static const char *const codecs[] = { "raw", "msgpack", "json" };
    char *ref = run_dump(kit_bin("reference"), NULL, 0, 1);
    for (int c = 0; c < 3; c++) {
        const char *extra[] = { "--workers", "3", "--codec", codecs[c], "--payload", "40" };
        char *got = run_dump(kit_bin("phase3"), extra, 6, 1);
        ck_assert_msg(strcmp(got, ref) == 0, "--codec %s: dump differs from bin/reference", codecs[c]);
        free(got);
    }
    free(ref);
    kit_assert_clean(fds);
}
END_TEST

/* roundrobin splits keys across workers: the state is wrong, and it says so. */
START_TEST(test_roundrobin_differs)
{
    int fds = kit_count_fds();
    char *ref = run_dump(kit_bin("reference"), NULL, 0, 0);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase3"), "--messages", "5000", "--keys", "50",
                             "--seed", "1", "--workers", "4", "--route", "roundrobin",
                             "--dump-state", "-", NULL), 0);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert_msg(strncmp(r.out, "key,state,", 10) == 0, "not a dump: %.80s", r.out);
    ck_assert_msg(strcmp(r.out, ref) != 0, "roundrobin's dump equals the reference: the lesson is lost");
    ck_assert_msg(strstr(r.err, "roundrobin split 50 of 50 keys"), "summary does not count split keys: %s", r.err);
    kit_run_free(&r);
    free(ref);
    kit_assert_clean(fds);
}
END_TEST

/* --key-owners: with modulo every key was held by exactly one worker pid; with
 * roundrobin keys show up under several. */
static int max_owners_per_key(const char *text, int *distinct_pids)
{
    char prev[128] = "", pids[64][16];
    int best = 0, cur = 0, npids = 0;
    const char *p = strchr(text, '\n');     /* skip the header */
    ck_assert_msg(p && strncmp(text, "key,worker,pid\n", 15) == 0, "bad owners header: %.40s", text);
    for (p++; *p; ) {
        const char *e = strchr(p, '\n');
        ck_assert(e);
        char line[128];
        snprintf(line, sizeof line, "%.*s", (int)(e - p), p);
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        ck_assert_msg(c1 && c2, "bad owners line '%s'", line);
        *c1 = '\0';
        cur = strcmp(prev, line) == 0 ? cur + 1 : 1;
        snprintf(prev, sizeof prev, "%s", line);
        if (cur > best)
            best = cur;
        int seen = 0;
        for (int i = 0; i < npids; i++)
            seen |= strcmp(pids[i], c2 + 1) == 0;
        if (!seen && npids < 64)
            snprintf(pids[npids++], sizeof pids[0], "%.15s", c2 + 1);
        p = e + 1;
    }
    *distinct_pids = npids;
    return best;
}

START_TEST(test_each_key_one_worker)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/owners.csv", dir);
    static const char *const routes[] = { "modulo", "consistent", "map", "roundrobin" };
    for (int i = 0; i < 4; i++) {
        struct kit_run r;
        ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase3"), "--messages", "5000", "--keys", "60",
                                 "--workers", "4", "--route", routes[i], "--key-owners", path, "--quiet",
                                 NULL), 0);
        ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
        char *text = kit_read_file(path, NULL);
        ck_assert(text);
        int npids, most = max_owners_per_key(text, &npids);
        ck_assert_msg(npids >= 2 && npids <= 4, "--route %s: %d distinct worker pids, expected 2..4", routes[i], npids);
        if (i < 3)
            ck_assert_msg(most == 1, "--route %s: a key was held by %d workers, expected exactly 1", routes[i], most);
        else
            ck_assert_msg(most > 1, "--route roundrobin: every key on one worker, expected splits");
        free(text);
        kit_run_free(&r);
    }
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ inputs and flags */

START_TEST(test_malformed_exit_65)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/in.txt", dir);
    kit_write_file(path, "k1,START,\nk1,DATA,5\nnot a line\nk2,FOO,1\n# comment\nk1,DATA,1e999\nk1,DATA,7\n");
    struct kit_run r, ref;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase3"), "--input", path, "--workers", "3",
                             "--dump-state", "-", "--quiet", NULL), 0);
    ck_assert_int_eq(kit_run(&ref, NULL, T, kit_bin("reference"), "--input", path, "--dump-state", "-",
                             "--quiet", NULL), 0);
    ck_assert_msg(r.status == 65, "expected exit 65 for rejected lines, got %d: %s", r.status, r.err);
    ck_assert_msg(strstr(r.err, "in.txt:3:") && strstr(r.err, "in.txt:4:") && strstr(r.err, "in.txt:6:"),
                  "each reject reported as INPUT:LINE: reason; got: %s", r.err);
    ck_assert_msg(strcmp(r.out, ref.out) == 0, "the good lines' dump differs from the reference:\n%s\nvs\n%s",
                  r.out, ref.out);
    kit_run_free(&r);
    kit_run_free(&ref);
    /* The count is in the CSV row too. */
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase3"), "--input", path, "--csv", "--quiet", NULL), 0);
    ck_assert_int_eq(r.status, 65);
    ck_assert_msg(strstr(r.out, ",3,") != NULL, "csv row should say rejected=3: %s", r.out);
    kit_run_free(&r);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

START_TEST(test_bad_flags_exit_2)
{
    int fds = kit_count_fds();
    static const char *const bad[][3] = {
        { "--workers", "0", NULL }, { "--workers", "257", NULL }, { "--route", "random", NULL },
        { "--codec", "pickle", NULL }, { "--queue-depth", "0", NULL }, { "--no-such-flag", NULL, NULL },
        { "--route-map", "/dev/null", NULL },   /* needs --route map */
        { "--recovery", "maybe", NULL }, { "--replay-max", "0", NULL }, { "--checkpoint-every", "0", NULL },
        { "--control-private", NULL, NULL },     /* needs --control */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct kit_run r;
        ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase3"), bad[i][0], bad[i][1], NULL), 0);
        ck_assert_msg(r.status == 2, "%s %s: expected exit 2, got %d", bad[i][0], bad[i][1] ? bad[i][1] : "",
                      r.status);
        ck_assert_msg(r.out_len == 0, "%s: printed on stdout: %s", bad[i][0], r.out);
        ck_assert_msg(strstr(r.err, "Usage"), "%s: no usage on stderr: %s", bad[i][0], r.err);
        kit_run_free(&r);
    }
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ background runs */

/* A GET is answered while a million messages are still flowing: the answer
 * comes back, and STATS right after it says the run is still going. */
START_TEST(test_query_mid_run)
{
    int fds = kit_count_fds();
    struct bg b;
    const char *flags[] = { "--messages", "1000000", "--workers", "2", "--work", "8", "--quiet", NULL };
    bg_start(&b, flags);
    char ans[1024], stats[1024];
    bg_cmd(&b, "GET k0001", ans, sizeof ans);
    bg_cmd(&b, "STATS", stats, sizeof stats);
    ck_assert_msg(strncmp(ans, "k0001,", 6) == 0 || strcmp(ans, "ERR unknown key") == 0,
                  "GET k0001 answered '%s', expected a dump row", ans);
    ck_assert_msg(strstr(stats, "phase=running") && stat_of(stats, "messages_in") < 1000000,
                  "the run was over before the query was answered: %s", stats);
    ck_assert_msg(stat_of(stats, "workers_alive") == 2, "workers_alive: %s", stats);
    /* And once more, surely after the key has been seen. */
    kit_sleep_ms(50);
    bg_cmd(&b, "GET k0001", ans, sizeof ans);
    ck_assert_msg(strncmp(ans, "k0001,", 6) == 0, "GET k0001 answered '%s'", ans);
    bg_cmd(&b, "GET no-such-key", ans, sizeof ans);
    ck_assert_str_eq(ans, "ERR unknown key");
    int st = bg_wait(&b, 60);
    ck_assert_msg(st == 0, "exit %d: %s", st, bg_file(b.err));
    bg_done(&b);
    kit_assert_clean(fds);
}
END_TEST

/* SIGKILL one worker: it is respawned into its slot, the run completes, and
 * the summary and CSV say restarts=1 and that nothing was lost. */
START_TEST(test_worker_killed_respawned)
{
    int fds = kit_count_fds();
    struct bg b;
    const char *flags[] = { "--messages", "0", "--workers", "3", "--work", "2", "--csv", NULL };
    bg_start(&b, flags);
    char stats[1024], ans[64];
    bg_cmd(&b, "STATS", stats, sizeof stats);
    pid_t pids[8];
    ck_assert_int_eq(pids_of(stats, pids, 8), 3);
    ck_assert_int_eq(kill(pids[1], SIGKILL), 0);
    long restarts = 0;
    for (int i = 0; i < 500 && restarts < 1; i++) {
        kit_sleep_ms(10);
        bg_cmd(&b, "STATS", stats, sizeof stats);
        restarts = stat_of(stats, "restarts");
    }
    ck_assert_msg(restarts == 1, "no respawn seen: %s", stats);
    pid_t now[8];
    ck_assert_int_eq(pids_of(stats, now, 8), 3);
    ck_assert_msg(now[0] == pids[0] && now[2] == pids[2] && now[1] != pids[1] && now[1] > 0,
                  "slot 1 should hold a new pid, the others the same: was %d,%d,%d now %d,%d,%d",
                  pids[0], pids[1], pids[2], now[0], now[1], now[2]);
    ck_assert_int_eq(stat_of(stats, "workers_alive"), 3);
    bg_cmd(&b, "SHUTDOWN", ans, sizeof ans);
    ck_assert_str_eq(ans, "OK");
    int st = bg_wait(&b, 30);
    char *err = bg_file(b.err), *out = bg_file(b.out);
    ck_assert_msg(st == 0, "exit %d: %s", st, err);
    /* Recovery is on by default: the respawn restores and replays, nothing is
     * lost (test_phase3_recovery covers --recovery off and the dumps). */
    ck_assert_msg(strstr(err, "killed by SIGKILL") && strstr(err, "respawning it from its checkpoint"),
                  "the death is not narrated: %s", err);
    ck_assert_msg(strstr(err, "restarts: 1; nothing lost:"), "the recovery is not accounted: %s", err);
    const char *row = strrchr(out, '\n');
    ck_assert(row);
    /* messages,seconds,msgs_per_s,workers,route,codec,work,payload,rejected,processed,restarts */
    const char *hdr = strstr(out, "messages,seconds,");
    ck_assert_msg(hdr, "no CSV header: %s", out);
    const char *data = strchr(hdr, '\n') + 1;
    int field = 0;
    const char *p = data;
    while (field < 10 && (p = strchr(p, ',')) != NULL) {
        p++;
        field++;
    }
    ck_assert_msg(p && strtol(p, NULL, 10) == 1, "csv restarts column is not 1: %s", data);
    free(err);
    free(out);
    bg_done(&b);
    kit_assert_clean(fds);
}
END_TEST

/* SIGKILL the supervisor: nobody is left to send a poison pill, yet within
 * 2 s no worker is alive (PR_SET_PDEATHSIG, or EOF on the channel). */
START_TEST(test_supervisor_killed)
{
    int fds = kit_count_fds();
    struct bg b;
    const char *flags[] = { "--messages", "0", "--workers", "3", "--quiet", NULL };
    bg_start(&b, flags);
    char stats[1024];
    bg_cmd(&b, "STATS", stats, sizeof stats);
    pid_t pids[8];
    int n = pids_of(stats, pids, 8);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(kill(b.pid, SIGKILL), 0);
    int st;
    ck_assert_int_eq(waitpid(b.pid, &st, 0), b.pid);
    b.pid = 0;
    int alive = n;
    for (int ms = 0; ms <= 2000 && alive; ms += 20) {
        alive = 0;
        for (int i = 0; i < n; i++)
            alive += pid_alive(pids[i]);
        if (alive)
            kit_sleep_ms(20);
    }
    ck_assert_msg(alive == 0, "%d of %d workers still alive 2 s after the supervisor died", alive, n);
    bg_done(&b);
    kit_assert_clean(fds);
}
END_TEST

/* SIGINT: stop reading, drain, pill, reap; nothing lost, exit 0, socket gone. */
START_TEST(test_sigint_drains)
{
    int fds = kit_count_fds();
    struct bg b;
    const char *flags[] = { "--messages", "0", "--workers", "2", NULL };
    bg_start(&b, flags);
    char stats[1024];
    bg_cmd(&b, "STATS", stats, sizeof stats);
    ck_assert_int_eq(kill(b.pid, SIGINT), 0);
    int st = bg_wait(&b, 30);
    char *err = bg_file(b.err);
    ck_assert_msg(st == 0, "exit %d: %s", st, err);
    ck_assert_msg(strstr(err, "stopped by SIGINT") && strstr(err, "nothing lost"), "summary: %s", err);
    ck_assert_msg(access(b.sock, F_OK) != 0, "the control socket file was left behind");
    free(err);
    bg_done(&b);
    kit_assert_clean(fds);
}
END_TEST

/* A worker that cannot answer (SIGSTOPped) yields "ERR timeout", not a hang,
 * and the supervisor keeps answering STATS meanwhile. --route map asks only the
 * key's owner (route_peek), and any worker may own k0001: stop both, once the
 * key has surely been routed. A key the map never routed is answered at once,
 * without asking a worker. */
START_TEST(test_query_timeout)
{
    int fds = kit_count_fds();
    struct bg b;
    /* --hang-ms 0: the workers are stopped on purpose, not to be killed as hung. */
    const char *flags[] = { "--messages", "0", "--workers", "2", "--route", "map", "--hang-ms", "0", "--quiet", NULL };
    bg_start(&b, flags);
    char stats[2048], ans[1024];
    bg_cmd(&b, "STATS", stats, sizeof stats);
    for (int i = 0; i < 2000 && stat_of(stats, "processed") < 20000; i++) {
        kit_sleep_ms(5);
        bg_cmd(&b, "STATS", stats, sizeof stats);
    }
    ck_assert_msg(stat_of(stats, "processed") >= 20000, "the run does not move: %s", stats);
    pid_t pids[4];
    ck_assert_int_eq(pids_of(stats, pids, 4), 2);
    ck_assert_int_eq(kill(pids[0], SIGSTOP), 0);
    ck_assert_int_eq(kill(pids[1], SIGSTOP), 0);
    bg_cmd(&b, "GET k0001", ans, sizeof ans);
    ck_assert_msg(strcmp(ans, "ERR timeout") == 0, "GET to a stopped worker answered '%s'", ans);
    bg_cmd(&b, "GET never-routed", ans, sizeof ans);
    ck_assert_msg(strcmp(ans, "ERR unknown key") == 0, "GET of a key the map never routed answered '%s'", ans);
    bg_cmd(&b, "STATS", stats, sizeof stats);
    ck_assert_msg(stat_of(stats, "workers_alive") == 2, "STATS while the workers are stopped: %s", stats);
    kill(pids[0], SIGCONT);
    kill(pids[1], SIGCONT);
    bg_cmd(&b, "GET k0001", ans, sizeof ans);
    ck_assert_msg(strncmp(ans, "k0001,", 6) == 0, "GET k0001 after SIGCONT answered '%s'", ans);
    bg_cmd(&b, "SHUTDOWN", ans, sizeof ans);
    int st = bg_wait(&b, 30);
    ck_assert_msg(st == 0, "exit %d", st);
    bg_done(&b);
    kit_assert_clean(fds);
}
END_TEST

/* --control-private: the socket's directory is created mode 0700 (the socket
 * inside is 0600) and both are gone after the run; a directory others can
 * enter is refused (exit 1) and left as it was. */
START_TEST(test_control_private)
{
    int fds = kit_count_fds();
    struct bg b;
    const char *flags[] = { "--messages", "0", "--workers", "2", "--quiet", NULL };
    /* bg_start puts the socket at DIR/ctl.sock; make it DIR/priv/ctl.sock. */
    char *dir = kit_tmpdir(), priv[256], sock[300], ans[1024];
    snprintf(priv, sizeof priv, "%s/priv", dir);
    snprintf(sock, sizeof sock, "%s/ctl.sock", priv);
    b.dir = dir;
    snprintf(b.sock, sizeof b.sock, "%s", sock);
    snprintf(b.err, sizeof b.err, "%s/err", dir);
    b.pid = fork();
    ck_assert(b.pid >= 0);
    if (b.pid == 0) {
        int e = open(b.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(e, 2);
        execl(kit_bin("phase3"), "phase3", flags[0], flags[1], flags[2], flags[3], flags[4], "--control", sock,
              "--control-private", (char *)NULL);
        _exit(127);
    }
    bg_cmd(&b, "STATS", ans, sizeof ans);
    struct stat st;
    ck_assert_int_eq(lstat(priv, &st), 0);
    ck_assert_msg(S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700, "directory mode %o, expected 0700",
                  (unsigned)(st.st_mode & 0777));
    ck_assert_int_eq(lstat(sock, &st), 0);
    ck_assert_msg(S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600, "socket mode %o, expected 0600",
                  (unsigned)(st.st_mode & 0777));
    bg_cmd(&b, "SHUTDOWN", ans, sizeof ans);
    int status = bg_wait(&b, 30);
    ck_assert_msg(status == 0, "exit %d", status);
    ck_assert_msg(access(priv, F_OK) != 0, "the private directory was left behind");

    /* A directory others may enter is refused, and left as it was. */
    ck_assert_int_eq(mkdir(priv, 0755), 0);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("phase3"), "--messages", "10", "--control", sock,
                             "--control-private", NULL), 0);
    ck_assert_msg(r.status == 1 && strstr(r.err, "0755"), "expected exit 1 naming mode 0755, got %d: %s",
                  r.status, r.err);
    ck_assert_msg(access(priv, F_OK) == 0 && access(sock, F_OK) != 0, "the refused directory was touched");
    kit_run_free(&r);
    bg_done(&b);
    kit_assert_clean(fds);
}
END_TEST

static Suite *phase3_suite(void)
{
    const struct kit_case cases[] = {
        { "codecs", test_codecs_same_dump, 30 },
        { "roundrobin", test_roundrobin_differs, 30 },
        { "key_owners", test_each_key_one_worker, 30 },
        { "control_private", test_control_private, 30 },
    };
    Suite *s = kit_suite("phase3", cases, KIT_NELEM(cases));
    tcase_add_loop_test(kit_tcase(s, "dump_equals_reference", 60), test_dump_equals_reference,
                        0, 3);

    TCase *tc = kit_tcase(s, "input_and_flags", 30);
    tcase_add_test(tc, test_malformed_exit_65);
    tcase_add_test(tc, test_bad_flags_exit_2);

    tc = kit_tcase(s, "query_mid_run", 60);
    tcase_add_test(tc, test_query_mid_run);
    tcase_add_test(tc, test_query_timeout);

    tc = kit_tcase(s, "lifecycle", 60);
    tcase_add_test(tc, test_worker_killed_respawned);
    tcase_add_test(tc, test_supervisor_killed);
    tcase_add_test(tc, test_sigint_drains);
    return s;
}

KIT_TEST_MAIN(phase3_suite)
