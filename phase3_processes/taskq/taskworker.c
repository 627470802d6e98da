/* taskworker.c: the worker process of bin/taskq's shm scheme (see
 * taskpool_impl.h): claim a range from the ring, run it from its holder,
 * commit each result, give the holder back; and its start, through
 * lib/child.h (which also ties it to the supervisor's life). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

#include "child.h"
#include "taskpool_impl.h"

static bool die_in_window;

static void window_hook(void)
{
    if (die_in_window)
        raise(SIGKILL);         /* test hook: after the CAS, before the copy */
}

/* What a worker needs: the pool (its shared memory) and its slot. */
struct task_worker {
    struct taskpool *p;
    uint32_t w;
};

/* A worker (run by child_spawn, which also ties it to the supervisor's life):
 * claim, run, commit, until the ring is closed and empty. */
static int task_worker_main(void *arg)
{
    struct taskpool *p = ((struct task_worker *)arg)->p;
    uint32_t w = ((struct task_worker *)arg)->w;
    const struct taskpool_opts *o = p->o;
    struct taskring_holder *h = holder(p, w);
    uint32_t sb = o->slot_bytes;
    bool may_kill = o->kill_after && w == 0 && p->gen[w] == 0;
    bool may_stop = o->stop_after && w == 0 && p->gen[w] == 0;
    uint64_t mine = 0;          /* tasks this incarnation committed */
    for (;;) {
        int n = taskring_claim(p->ring, h, o->batch, may_kill ? window_hook : NULL);
        if (n == TASKRING_CLAIM_BROKEN) {
            fprintf(stderr, "taskq: worker %u: the ring's claim counted more ready slots than it "
                    "asked for (exercise taskq-claim?)\n", w);
            _exit(TASKPOOL_EXIT_BROKEN);
        }
        if (n < 0)
            continue;           /* EINTR */
        if (n == 0)
            break;              /* closed and empty */
        bool freed = false;
        for (int i = 0; i < n; i++) {
            atomic_store_explicit(&h->next, (uint32_t)i, memory_order_relaxed);
            struct task_slot *s = taskring_local(h, sb, (uint32_t)i);
            uint64_t id = s->t.id;
            if (id >= o->tasks)
                continue;       /* cannot happen; verify() would report the gap */
            struct task_result *r = &p->res[id];
            if (atomic_load_explicit(&r->runs, memory_order_acquire) == 0) {
                const uint8_t *bytes = s->t.where == TASK_BYTES_INLINE ? s->bytes
                    : s->t.where == TASK_BYTES_ARENA ? taskarena_at(p->arena, s->t.arena_off) : NULL;
                taskrun_commit(r, id, w, taskfn_run(&s->t, bytes));
                atomic_fetch_add_explicit(&p->wc[w].done, 1, memory_order_relaxed);
                mine++;
            } else {
                atomic_fetch_add_explicit(&p->wc[w].skipped, 1, memory_order_relaxed);
            }
            if (s->t.where == TASK_BYTES_ARENA) {
                taskarena_free(p->arena, s->t.arena_off);   /* after the commit */
                freed = true;
            }
            if (may_stop && mine >= o->stop_after && i + 1 < n)
                raise(SIGSTOP);                             /* test hook: hung, holding a claim */
            if (may_kill && mine >= o->kill_after) {
                if (o->kill_in_window)
                    die_in_window = true;                   /* at the next claim */
                else if (i + 1 < n)
                    raise(SIGKILL);                         /* mid-batch */
            }
        }
        taskring_retire(h);
        if (freed)
            taskring_wake_space(p->ring);
        taskrun_notify(&p->sh->done_word, &p->sh->done_waiters);
    }
    return 0;
}

int taskworker_start(struct taskpool *p, uint32_t w, char *err, size_t errlen)
{
    taskring_holder_reset(holder(p, w));
    struct task_worker tw = { p, w };
    pid_t pid = child_spawn(NULL, task_worker_main, &tw);    /* keeps no fd: all is in the mapping */
    if (pid < 0) {
        snprintf(err, errlen, "fork() failed spawning worker %u: %s", w, strerror(errno));
        return -1;
    }
    p->pids[w] = pid;
    p->rep->w[w].pid = pid;
    p->hung[w] = false;
    p->last_sig[w] = UINT64_MAX;        /* the first watch records it */
    return 0;
}
