/* pool.c: forking phase-3 workers into the process table (see pool.h).
 *
 * The child side of fork() is where most process bugs live, so it is spelled
 * out step by step in child_setup(): what a child inherits (every fd, every
 * signal handler, the parent's stdio buffers and loop) and what it must undo
 * before it can be trusted to run on its own. */
#include "pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Close every fd except 0, 1, 2, a and b. close_range(2) does it in one call
 * (Linux 5.9); older kernels get a walk over /proc/self/fd. */
static int close_span(unsigned lo, unsigned hi)
{
    return lo > hi ? 0 : close_range(lo, hi, 0);
}

static void close_except(int a, int b)
{
    unsigned lo = (unsigned)(a < b ? a : b), hi = (unsigned)(a < b ? b : a);
    if (close_span(3, lo - 1) == 0 && close_span(lo + 1, hi - 1) == 0 && close_span(hi + 1, ~0U) == 0)
        return;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != a && fd != b && fd != dirfd(d))
            close(fd);
    }
    closedir(d);
}

/* Runs in the child, signals still blocked (see pool_spawn). */
static void child_setup(pid_t parent, int data_fd, int query_fd)
{
    /* 1. Signal handlers. The child inherited libuv's handlers, which write into
     *    the PARENT's signal pipe: a Ctrl-C here would be reported to the
     *    supervisor twice. Back to the defaults; SIGINT ignored because the
     *    terminal sends it to the whole process group and the supervisor runs the
     *    graceful shutdown (a worker killed by Ctrl-C would lose its drain);
     *    SIGPIPE ignored so a write to a dead supervisor is an EPIPE, not a death. */
    struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);     /* fails harmlessly for SIGKILL, SIGSTOP, RT internals */
    sigaction(SIGINT, &ign, NULL);
    sigaction(SIGPIPE, &ign, NULL);

    /* 2. Die with the supervisor. PR_SET_PDEATHSIG fires when the thread that
     *    forked us exits (the supervisor is single-threaded, so: when it dies).
     *    It is armed only now, so re-check: if the parent died between fork()
     *    and prctl(), we have already been re-parented and no signal will come. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(0);

    /* 3. File descriptors. Keep our two channel ends and stderr; everything else
     *    (other workers' channels, the control socket's listening fd, the input
     *    file, the parent's epoll and signal pipes) belongs to the supervisor. A
     *    worker holding another worker's channel would keep it open after that
     *    worker died, hiding the EOF; one holding the listening socket would make
     *    a dead supervisor's socket look alive to the next run. stdin and stdout
     *    go to /dev/null: a consumer reading the supervisor's stdout must see EOF
     *    when the supervisor is done, even if a worker lingers. */
    close_except(data_fd, query_fd);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (null > 2)
            close(null);
    }

    /* 4. Now that no inherited handler can run, take signals again. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

int pool_spawn(struct slot *s, const struct worker_cfg *cfg, int *data_fd, int *query_fd,
               char *err, size_t errlen)
{
    int d[2], q[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, d) < 0) {
        snprintf(err, errlen, "socketpair() failed spawning worker %u: %s", s->id, strerror(errno));
        return -1;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, q) < 0) {
        int e = errno;
        close(d[0]);
        close(d[1]);
        snprintf(err, errlen, "socketpair() failed spawning worker %u: %s", s->id, strerror(e));
        return -1;
    }
    /* Unflushed stdio output would be copied into the child; the child leaves
     * with _exit() (never flushing), but flushing first makes that moot. */
    fflush(stdout);
    fflush(stderr);
    /* Block every signal across fork(): between fork() and child_setup() the
     * child still has the parent's handlers, and one running there would write
     * into the parent's libuv signal pipe. */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        child_setup(parent, d[1], q[1]);
        /* _exit, not exit: the parent's atexit handlers and stdio buffers are
         * the parent's business. */
        _exit(worker_run(cfg, d[1], q[1]));
    }
    int e = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(d[1]);
    close(q[1]);
    if (pid < 0) {
        close(d[0]);
        close(q[0]);
        snprintf(err, errlen, "fork() failed spawning worker %u: %s", s->id, strerror(e));
        return -1;
    }
    s->pid = pid;
    s->state = SLOT_RUNNING;
    *data_fd = d[0];
    *query_fd = q[0];
    return 0;
}

struct slot *pool_find(struct slot *slots, unsigned n, pid_t pid)
{
    for (unsigned i = 0; i < n; i++)
        if (slots[i].pid == pid)
            return &slots[i];
    return NULL;
}

unsigned pool_signal(struct slot *slots, unsigned n, int sig)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (slots[i].pid > 0 && kill(slots[i].pid, sig) == 0)
            k++;
    return k;
}

const char *pool_status_str(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by SIG%s", sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
    else
        snprintf(buf, len, "status 0x%x", status);
    return buf;
}
