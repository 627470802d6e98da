/* test_child.c: lib/child's child is set up as its contract says, checked from
 * the outside: the exit status passes through, only kept fds survive, stdin
 * and stdout go to /dev/null when asked, no signal is blocked and handlers are
 * back to their defaults, and the child dies with its parent. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit_test.h"
#include "child.h"

static int exit_seven(void *arg)
{
    (void)arg;
    return 7;
}

START_TEST(test_status)
{
    int fds = kit_count_fds();
    pid_t pid = child_spawn(NULL, exit_seven, NULL);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(kit_reap_timeout(pid, 10), 7);
    kit_assert_clean(fds);
}
END_TEST

/* The child reports, one byte per fd 3..63, which fds it still has open. */
static int report_fds(void *arg)
{
    int out = *(int *)arg;
    char open_fds[64];
    for (int fd = 0; fd < 64; fd++)
        open_fds[fd] = fcntl(fd, F_GETFD) >= 0 ? '1' : '0';
    return write(out, open_fds, sizeof open_fds) == (ssize_t)sizeof open_fds ? 0 : 1;
}

START_TEST(test_fds)
{
    int fds = kit_count_fds();
    int p[2], extra[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(pipe(extra), 0);           /* inherited, not kept: must be closed */
    int keep[1] = { p[1] };
    struct child_opts o = { .keep = keep, .nkeep = 1 };
    pid_t pid = child_spawn(&o, report_fds, &p[1]);
    ck_assert_int_gt(pid, 0);
    close(p[1]);
    char got[64];
    ck_assert_int_eq(read(p[0], got, sizeof got), (ssize_t)sizeof got);
    ck_assert_int_eq(kit_reap_timeout(pid, 10), 0);
    for (int fd = 3; fd < 64; fd++)
        ck_assert_msg(got[fd] == (fd == p[1] ? '1' : '0'), "fd %d: expected %s in the child",
                      fd, fd == p[1] ? "open" : "closed");
    ck_assert_int_eq(got[2], '1');              /* stderr stays */
    close(p[0]);
    close(extra[0]);
    close(extra[1]);
    kit_assert_clean(fds);
}
END_TEST

/* The child checks its own set-up and exits 0 only if all of it holds. */
static int check_setup(void *arg)
{
    (void)arg;
    struct stat in, out, null;
    if (stat("/dev/null", &null) < 0 || fstat(0, &in) < 0 || fstat(1, &out) < 0)
        return 10;
    if (in.st_rdev != null.st_rdev || out.st_rdev != null.st_rdev)
        return 11;
    sigset_t mask;
    sigprocmask(SIG_SETMASK, NULL, &mask);
    for (int sig = 1; sig < 32; sig++)
        if (sigismember(&mask, sig))
            return 12;
    struct sigaction sa;
    sigaction(SIGTERM, NULL, &sa);
    if (sa.sa_handler != SIG_DFL)
        return 13;
    sigaction(SIGPIPE, NULL, &sa);
    if (sa.sa_handler != SIG_IGN)
        return 14;
    sigaction(SIGINT, NULL, &sa);
    if (sa.sa_handler != SIG_IGN)
        return 15;
    return 0;
}

static void on_usr1(int sig)
{
    (void)sig;
}

START_TEST(test_setup)
{
    int fds = kit_count_fds();
    /* The parent has a handler and a blocked signal; the child must have neither. */
    struct sigaction sa = { .sa_handler = on_usr1 }, old;
    sigaction(SIGTERM, &sa, &old);
    sigset_t usr2, oldmask;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, &oldmask);
    struct child_opts o = { .null_stdin = 1, .null_stdout = 1, .ignore_sigint = 1 };
    pid_t pid = child_spawn(&o, check_setup, NULL);
    sigprocmask(SIG_SETMASK, &oldmask, NULL);
    sigaction(SIGTERM, &old, NULL);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(kit_reap_timeout(pid, 10), 0);
    kit_assert_clean(fds);
}
END_TEST

static int sleep_forever(void *arg)
{
    (void)arg;
    while (pause() < 0)         /* pause() returns only after a handler ran */
        continue;
    return 0;
}

/* A middle process spawns a grandchild and reports its pid, then is killed:
 * the grandchild must die too (PR_SET_PDEATHSIG). */
static int middle(void *arg)
{
    int out = *(int *)arg;
    pid_t g = child_spawn(NULL, sleep_forever, NULL);
    if (g < 0 || write(out, &g, sizeof g) != (ssize_t)sizeof g)
        return 1;
    while (pause() < 0)
        continue;
    return 0;
}

START_TEST(test_dies_with_parent)
{
    int fds = kit_count_fds();
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    int keep[1] = { p[1] };
    struct child_opts o = { .keep = keep, .nkeep = 1 };
    pid_t mid = child_spawn(&o, middle, &p[1]);
    ck_assert_int_gt(mid, 0);
    close(p[1]);
    pid_t g = 0;
    ck_assert_int_eq(read(p[0], &g, sizeof g), (ssize_t)sizeof g);
    close(p[0]);
    ck_assert_int_eq(kill(mid, SIGKILL), 0);
    ck_assert_int_eq(kit_reap_timeout(mid, 10), 128 + SIGKILL);
    /* The grandchild is not ours to reap: poll until kill(g, 0) says it is gone
     * (a zombie reparented to init is reaped there), at most ~10 s scaled. */
    int gone = 0;
    for (int i = 0; i < (int)(1000 * kit_time_scale()) && !gone; i++) {
        char path[64], state = 0;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)g);
        FILE *f = fopen(path, "r");
        if (!f)
            gone = 1;
        else {
            gone = fscanf(f, "%*d %*s %c", &state) == 1 && state == 'Z';
            fclose(f);
        }
        if (!gone)
            kit_sleep_ms(10);
    }
    ck_assert_msg(gone, "the grandchild %d outlived its parent", (int)g);
    kit_assert_clean(fds);
}
END_TEST

START_TEST(test_too_many_keep)
{
    int keep[CHILD_KEEP_MAX + 1] = { 0 };
    struct child_opts o = { .keep = keep, .nkeep = CHILD_KEEP_MAX + 1 };
    errno = 0;
    ck_assert_int_eq(child_spawn(&o, exit_seven, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert(!kit_children_alive());
}
END_TEST

static Suite *child_suite(void)
{
    const struct kit_case cases[] = {
        { "status", test_status, 10 },
        { "fds", test_fds, 10 },
        { "setup", test_setup, 10 },
        { "dies_with_parent", test_dies_with_parent, 20 },
        { "too_many_keep", test_too_many_keep, 10 },
    };
    return kit_suite("child", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(child_suite)
