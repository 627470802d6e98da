/* sup_state.h: the supervisor's internals, for its own files only
 * (supervisor.c, lifecycle.c, watchdog.c, durable.c, counts.c, control.c,
 * report.c): the process table, the input side, and the run's figures for
 * STATS, the summary and the CSV row.
 * Everyone else sees the opaque struct sup of supervisor.h.
 *
 * Calls go down: supervisor.c calls lifecycle.c (spawn, reap, checkpoints);
 * lifecycle.c tells the supervisor what happened through fields it sets
 * (failed/why, stop_want) and the one hook below, never by calling back. */
#ifndef P3_SUP_STATE_H
#define P3_SUP_STATE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "hist.h"
#include "iocost.h"
#include "msg.h"
#include "pool.h"
#include "supervisor.h"
#include "watchdog.h"

enum sup_phase { SUP_RUN, SUP_DRAIN, SUP_DONE };

/* A worker killed as hung (watchdog.c), for the summary. */
struct sup_hang {
    unsigned slot;
    pid_t pid;
    uint64_t at_ns;             /* since the first message was read */
};

struct ctlsrv;
struct inbox;
struct querytab;
struct gather;
struct router;

struct sup {
    const struct sup_opts *o;
    uv_loop_t loop;
    int loop_ok;                /* loop initialised */
    struct stream *in;          /* the input; owned from sup_init on */
    struct inbox *inbox;        /* --input: in's reader thread (lib/inbox.h); NULL for the built-in source */
    int input_wait;             /* the pump stopped because the inbox was empty */
    uint64_t taken;             /* messages taken from the inbox, kept when it closes */
    struct router *router;      /* picks the worker of every message, once per message */
    struct worker_slot *slots;         /* the process table, o->workers entries */
    struct worker_cfg wcfg;
    uv_idle_t pump;             /* active while input may be read */
    uv_timer_t tick;
    uv_timer_t ckpt_timer;      /* --checkpoint-ms: ask workers with a non-empty replay log */
    uv_signal_t sigchld, sigint, sigterm;
    struct ctlsrv *ctl;
    struct querytab *qt;
    struct gather *gather;
    enum sup_phase phase;
    const char *stop_reason;    /* "end of input", "SHUTDOWN", "SIGINT", ... */

    /* Back-pressure: a message read for a worker with no credit waits here and
     * the pump stops until that worker acks (stalled). */
    int held;
    int stalled;
    unsigned held_slot;
    struct msg held_msg;
    struct buf held_payload;
    uint64_t stalls, stall_ns, stall_t0;

    uint64_t routed;            /* messages handed to a worker's channel */
    uint64_t lost_unsent;       /* read from the input but never sent (no worker to take them) */
    uint64_t encode_ns;         /* inside codec_encode, all messages */
    struct iocost chan_io;      /* read()/write() on the data channels, this side: time and bytes */
    uint64_t chan_writes;       /* write() calls that moved bytes on data channels */
    uint64_t restarts;

    /* Recovery (--recovery on): what checkpoints and replays cost. */
    uint64_t checkpoints;       /* committed */
    uint64_t ckpt_rows;         /* keystates in them */
    uint64_t ckpt_bytes;        /* frame bytes of them (rows + headers + CKPT_END) */
    uint64_t ckpt_asks;         /* CKPT_REQ sent */
    struct hist ckpt_build;     /* worker time building one (ns, as the worker measured it) */
    struct hist ckpt_commit;    /* supervisor time committing one (ns) */
    uint64_t log_ns;            /* copying every routed frame into its replay log */
    uint64_t log_bytes;         /* bytes copied into the replay logs */
    uint64_t replay_stalls;     /* stalls because a replay log was full (a subset of stalls) */
    uint64_t replayed;          /* messages re-sent to respawned workers */
    uint64_t replayed_bytes;
    uint64_t rolled_back;       /* of those, messages a dead worker had acked (past its checkpoint) */
    uint64_t restored_rows;     /* checkpoint rows respawned workers started from */
    uint64_t respawn_ns;        /* fork() time of respawns */
    struct hist recover;        /* a death reaped -> its replay acked by the new worker (ns) */
    uint64_t t_spawn_ns;        /* forking the workers at startup */
    uint64_t t_start, t_end;    /* first pump .. last worker reaped */
    uint64_t last_progress;     /* drain: the last ack/report seen */
    uint64_t term_at;           /* drain: when SIGTERM (or the last SIGKILL) went out, 0 if not yet */
    int killed;                 /* the user's second SIGINT/SIGTERM killed every worker: no respawn */
    uint64_t hangs;             /* workers killed as hung (--hang-ms) */
    struct sup_hang hang_log[WATCHDOG_HANG_LOG];   /* the first of them */
    struct hist ping;           /* query-channel round trips of an empty frame (ns) */
    uint64_t queries;           /* control commands received */
    size_t keys, split;         /* after the gather */
    uint64_t cpu_ns;            /* the supervisor's own CPU time */
    int failed;                 /* a runtime failure: exit 1 */
    char why[256];              /* ... and its one-line reason */

    /* --state-dir, --resume (durable.c). */
    uv_timer_t snap_timer;      /* --snapshot-ms */
    char fp[4096];              /* what the snapshots are valid for (input and flags) */
    struct buf snap_buf;        /* the snapshot being written, reused */
    uint64_t snap_number;       /* the newest snapshot written (or resumed from) */
    uint64_t snaps, snap_failures;
    size_t snap_last_bytes;
    uint64_t snap_total_bytes;
    struct hist snap_ns;        /* taking one: encode, write, fsync, rename, fsync dir */
    uint64_t resumed_from;      /* the snapshot --resume started from (0: none) */
    uint64_t resume_bad;        /* newer snapshots found unusable */
    uint64_t resume_skipped;    /* input messages the snapshot covered */
    uint64_t resume_rows, resume_replay;        /* checkpoint rows restored, logged messages replayed */
    int refused;                /* the failure is a snapshot of another run: exit 2 */

    /* What lifecycle.c reports up without calling the supervisor. */
    const char *stop_want;      /* a reaped death wants the run to stop (reason), read after lifecycle_reap */
    /* sl may take messages again (an ack, a commit, a respawn): restart a stalled pump. */
    void (*on_room)(struct sup *s, const struct worker_slot *sl);
};

/* Record a runtime failure: the first reason wins (exit 1 names it). */
static inline __attribute__((format(printf, 2, 3))) void sup_fail(struct sup *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    s->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
}


#endif
