/* taskrecover.c: what the supervisor of bin/taskq's shm scheme does when a
 * worker dies or hangs (see this room's README, "The crash story"): reap it,
 * re-enqueue exactly the tasks it held with runs == 0 (from its holder, or
 * orphaned in its claim window), respawn its slot; and the hang watch that
 * turns a stopped or stuck worker into a dead one. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "taskpool_impl.h"
#include "timing.h"

/* ---------------------------------------------------------------- hangs */

/* A worker holds a claim while its holder lists tasks or a claim is in flight
 * (epoch odd). A worker asleep on an empty ring holds nothing. */
static bool holds_claim(struct taskring_holder *h)
{
    return atomic_load(&h->local_n) || (taskring_holder_epoch(h) & 1);
}

/* SIGKILL worker w for a hang. Its death is then recovered like any other:
 * a stopped or stuck process that is killed never commits again, so its
 * uncommitted tasks can run elsewhere, exactly once. */
static void kill_hung(struct taskpool *p, uint32_t w, uint64_t idle_ns)
{
    if (p->hung[w])
        return;
    p->hung[w] = true;
    p->rep->hangs++;
    if (p->o->status)
        fprintf(p->o->status, "taskq: worker %u (pid %d) held a claim (%u task(s)) with no progress for "
                "%.2f s (--hang-ms %d): killing it\n", w, (int)p->pids[w],
                atomic_load(&holder(p, w)->local_n), (double)idle_ns / 1e9, p->o->hang_ms);
    kill(p->pids[w], SIGKILL);
}

/* The watch (taskpool_impl.h). Progress: a task committed or skipped, a claim
 * begun or ended. */
void taskrecover_watch(struct taskpool *p, uint64_t now)
{
    for (uint32_t w = 0; w < p->o->workers; w++) {
        if (!p->pids[w] || p->recover[w])
            continue;
        struct taskring_holder *h = holder(p, w);
        uint64_t sig = atomic_load(&p->wc[w].done) + atomic_load(&p->wc[w].skipped) + taskring_holder_epoch(h);
        if (sig != p->last_sig[w] || !holds_claim(h)) {
            p->last_sig[w] = sig, p->last_move[w] = now;
            continue;
        }
        if (now - p->last_move[w] >= (uint64_t)p->o->hang_ms * 1000000u)
            kill_hung(p, w, now - p->last_move[w]);
    }
}

/* ---------------------------------------------------------------- recovery */

static int retry_add(struct taskpool *p, const struct task_slot *s)
{
    size_t sb = p->o->slot_bytes;
    if (p->retry_n == p->retry_cap) {
        size_t cap = p->retry_cap ? p->retry_cap * 2 : 64;
        uint8_t *n = realloc(p->retry, cap * sb);
        if (!n)
            return -1;
        p->retry = n, p->retry_cap = cap;
    }
    memcpy(p->retry + p->retry_n++ * sb, s, sb);
    return 0;
}

static void orphan_cb(const struct task_slot *s, void *arg)
{
    struct taskpool *p = arg;
    if (s->t.id < p->o->tasks && atomic_load(&p->res[s->t.id].runs) == 0) {
        retry_add(p, s);
        p->rep->rerun_orphan++;
    }
}

/* Reap every exited child; mark the ones that died with work in hand. Returns
 * how many died. */
static int reap_workers(struct taskpool *p)
{
    int n = 0, st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0 || (pid < 0 && errno == EINTR)) {
        if (pid < 0)
            continue;
        for (uint32_t w = 0; w < p->o->workers; w++)
            if (p->pids[w] == pid) {
                p->pids[w] = 0;
                bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
                if (WIFEXITED(st) && WEXITSTATUS(st) == TASKPOOL_EXIT_BROKEN)
                    p->broken = true;   /* a respawn would break the same way: stop */
                if (!clean || !p->closing) {
                    p->recover[w] = true;
                    p->rep->killed++;
                    if (p->o->status)
                        fprintf(p->o->status, "taskq: worker %u (pid %d) %s %d; recovering its tasks\n",
                                w, (int)pid, WIFSIGNALED(st) ? "killed by signal" : "exited with",
                                WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
                }
                n++;
            }
    }
    return n;
}

/* After a worker died inside its claim window: find the slots it claimed and
 * never copied. Tail first, then the epochs (taskring.h says why), then wait
 * for every live worker to leave the claim it is in: a few instructions, no
 * blocking call inside, so yielding is enough, unless that worker is itself
 * stopped or stuck there: after --hang-ms it is killed. Returns 0, or -1 when
 * a live worker died meanwhile (recover again, with it included). */
static int recover_orphans(struct taskpool *p)
{
    const struct taskpool_opts *o = p->o;
    uint64_t t = taskring_tail(p->ring), snap[WORKERS_MAX], t0 = now_ns();
    for (uint32_t w = 0; w < o->workers; w++)
        snap[w] = taskring_holder_epoch(holder(p, w));
    for (uint32_t w = 0; w < o->workers; w++)
        while (p->pids[w] && !p->recover[w] && !taskring_holder_quiet(holder(p, w), snap[w])) {
            siginfo_t si = { .si_pid = 0 };
            if (waitid(P_PID, (id_t)p->pids[w], &si, WEXITED | WNOHANG | WNOWAIT) == 0
                && si.si_pid == p->pids[w])
                return -1;
            uint64_t waited = now_ns() - t0;
            if (o->hang_ms > 0 && waited >= (uint64_t)o->hang_ms * 1000000u)
                kill_hung(p, w, waited);
            sched_yield();
        }
    taskring_orphans(p->ring, t, orphan_cb, p);
    return 0;
}

/* Recover every dead worker's unfinished tasks into the retry list, then
 * respawn it (unless the run is closing). */
int taskrecover_run(struct taskpool *p, char *err, size_t errlen)
{
    const struct taskpool_opts *o = p->o;
    uint32_t sb = o->slot_bytes;
again:
    reap_workers(p);
    bool window = false;
    for (uint32_t w = 0; w < o->workers; w++) {
        if (!p->recover[w])
            continue;
        struct taskring_holder *h = holder(p, w);
        uint32_t n = atomic_load(&h->local_n);
        for (uint32_t i = 0; i < n; i++) {      /* its local queue: authoritative */
            struct task_slot *s = taskring_local(h, sb, i);
            if (s->t.id < o->tasks && atomic_load(&p->res[s->t.id].runs) == 0) {
                if (retry_add(p, s) < 0)
                    goto nomem;
                p->rep->rerun_local++;
            } else if (s->t.where == TASK_BYTES_ARENA) {
                taskarena_free(p->arena, s->t.arena_off);   /* done, maybe not freed */
            }
        }
        if (n)
            taskring_release_range(p->ring, atomic_load(&h->local_pos), n);
        else if (taskring_holder_epoch(h) & 1)
            window = true;      /* died inside a claim, before copying */
        taskring_holder_reset(h);
    }
    if (window && recover_orphans(p) < 0)
        goto again;             /* another worker died meanwhile: start over with it included */
    for (uint32_t w = 0; w < o->workers; w++) {
        if (!p->recover[w])
            continue;
        p->recover[w] = false;
        if (!p->closing) {
            p->gen[w]++;
            p->rep->w[w].restarts++;
            if (taskworker_start(p, w, err, errlen) < 0)
                return -1;
        }
    }
    return 0;
nomem:
    snprintf(err, errlen, "out of memory keeping the tasks of a dead worker");
    return -1;
}
