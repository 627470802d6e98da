/* test_ctl_full.c: a full table of silent control connections never locks the
 * operator out (issue: 32 idle connections used to make SHUTDOWN answer "ERR too
 * many connections"). For each pipeline (phase 1, 2 and 3): the program reads a
 * few lines from a pipe the test keeps open (so it runs until told to stop), the
 * test opens CTL_CONN_MAX connections that never send anything, then STATS and
 * SHUTDOWN on new connections are answered, the run ends with exit 0, and its
 * dump equals bin/reference's on the same lines. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctlclient.h"
#include "kit_test.h"
#include "param.h"

#define T_MS 3000

static const char LINES[] = "k1,START,\nk1,DATA,1.5\nk2,START,\nk1,DATA,2.25\n";

/* Start prog --input - --control SOCK --dump-state DUMP with stdin from a pipe;
 * returns the pid, the pipe's write end in *wfd. */
static pid_t start(const char *prog, const char *sock, const char *dump, int *wfd)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(p[0], 0);
        dup2(null, 1);
        dup2(null, 2);
        close(p[0]);
        close(p[1]);
        execl(kit_bin(prog), prog, "--input", "-", "--control", sock, "--dump-state", dump,
              (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    *wfd = p[1];
    return pid;
}

static void full_table(const char *prog)
{
    int fds_before = kit_count_fds();
    char *dir = kit_tmpdir(), sock[512], dump[512], a[4096];
    snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
    snprintf(dump, sizeof dump, "%s/dump.csv", dir);
    int in;
    pid_t pid = start(prog, sock, dump, &in);
    ck_assert_int_eq(write(in, LINES, sizeof LINES - 1), (ssize_t)sizeof LINES - 1);
    int silent[CTL_CONN_MAX];
    silent[0] = kit_connect_ctl(sock, pid);         /* waits for the socket */
    for (int i = 1; i < CTL_CONN_MAX; i++)
        ck_assert_int_ge(silent[i] = ctlclient_open(sock, T_MS), 0);
    ck_assert_msg(ctl_request(sock, "STATS", a, sizeof a, T_MS) > 0 && strncmp(a, "ERR", 3) != 0,
                  "%s: STATS with %d silent connections open: expected an answer, got '%s'",
                  prog, CTL_CONN_MAX, a);
    ck_assert_msg(ctl_request(sock, "SHUTDOWN", a, sizeof a, T_MS) > 0 && strcmp(a, "OK") == 0,
                  "%s: SHUTDOWN with %d silent connections open: expected OK, got '%s'",
                  prog, CTL_CONN_MAX, a);
    close(in);
    ck_assert_int_eq(kit_reap_timeout(pid, 20), 0);
    for (int i = 0; i < CTL_CONN_MAX; i++)
        close(silent[i]);
    char *got = kit_read_file(dump, NULL);
    char *const ref[] = { (char *)kit_bin("reference"), "--input", "-", "--dump-state", "/dev/stdout", NULL };
    struct kit_run r;
    ck_assert_int_eq(kit_runv(&r, LINES, 20, ref), 0);
    ck_assert_ptr_nonnull(got);
    kit_assert_same_dump(r.out, got, prog);
    kit_run_free(&r);
    free(got);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds_before);
}

START_TEST(phase1_full_table) { full_table("phase1"); }
END_TEST
START_TEST(phase2_full_table) { full_table("phase2"); }
END_TEST
START_TEST(phase3_full_table) { full_table("phase3"); }
END_TEST

static Suite *ctl_full_suite(void)
{
    const struct kit_case cases[] = {
        { "phase1", phase1_full_table, 30 },
        { "phase2", phase2_full_table, 30 },
        { "phase3", phase3_full_table, 30 },
    };
    return kit_suite("ctl_full", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(ctl_full_suite)
