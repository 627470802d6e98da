/* pool.c: forking phase-3 workers into the process table (see pool.h). The
 * child side of fork() (signals, fds, dying with the supervisor) is
 * lib/child.c's, written once for every program of the kit. */
#include "pool.h"
#include "child.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child needs to run the worker (passed through child_spawn). */
struct child_args {
    const struct worker_cfg *cfg;
    int data_fd, query_fd;
};

static int child_main(void *arg)
{
    const struct child_args *c = arg;
    return worker_run(c->cfg, c->data_fd, c->query_fd);
}

int pool_spawn(struct worker_slot *s, const struct worker_cfg *cfg, int *data_fd, int *query_fd,
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
    /* The child keeps its two channel ends and stderr; everything else (other
     * workers' channels, the control socket's listening fd, the input file, the
     * parent's epoll and signal pipes) belongs to the supervisor. One holding
     * the listening socket would make a dead supervisor's socket look alive to
     * the next run. SIGINT is ignored: the terminal sends it to the whole group
     * and the supervisor runs the graceful drain. */
    int keep[2] = { d[1], q[1] };
    struct child_opts o = { .keep = keep, .nkeep = 2, .null_stdin = 1, .null_stdout = 1,
                            .ignore_sigint = 1 };
    struct child_args c = { cfg, d[1], q[1] };
    pid_t pid = child_spawn(&o, child_main, &c);
    int e = errno;
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

int pool_reaped(struct worker_slot *sl, int *status)
{
    if (sl->pid <= 0)
        return 0;
    pid_t r;
    do
        r = waitpid(sl->pid, status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno == ECHILD) {
        *status = 0xff00;       /* already collected by someone else: gone, status unknown (exit 255) */
        return 1;
    }
    return r == sl->pid;
}

void pool_wait_all(struct worker_slot *slots, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (slots[i].pid <= 0)
            continue;
        int st;
        pid_t r;
        do
            r = waitpid(slots[i].pid, &st, 0);
        while (r < 0 && errno == EINTR);
        if (r == slots[i].pid)
            slots[i].exit_status = st;
        slots[i].pid = 0;
    }
}

unsigned pool_signal(struct worker_slot *slots, unsigned n, int sig)
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
