/* taskrun.h: what bin/taskq's three schemes share, so the benchmark compares
 * like with like: the options, the result array every scheme commits into (one
 * entry per task id), the report, and the check of the results against the
 * tasks' own definition.
 *   shm      (taskpool.h) a supervisor pushes into the shared task ring; workers
 *            claim ranges, run them, commit results into a shared result array;
 *            a killed or hung worker's unfinished tasks are found and run again once;
 *   dynamic  (taskbench.h) workers ask the supervisor for the next task over a
 *            pipe (one task per request: Pool with chunksize 1, MPOP's "dynamic
 *            scheduling");
 *   static   (taskbench.h) each worker gets tasks/N consecutive ids up front and
 *            makes them itself.
 * In every scheme the clock starts once the workers exist and are waiting, and
 * stops when the supervisor has seen every result (MPOP's rule: spawning excluded). */
#ifndef KIT_TASKRUN_H
#define KIT_TASKRUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "param.h"
#include "taskfn.h"

enum task_scheme { SCHEME_SHM, SCHEME_DYNAMIC, SCHEME_STATIC };

/* One task's result, in the shared result array (indexed by task id). */
struct task_result {
    _Atomic uint32_t runs;      /* the commit: +1 after value is stored (0 = not run) */
    uint32_t worker;            /* who ran it */
    uint64_t id;                /* the id the task carried (checks the transport) */
    uint64_t value;             /* the handler's result */
};

struct taskpool_opts {
    enum task_scheme scheme;
    uint32_t workers;           /* 1..WORKERS_MAX */
    uint64_t tasks;
    struct taskspec spec;
    uint32_t slots;             /* shm: ring slots, power of two */
    uint32_t slot_bytes;        /* shm: multiple of 64 */
    uint32_t batch;             /* shm: longest range claim */
    uint32_t arena_bytes;       /* shm: argument arena size */
    uint64_t kill_after;        /* test hook: worker 0 SIGKILLs itself after this many tasks (0 = never) */
    bool kill_in_window;        /* ... inside its claim window instead of mid-batch */
    uint64_t stop_after;        /* test hook: worker 0 SIGSTOPs itself mid-batch after this many tasks (0 = never) */
    int hang_ms;                /* shm: kill a worker that holds a claim with no progress this long (0 = never) */
    FILE *results;              /* if set: every task's result as CSV id,runs,worker,value after the run */
    bool recheck;               /* recompute every result sequentially after the run */
    int status_every_ms;        /* periodic status on `status` (0 = never) */
    FILE *status;               /* where status lines go (stderr), NULL = nowhere */
};

struct taskpool_worker_stats {
    int pid;                    /* the current (or last) process in this slot */
    uint64_t done;              /* tasks committed (all incarnations of the slot) */
    uint64_t claims, claimed;   /* shm: range claims and tasks claimed */
    uint64_t skipped;           /* deliveries of an already-done task, not run again */
    uint32_t restarts;          /* times the slot was respawned */
};

struct taskpool_report {
    double seconds;             /* first task offered .. last result seen */
    uint64_t tasks;
    uint64_t once, missing, dup; /* ids run exactly once, never, more than once */
    uint64_t id_sum, id_sum_expected;
    uint64_t bad_id;            /* results whose id field does not match their index */
    uint64_t wrong;             /* results that differ from a sequential recheck */
    bool rechecked;             /* whether the values were recomputed */
    uint64_t killed;            /* workers that died with work in hand */
    uint64_t rerun_local;       /* tasks re-enqueued from a dead worker's local queue */
    uint64_t rerun_orphan;      /* tasks re-enqueued from a dead worker's claim window */
    uint64_t hangs;             /* shm: workers killed for holding a claim with no progress */
    uint64_t depth_max;         /* shm: deepest queue seen at a status tick */
    uint32_t workers;
    struct taskpool_worker_stats w[WORKERS_MAX];
};

/* Fill the correctness part of rep from a result array of rep->tasks entries;
 * recheck: also recompute every value sequentially. */
void taskrun_verify(const struct task_result *res, const struct taskspec *spec, bool recheck,
                    struct taskpool_report *rep);

/* True if every task ran exactly once with the right id (and value, if rechecked). */
bool taskrun_ok(const struct taskpool_report *rep);

/* Commit one result (worker side): store, then the runs increment publishes it. */
void taskrun_commit(struct task_result *r, uint64_t id, uint32_t worker, uint64_t value);

/* Run task id of spec in this process (static scheme, recheck). scratch has
 * room for spec->nbytes. */
uint64_t taskrun_one(const struct taskspec *spec, uint64_t id, uint8_t *scratch);

/* Write the result array as CSV: header id,runs,worker,value, then one row per
 * task in id order (runs 0 = never run). The caller checks the stream. */
void taskrun_write(FILE *f, const struct task_result *res, uint64_t n);

/* Map n bytes of anonymous MAP_SHARED zeroed memory (inherited by fork, gone
 * when the last process unmaps it or exits: nothing in /dev/shm can leak).
 * Returns NULL with errno. */
void *taskrun_shared(size_t n);

/* Wait (futex on *word, ticket protocol: taskring.h) until every entry of
 * res[0, n) is committed, *scan moving forward as entries are seen; each wait
 * is at most wait_ms. Returns 1 when all are done, 0 when a wait ended (a
 * wake-up, EINTR, the timeout) with some still open. */
int taskrun_wait_done(const struct task_result *res, uint64_t n, uint64_t *scan,
                      _Atomic uint32_t *word, _Atomic uint32_t *waiters, int wait_ms);

/* Tell a supervisor sleeping in taskrun_wait_done that results came in. */
void taskrun_notify(_Atomic uint32_t *word, _Atomic uint32_t *waiters);

#endif
