/* child.c: starting a worker process (see child.h).
 *
 * The child side of fork() is where most process bugs live, so it is spelled
 * out step by step in child_setup(): what a child inherits (every fd, every
 * signal handler, the parent's stdio buffers and event loop) and what it must
 * undo before it can be trusted to run on its own. */
#include "child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

/* 1 if fd is one of the kept ones. */
static int kept(const int *keep, unsigned n, int fd)
{
    for (unsigned i = 0; i < n; i++)
        if (keep[i] == fd)
            return 1;
    return 0;
}

/* Close every fd above 2 that is not kept. close_range(2) does it in a few
 * calls (Linux 5.9); older kernels get a walk over /proc/self/fd. */
static void close_others(const int *keep, unsigned n)
{
    unsigned lo = 3;
    int ok = 1;
    for (;;) {
        unsigned next = ~0U;    /* the lowest kept fd >= lo */
        for (unsigned i = 0; i < n; i++)
            if (keep[i] >= (int)lo && (unsigned)keep[i] < next)
                next = (unsigned)keep[i];
        if (next == ~0U) {
            ok = ok && close_range(lo, ~0U, 0) == 0;
            break;
        }
        if (next > lo)
            ok = ok && close_range(lo, next - 1, 0) == 0;
        lo = next + 1;
    }
    if (ok)
        return;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != dirfd(d) && !kept(keep, n, fd))
            close(fd);
    }
    closedir(d);
}

/* stdin and/or stdout to /dev/null, as asked. */
static void null_std(const struct child_opts *o)
{
    if (!o->null_stdin && !o->null_stdout)
        return;
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0)
        return;
    if (o->null_stdin)
        dup2(null, 0);
    if (o->null_stdout)
        dup2(null, 1);
    if (null > 2)
        close(null);
}

/* Runs in the child, every signal still blocked (see child_spawn). */
static void child_setup(const struct child_opts *o, pid_t parent)
{
    /* 1. Signal handlers. The child inherited the parent's handlers (libuv's
     *    write into the PARENT's signal pipe: a Ctrl-C here would be reported
     *    to the supervisor twice). Back to the defaults; SIGPIPE ignored. */
    struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);     /* fails harmlessly for SIGKILL, SIGSTOP, RT internals */
    sigaction(SIGPIPE, &ign, NULL);
    if (o->ignore_sigint)
        sigaction(SIGINT, &ign, NULL);

    /* 2. Die with the parent. PR_SET_PDEATHSIG fires when the thread that
     *    forked us exits. It is armed only now, so re-check: if the parent died
     *    between fork() and prctl(), we were re-parented and no signal comes. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(0);

    /* 3. File descriptors. Everything not kept (other workers' channels, a
     *    listening socket, the input file, the parent's epoll and signal pipes)
     *    belongs to the parent: a worker holding another worker's channel would
     *    hide that worker's EOF after it died. */
    close_others(o->keep, o->nkeep);
    null_std(o);

    /* 4. Now that no inherited handler can run, take signals again. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

pid_t child_spawn(const struct child_opts *opts, child_fn fn, void *arg)
{
    static const struct child_opts plain;
    const struct child_opts *o = opts ? opts : &plain;
    if (o->nkeep > CHILD_KEEP_MAX || (o->nkeep && !o->keep)) {
        errno = EINVAL;
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    /* Block every signal across fork(): between fork() and child_setup() the
     * child still has the parent's handlers. */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        child_setup(o, parent);
        _exit(fn(arg));
    }
    int e = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return pid;
}
