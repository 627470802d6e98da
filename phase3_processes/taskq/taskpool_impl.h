/* taskpool_impl.h: the inside of bin/taskq's shm scheme, shared by its three
 * files: taskpool.c (the supervisor: layout, feeding the ring, the run),
 * taskrecover.c (reaping, recovering a dead or hung worker's tasks) and
 * taskworker.c (the worker process). Calls go down: taskpool.c ->
 * taskrecover.c -> taskworker.c. Not for use outside this room. */
#ifndef KIT_TASKPOOL_IMPL_H
#define KIT_TASKPOOL_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskarena.h"
#include "taskpool.h"
#include "taskring.h"

#define ALIGN64(n) (((n) + 63) & ~(size_t)63)

/* The supervisor's wake-up word and the per-worker counters, in shared memory. */
struct taskpool_shared {
    _Atomic uint32_t done_word;         /* bumped after every batch a worker finishes */
    _Atomic uint32_t done_waiters;      /* 1 while the supervisor sleeps on it */
    uint8_t pad[56];
};

struct wcount {                         /* one per worker slot, own cache line */
    _Atomic uint64_t done;
    _Atomic uint64_t skipped;
    uint8_t pad[48];
};

struct taskpool {
    const struct taskpool_opts *o;
    uint8_t *mem;
    size_t mem_len;
    struct taskpool_shared *sh;
    struct taskring *ring;
    struct taskarena *arena;
    uint8_t *holders;                   /* workers x holder_len */
    size_t holder_len;
    struct wcount *wc;
    struct task_result *res;
    pid_t pids[WORKERS_MAX];            /* 0 = slot empty (dead, not respawned) */
    uint32_t gen[WORKERS_MAX];          /* incarnation of each slot */
    bool recover[WORKERS_MAX];          /* died holding work: recover before respawn */
    bool hung[WORKERS_MAX];             /* killed for a hang, not reaped yet */
    uint64_t last_sig[WORKERS_MAX];     /* hang watch: progress signature ... */
    uint64_t last_move[WORKERS_MAX];    /* ... and when it last changed (ns) */
    bool closing;
    bool broken;                        /* a worker found the claim broken */
    uint64_t scan;                      /* results below this are all committed */
    uint8_t *retry;                     /* task images to push again */
    size_t retry_n, retry_cap;
    struct taskpool_report *rep;
};

/* A worker's exit status when its claim came back impossible: the run fails
 * at once instead of respawning workers that would fail the same way. */
#define TASKPOOL_EXIT_BROKEN 70

static inline struct taskring_holder *holder(struct taskpool *p, uint32_t w)
{
    return (struct taskring_holder *)(p->holders + (size_t)w * p->holder_len);
}

/* taskworker.c: start the process of slot w (its holder emptied first).
 * Returns 0, or -1 with a reason in err. */
int taskworker_start(struct taskpool *p, uint32_t w, char *err, size_t errlen);

/* taskrecover.c: kill (SIGKILL) every live worker that has held a claim with
 * no progress for --hang-ms; its death is then recovered like any other. */
void taskrecover_watch(struct taskpool *p, uint64_t now);

/* taskrecover.c: reap every exited worker, put the tasks it held and never
 * committed on p's retry list, respawn its slot (unless closing). Returns 0, or
 * -1 with a reason in err. */
int taskrecover_run(struct taskpool *p, char *err, size_t errlen);

#endif
