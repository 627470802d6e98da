/* test_phase5.c: bin/phase5 under mpirun on this machine (through
 * phase5_cluster/kitmpirun.sh, which adds what root and 2 cores need and a
 * time limit, so that no mpirun can hang the suite).
 *
 *   dump        the dump equals bin/reference's on generated streams: 2 worker
 *               ranks over shared memory (vader), 4 over TCP (loopback), and
 *               a file with bad lines (exit 65, the same reject lines);
 *   query       GET, STATS and a bad line answered while messages flow
 *               (processed grows between two STATS), then SHUTDOWN: OK, exit 0,
 *               a dump whose rows add up to the CSV's message count, and the
 *               socket file gone;
 *   rank_dies   a worker rank SIGKILLed mid-run: exit 1, the dead rank named,
 *               the applied count printed, the socket file gone;
 *   usage       one rank only, and a bad flag: exit 2, one usage, not N+1.
 *
 * Where mpirun is missing the suite says so in one line and runs nothing
 * (scripts/deps.sh installs openmpi-bin, so `make ci` never skips). Under
 * ThreadSanitizer it also says so and runs nothing: Open MPI is not built with
 * TSan, and its shared-memory transport and progress thread would be reported
 * as races of ours. Under ASan the ranks run with ASan and UBSan on but
 * LeakSanitizer off (mpi_env): Open MPI dlclose()s its components in
 * MPI_Finalize, so the allocations they keep for the process's life show up as
 * leaks from frames no tool can name, and no suppression can match them;
 * bin/reference, run by the same tests, keeps its leak check.
 * mpirun starts in ~0.5-1 s, so the cases are few. */
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

#define MPI_LIMIT "60"          /* kitmpirun.sh's own time limit, s (below the TCase's) */

static int have_mpirun(void)
{
    return system("command -v mpirun >/dev/null 2>&1") == 0;
}

/* argv for kitmpirun.sh: --transport T -np N bin/phase5, then flags (NULL-ended). */
static void mpi_argv(const char **argv, size_t cap, const char *transport, const char *np,
                     const char *const *flags)
{
    size_t n = 0;
    argv[n++] = kit_src("phase5_cluster/kitmpirun.sh");
    argv[n++] = "--transport";
    argv[n++] = transport;
    argv[n++] = "-np";
    argv[n++] = np;
    argv[n++] = kit_bin("phase5");
    for (size_t i = 0; flags[i] && n + 1 < cap; i++)
        argv[n++] = flags[i];
    argv[n] = NULL;
}

/* The environment mpirun's ranks inherit (see the top of the file). The test
 * runs in a forked child of Check, so the change ends with the test. */
