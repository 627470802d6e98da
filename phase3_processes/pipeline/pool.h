/* pool.h: phase 3's process table (nginx's master/worker, in miniature).
 *
 * One slot per worker, for the whole run. A worker that dies is respawned INTO
 * THE SAME SLOT: the router maps keys to slot numbers, so the key -> worker
 * mapping survives the restart; with --recovery on, the slot's checkpoint and
 * replay log, kept here, bring its state back (off, that state is lost). A
 * slot records the live process (pid, the supervisor's ends of its two
 * socketpairs), its state, how often it was restarted, and the counters the
 * supervisor needs for back-pressure and for an honest account of losses.
 *
 * Slot states:
 *   EMPTY   -> RUNNING   pool_spawn() forked a worker
 *   RUNNING -> DRAINING  the poison pill was queued (shutdown)
 *   any     -> DEAD      it was reaped without finishing; respawned at once while
 *                        the run goes on (-> RUNNING), or while it drains with
 *                        --recovery on (-> DRAINING: replay, then the pill)
 *   DRAINING-> EXITED    reaped after shutdown
 */
#ifndef P3_POOL_H
#define P3_POOL_H

#include <stdint.h>
#include <sys/types.h>

#include "recovery.h"
#include "wire.h"
#include "worker.h"

enum slot_state { SLOT_EMPTY, SLOT_RUNNING, SLOT_DRAINING, SLOT_DEAD, SLOT_EXITED };

struct channel;

struct worker_slot {
    unsigned id;                /* index in the table = the router's worker number */
    pid_t pid;                  /* the live process; 0 once reaped */
    enum slot_state state;
    unsigned restarts;          /* respawns into this slot */
    struct channel *data, *query;  /* supervisor's ends; NULL while no worker is attached */

    /* This incarnation (reset when the worker dies): credit = routed - acked. */
    uint64_t inc_msgs, inc_bytes;       /* routed to it (queued or written), replay included */
    struct wire_ack ack;                /* the last cumulative ack it sent */
    uint64_t inc_base;          /* slot messages whose effect it started with (its checkpoint) */
    uint64_t inc_replay;        /* messages replayed to it when it started */
    uint64_t t_died;            /* when its predecessor was reaped (ns); 0 once it caught up */
    int ckpt_asked;             /* a CKPT_REQ is outstanding */
    uint64_t ckpt_at;           /* when the last checkpoint was committed (ns) */
    uint64_t progress_at;       /* when it was spawned or last sent a data frame (ns): the hang clock */

    /* Recovery (--recovery on): the checkpoint and the replay log of this slot. */
    struct recovery rec;
    unsigned fails;             /* deaths in a row without progress (a crash loop) */

    /* The whole run, all incarnations. */
    uint64_t routed;            /* messages routed to this slot */
    uint64_t done;              /* messages acked as applied (a replayed message counts once) */
    uint64_t lost_inflight;     /* routed but never acked by a worker that died */
    uint64_t lost_applied;      /* acked, but their effect died with the worker's state */
    uint64_t lost_keys;         /* keys whose state died with a worker (as of its last ack) */
    int exit_status;            /* last wait status */
    int reported;               /* 1 once the final REPORT..END arrived */
    struct wire_report report;  /* what the worker measured (valid when reported) */
    pid_t reported_pid;         /* the pid that sent the report */
    unsigned hangs;             /* times its worker was killed as hung (--hang-ms) */
    pid_t hung_pid;             /* the pid last killed as hung (not killed twice) */
    void *owner;                /* the supervisor, for channel callbacks */
};

/* Fork one worker for slot s with cfg: two socketpairs (data, query), fork,
 * and in the child: keep only its two ends and stdio, PR_SET_PDEATHSIG, run
 * worker_run() on a fresh loop, _exit(). In the parent: s->pid and the fds in
 * data_fd and query_fd (CLOEXEC). Returns 0, or -1 with a reason in err. */
int pool_spawn(struct worker_slot *s, const struct worker_cfg *cfg, int *data_fd, int *query_fd,
               char *err, size_t errlen);

/* Collect slot's process if it has ended, without blocking: waitpid() on its
 * pid alone. Returns 1 with *status set (the slot keeps its pid for the caller
 * to account the death), 0 if it is still running or has no process. */
int pool_reaped(struct worker_slot *sl, int *status);

/* Send sig to every slot with a live process. Returns how many were signalled. */
unsigned pool_signal(struct worker_slot *slots, unsigned n, int sig);

/* Wait (blocking) for every slot's live process, by pid, and mark it reaped
 * (pid 0, exit_status set). Only our own children: never waitpid(-1). */
void pool_wait_all(struct worker_slot *slots, unsigned n);

/* Describe a wait status ("exit 0", "killed by SIGKILL") into buf; returns buf. */
const char *pool_status_str(int status, char *buf, size_t len);

#endif
