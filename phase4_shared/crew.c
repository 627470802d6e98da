/* crew.c: worker slots, the fork, the reaper (crew.h). */
#include "crew.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "applier.h"
#include "child.h"

/* What a worker process runs: its slot's applier loop (applier.h). */
struct worker_arg {
    const struct crew *crew;
    unsigned index;
};

static int worker_main(void *arg)
{
    const struct worker_arg *w = arg;
    struct applier a = { .board = w->crew->board, .index = w->index, .work = w->crew->work,
                         .parent = w->crew->self };
    return applier_run(&a);
}

/* Start worker i with lib/child.h's child_spawn: signals blocked around the
 * fork, handlers reset, PR_SET_PDEATHSIG and the getppid() re-check, every fd
 * but stderr closed (stdin and stdout on /dev/null: a reader of the
 * supervisor's stdout sees its end), SIGINT ignored (a Ctrl-C reaches the whole
 * group: the supervisor drains). The child touches only the shared segment and
 * makes only async-signal-safe calls: the supervisor has a second thread. */
static int worker_start(struct crew *c, unsigned i, char *err, size_t errlen)
{
    static const struct child_opts opts = { .null_stdin = 1, .null_stdout = 1, .ignore_sigint = 1 };
    struct worker_arg w = { .crew = c, .index = i };
    pid_t pid = child_spawn(&opts, worker_main, &w);
    if (pid < 0) {
        snprintf(err, errlen, "fork() failed starting worker %u: %s", i, strerror(errno));
        return -1;
    }
    struct crew_slot *s = &c->slot[i];
    s->pid = pid;
    s->spawned_at = atomic_load_explicit(board_tail(c->board, i), memory_order_acquire);
    atomic_fetch_add_explicit(&c->alive, 1, memory_order_relaxed);
    return 0;
}

int crew_start(struct crew *c, const struct board *b, unsigned n, uint32_t work,
               char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->board = b;
    c->work = work;
    c->n = n;
    c->self = getpid();
    for (unsigned i = 0; i < n; i++)
        if (worker_start(c, i, err, errlen) < 0) {
            crew_kill(c);
            return -1;
        }
    return 0;
}

static int slot_of(const struct crew *c, pid_t pid)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->slot[i].pid == pid)
            return (int)i;
    return -1;
}

/* Worker i exited with status st: done, or respawned into its slot. */
static int settle(struct crew *c, unsigned i, int st, char *err, size_t errlen)
{
    struct crew_slot *s = &c->slot[i];
    s->pid = 0;
    atomic_fetch_sub_explicit(&c->alive, 1, memory_order_relaxed);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        s->done = true;
        return 0;
    }
    uint64_t tail = atomic_load_explicit(board_tail(c->board, i), memory_order_acquire);
    bool outside = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    s->streak = tail != s->spawned_at || outside ? 0 : s->streak + 1;
    if (s->streak >= CRASH_STREAK_MAX) {
        snprintf(err, errlen, "worker %u died %u times in a row without progress (last: %s %d)",
                 i, s->streak, WIFSIGNALED(st) ? "signal" : "exit status",
                 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        return -1;
    }
    atomic_fetch_add_explicit(&c->restarts, 1, memory_order_relaxed);
    return worker_start(c, i, err, errlen);
}

int crew_reap(struct crew *c, bool block, char *err, size_t errlen)
{
    int reaped = 0;
    for (;;) {
        int st;
        struct rusage ru;
        pid_t pid = wait4(-1, &st, block && reaped == 0 ? 0 : WNOHANG, &ru);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            return reaped;      /* 0: none left exited; ECHILD: no child at all */
        reaped++;
        c->cpu_ns += (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
                     (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
        int i = slot_of(c, pid);
        if (i >= 0 && settle(c, (unsigned)i, st, err, errlen) < 0)
            return -1;
    }
}

bool crew_done(const struct crew *c)
{
    for (unsigned i = 0; i < c->n; i++)
        if (!c->slot[i].done)
            return false;
    return true;
}

void crew_kill(struct crew *c)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->slot[i].pid > 0)
            kill(c->slot[i].pid, SIGKILL);
    for (unsigned i = 0; i < c->n; i++)
        if (c->slot[i].pid > 0) {
            while (waitpid(c->slot[i].pid, NULL, 0) < 0 && errno == EINTR)
                ;
            c->slot[i].pid = 0;
        }
    atomic_store(&c->alive, 0);
}