static void mpi_env(void)
{
    setenv("KIT_MPI_TIMEOUT", MPI_LIMIT, 1);
#if defined(__SANITIZE_ADDRESS__)
    char opts[512];
    snprintf(opts, sizeof opts, "%s%sdetect_leaks=0", getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "",
             getenv("ASAN_OPTIONS") ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
#endif
}

static void run_mpi(struct kit_run *r, const char *transport, const char *np, const char *const *flags)
{
    const char *argv[40];
    mpi_argv(argv, 40, transport, np, flags);
    char *saved = getenv("ASAN_OPTIONS") ? strdup(getenv("ASAN_OPTIONS")) : NULL;
    mpi_env();
    ck_assert_int_eq(kit_runv(r, NULL, 90, (char *const *)argv), 0);
    if (saved)
        setenv("ASAN_OPTIONS", saved, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(saved);
}

/* bin/reference on the same flags: its dump and its stderr. */
static char *reference(const char *const *flags, int want_status, char **err)
{
    const char *argv[40] = { kit_bin("reference") };
    size_t n = 1;
    for (size_t i = 0; flags[i]; i++)
        argv[n++] = flags[i];
    argv[n++] = "--dump-state";
    argv[n++] = "-";
    argv[n++] = "--quiet";
    argv[n] = NULL;
    struct kit_run r;
    ck_assert_int_eq(kit_runv(&r, NULL, 60, (char *const *)argv), 0);
    ck_assert_int_eq(r.status, want_status);
    char *out = r.out;
    if (err)
        *err = r.err, r.err = NULL;
    r.out = NULL;
    kit_run_free(&r);
    return out;
}

struct dump_case {
    const char *what, *transport, *np;
    const char *flags[12];
};

static const struct dump_case dumps[] = {
    { "2 worker ranks, shared memory, zipf", "shm", "3",
      { "--messages", "30000", "--keys", "400", "--dist", "zipf", "--seed", "5", NULL } },
    { "4 worker ranks, TCP, uniform, 64-byte payload, --route consistent", "tcp", "5",
      { "--messages", "20000", "--keys", "300", "--seed", "9", "--payload", "64", "--route", "consistent", NULL } },
};

START_TEST(test_dump_equals_reference)
{
    const struct dump_case *d = &dumps[_i];
    /* --route is phase 5's flag: the reference takes the stream flags only. */
    const char *ref_flags[12];
    size_t n = 0;
    for (size_t i = 0; d->flags[i]; i++) {
        if (strcmp(d->flags[i], "--route") == 0) {
            i++;
            continue;
        }
        ref_flags[n++] = d->flags[i];
    }
    ref_flags[n] = NULL;
    char *want = reference(ref_flags, 0, NULL);
    const char *flags[16];
    for (n = 0; d->flags[n]; n++)
        flags[n] = d->flags[n];
    flags[n++] = "--dump-state";
    flags[n++] = "-";
    flags[n++] = "--quiet";
    flags[n] = NULL;
    struct kit_run r;
    run_mpi(&r, d->transport, d->np, flags);
    ck_assert_msg(r.status == 0, "%s: exit %d, stderr:\n%s", d->what, r.status, r.err);
    kit_assert_same_dump(want, r.out, d->what);
    kit_run_free(&r);
    free(want);
}
END_TEST

/* The reject lines of a stderr (those that start with the input's path). */
static char *rejects(const char *err, const char *path)
{
    size_t cap = strlen(err) + 1, len = 0, plen = strlen(path);
    char *out = calloc(1, cap);
    for (const char *p = err; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (strncmp(p, path, plen) == 0 && p[plen] == ':') {
            memcpy(out + len, p, n);
            len += n;
        }
        p += n;
    }
    return out;
}

START_TEST(test_bad_lines)
{
    char *dir = kit_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/in.txt", dir);
    ck_assert_int_eq(kit_write_file(path,
        "a,START,\n" "a,DATA,1.5\n" "b,START,\n" "this line is bad\n" "b,DATA,x\n" "b,DATA,2\n"
        "# a comment\n" "a,FLY,1\n" "c,DATA,3\n" "a,STOP,\n" "b,DATA,1e999\n" "b,PAUSE,\n"), 0);
    const char *ref_flags[] = { "--input", path, NULL };
    char *ref_err;
    char *want = reference(ref_flags, 65, &ref_err);
    const char *flags[] = { "--input", path, "--dump-state", "-", "--quiet", NULL };
    struct kit_run r;
    run_mpi(&r, "shm", "3", flags);
    ck_assert_msg(r.status == 65, "exit %d, want 65; stderr:\n%s", r.status, r.err);
    kit_assert_same_dump(want, r.out, "a file with bad lines");
    char *a = rejects(ref_err, path), *b = rejects(r.err, path);
    ck_assert_msg(*a && strcmp(a, b) == 0, "reject lines differ:\nreference:\n%s\nphase5:\n%s", a, b);
    free(a);
    free(b);
    kit_run_free(&r);
    free(want);
    free(ref_err);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* Start kitmpirun.sh in the background, stdout and stderr to dir/out, dir/err. */
static pid_t spawn(const char *dir, const char *np, const char *const *flags)
{
    const char *argv[40];
    mpi_argv(argv, 40, "shm", np, flags);
    char out[512], err[512];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(err, sizeof err, "%s/err", dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        mpi_env();
        int in = open("/dev/null", O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
            e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static char *slurp(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *t = kit_read_file(path, NULL);
    return t ? t : strdup("");
}

static void ask(int fd, const char *cmd, char *answer, size_t len)
{
    ck_assert_msg(ctlclient_request(fd, cmd, answer, len, (int)(10000 * kit_time_scale())) >= 0,
                  "no answer to '%s': %s", cmd, strerror(errno));
}

/* The sum of the messages column of a dump. */
static unsigned long long dump_messages(const char *dump)
{
    unsigned long long sum = 0;
    const char *p = strchr(dump, '\n');
    while (p && p[1]) {
        const char *c = strchr(p + 1, ',');     /* key, state, messages */
        c = c ? strchr(c + 1, ',') : NULL;
        ck_assert_ptr_nonnull(c);
        sum += strtoull(c + 1, NULL, 10);
        p = strchr(p + 1, '\n');
    }
    return sum;
}

START_TEST(test_query_while_flowing)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir();
    char sock[512], dump[512];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    snprintf(dump, sizeof dump, "%s/dump.csv", dir);
    /* Endless input, 2 units of work per DATA message: it flows until SHUTDOWN. */
    const char *flags[] = { "--messages", "0", "--keys", "50", "--work", "2", "--control", sock,
                            "--dump-state", dump, "--csv", "--quiet", NULL };
    pid_t pid = spawn(dir, "3", flags);
    int fd = kit_connect_ctl(sock, pid);
    char a[2048], b[2048], row[1024];
    ask(fd, "STATS", a, sizeof a);
    for (int i = 0; i < 400 && kit_stat_field(a, "processed=") == 0; i++) {
        kit_sleep_ms(10);
        ask(fd, "STATS", a, sizeof a);
    }
    ask(fd, "GET k0007", row, sizeof row);
    ck_assert_msg(strncmp(row, "k0007,", 6) == 0, "GET k0007 answered '%s'", row);
    ask(fd, "GET nosuchkey", b, sizeof b);
    ck_assert_str_eq(b, "ERR unknown key");
    ask(fd, "FLY", b, sizeof b);
    ck_assert_msg(strncmp(b, "ERR ", 4) == 0, "a bad line answered '%s'", b);
    ask(fd, "STATS", b, sizeof b);
    for (int i = 0; i < 400 && kit_stat_field(b, "processed=") <= kit_stat_field(a, "processed="); i++) {
        kit_sleep_ms(10);
        ask(fd, "STATS", b, sizeof b);
    }
    ck_assert_msg(kit_stat_field(b, "processed=") > kit_stat_field(a, "processed="),
                  "nothing flowed between two STATS: '%s' then '%s'", a, b);
    ck_assert_uint_eq(kit_stat_field(b, "workers="), 2);
    ask(fd, "SHUTDOWN", b, sizeof b);
    ck_assert_str_eq(b, "OK");
    close(fd);
    int st = kit_reap_timeout(pid, 75);
    char *err = slurp(dir, "err"), *out = slurp(dir, "out"), *d = slurp(dir, "dump.csv");
    ck_assert_msg(st == 0, "exit %d after SHUTDOWN; stderr:\n%s", st, err);
    ck_assert_msg(access(sock, F_OK) != 0, "the socket file is still there");
    /* The CSV row's messages (rank 0's count) against the rows' own counts. */
    const char *hdr = strstr(out, "messages,seconds");
    ck_assert_ptr_nonnull(hdr);
    unsigned long long csv_msgs = strtoull(strchr(hdr, '\n') + 1, NULL, 10);
    ck_assert_msg(csv_msgs > 0 && csv_msgs == dump_messages(d), "CSV says %llu messages, the dump's rows %llu",
                  csv_msgs, dump_messages(d));
    free(err);
    free(out);
    free(d);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

START_TEST(test_rank_dies)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir();
    char sock[512];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    const char *flags[] = { "--messages", "0", "--keys", "50", "--control", sock, "--quiet", NULL };
    pid_t pid = spawn(dir, "4", flags);
    int fd = kit_connect_ctl(sock, pid);
    char a[2048];
    ask(fd, "STATS", a, sizeof a);
    for (int i = 0; i < 400 && kit_stat_field(a, "processed=") == 0; i++) {
        kit_sleep_ms(10);
        ask(fd, "STATS", a, sizeof a);
    }
    close(fd);
    /* pids=P1,P2,P3 (rank order), last: kill rank 2. */
    const char *p = strstr(a, "pids=");
    ck_assert_ptr_nonnull(p);
    p = strchr(p, ',');
    ck_assert_ptr_nonnull(p);
    long victim = strtol(p + 1, NULL, 10);
    ck_assert_int_gt(victim, 1);
    ck_assert_int_eq(kill((pid_t)victim, SIGKILL), 0);
    int st = kit_reap_timeout(pid, 75);
    char *err = slurp(dir, "err");
    char want[128];
    snprintf(want, sizeof want, "rank 2 (pid %ld on ", victim);
    ck_assert_msg(st == 1, "exit %d, want 1; stderr:\n%s", st, err);
    ck_assert_msg(strstr(err, want) && strstr(err, "died first"), "the dead rank is not named ('%s'):\n%s", want, err);
    ck_assert_msg(strstr(err, "the worker ranks had applied"), "no applied count:\n%s", err);
    ck_assert_msg(access(sock, F_OK) != 0, "the socket file is still there");
    free(err);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

START_TEST(test_usage)
{
    const char *one[] = { "--messages", "10", NULL };
    struct kit_run r;
    run_mpi(&r, "shm", "1", one);
    ck_assert_msg(r.status == 2 && strstr(r.err, "mpirun -np N+1"), "one rank: exit %d, stderr:\n%s", r.status,
                  r.err);
    kit_run_free(&r);
    const char *bad[] = { "--route", "roundrobin", NULL };
    run_mpi(&r, "shm", "3", bad);
    ck_assert_msg(r.status == 2 && count(r.err, "roundrobin splits keys") == 1, "a bad flag on 3 ranks: exit %d, "
                  "want 2 and one message, stderr:\n%s", r.status, r.err);
    kit_run_free(&r);
}
END_TEST

START_TEST(test_skipped)
{
    /* Nothing to test here: kit_suite names why in the line below. */
}
END_TEST

static Suite *phase5_suite(void)
{
    const char *why = NULL;
#if defined(__SANITIZE_THREAD__)
    why = "built with ThreadSanitizer: Open MPI is not instrumented, so its shared-memory transport and progress "
          "thread would be reported as races; the MPI cases run in the default and ASan builds";
#endif
    if (!why && !have_mpirun())
        why = "mpirun not found (scripts/deps.sh installs openmpi-bin)";
    if (why) {
        printf("test_phase5: SKIPPED, %s\n", why);
        const struct kit_case skip[] = { { "skipped", test_skipped, 5 } };
        return kit_suite("phase5", skip, KIT_NELEM(skip));
    }
    Suite *s = suite_create("phase5");
    TCase *tc = kit_tcase(s, "dump", 120);
    tcase_add_loop_test(tc, test_dump_equals_reference, 0, (int)KIT_NELEM(dumps));
    tcase_add_test(tc, test_bad_lines);
    tc = kit_tcase(s, "query", 120);
    tcase_add_test(tc, test_query_while_flowing);
    tc = kit_tcase(s, "rank_dies", 120);
    tcase_add_test(tc, test_rank_dies);
    tc = kit_tcase(s, "usage", 120);
    tcase_add_test(tc, test_usage);
    return s;
}

KIT_TEST_MAIN(phase5_suite)
