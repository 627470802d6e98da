/* crew.h: the table of worker slots (pid, restarts), the one place a worker is
 * forked, and the reaper that respawns a dead worker into its slot: same ring,
 * same lane, same keys, so the key-to-worker mapping never changes.
 *
 * Workers start through lib/child.h's child_spawn. Only the supervisor's
 * dispatching thread calls these; alive and restarts are
 * atomics because the control thread reads them for STATS. */
#ifndef P4_CREW_H
#define P4_CREW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "board.h"
#include "param.h"

#define CRASH_STREAK_MAX 5      /* a slot whose worker crashes this often in a row, making no progress, fails the run */

struct crew_slot {
    pid_t pid;                  /* 0 when no process runs in the slot */
    bool done;                  /* its worker consumed the end-of-stream record and exited 0 */
    unsigned streak;            /* crashes in a row without progress (SIGKILL from outside does not count) */
    uint64_t spawned_at;        /* the slot's tail when its worker was started */
};

struct crew {
    const struct board *board;
    uint32_t work;              /* --work, handed to every worker */
    unsigned n;
    pid_t self;                 /* the supervisor's pid, for the workers' getppid() check */
    struct crew_slot slot[WORKERS_MAX];
    _Atomic unsigned alive;     /* workers running now */
    _Atomic uint64_t restarts;  /* workers respawned */
    uint64_t cpu_ns;            /* user + system CPU of every reaped worker */
};

/* Fork every worker. Returns 0, or -1 with a reason in err (those started are
 * killed and reaped again). */
int crew_start(struct crew *c, const struct board *b, unsigned n, uint32_t work,
               char *err, size_t errlen);

/* Reap the workers that exited (block: wait for at least one); respawn each that
 * died before its end-of-stream record. Returns how many were reaped, or -1 with
 * a reason in err (a fork failed, or a slot crashes again and again). */
int crew_reap(struct crew *c, bool block, char *err, size_t errlen);

/* True once every worker consumed its end-of-stream record and exited. */
bool crew_done(const struct crew *c);

/* Failure path: SIGKILL every worker still running and reap them all. */
void crew_kill(struct crew *c);

#endif
