/* supervisor.h: phase 3's main process: message source -> router -> N worker
 * processes, plus the control socket, on one libuv loop that never blocks on a
 * worker. The run's figures stay in struct sup for the summary and the CSV row. */
#ifndef P3_SUPERVISOR_H
#define P3_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "cli.h"
#include "codec.h"
#include "hist.h"
#include "msg.h"
#include "pool.h"
#include "route.h"

#define SUP_QUEUE_BYTES  (4u << 20)  /* default bytes in flight per worker (besides --queue-depth messages) */
#define SUP_PUMP_BATCH   256         /* default messages read from the input per loop turn */
#define SUP_GRACE_MS     5000        /* drain: SIGTERM after this long without progress, SIGKILL 1 s later */
#define SUP_TICK_MS      100         /* housekeeping timer: query timeouts, pings, drain deadline */
#define SUP_RESTART_MAX  100         /* deaths in a row without progress before the run gives up */
#define SUP_CKPT_EVERY   4096        /* default --checkpoint-every: ask after this many messages logged */
#define SUP_CKPT_MS      100         /* default --checkpoint-ms: ask a worker with anything logged this often */
#define SUP_REPLAY_MAX   16384       /* default --replay-max: messages in one worker's replay log */
#define SUP_REPLAY_BYTES (32u << 20) /* default --replay-max-bytes: bytes in one worker's replay log */

struct sup_opts {
    const struct cli *cli;      /* the common flags */
    unsigned workers;           /* --workers */
    enum route route;           /* --route */
    enum codec codec;           /* --codec */
    unsigned depth;             /* --queue-depth: messages in flight per worker */
    size_t depth_bytes;         /* bytes in flight per worker */
    unsigned pump_batch;        /* --pump-batch: messages per loop turn */
    const char *route_map;      /* --route-map FILE for --route map, or NULL */
    const char *key_owners;     /* --key-owners FILE, or NULL */
    const char *workers_csv;    /* --workers-csv FILE, or NULL */
    unsigned grace_ms;          /* --grace-ms */
    int recovery;               /* --recovery on|off: checkpoints + replay, or count the losses */
    unsigned ckpt_every;        /* --checkpoint-every N messages */
    unsigned ckpt_ms;           /* --checkpoint-ms MS */
    uint64_t replay_max;        /* --replay-max: messages per worker's replay log */
    size_t replay_max_bytes;    /* --replay-max-bytes */
};

enum sup_phase { SUP_RUN, SUP_DRAIN, SUP_DONE };

struct ctlsrv;
struct inbox;
struct querytab;
struct gather;

struct sup {
    const struct sup_opts *o;
    uv_loop_t loop;
    int loop_ok;                /* loop initialised */
    struct stream *in;          /* the input; owned from sup_init on */
    struct inbox *inbox;        /* --input: in's reader thread (lib/inbox.h); NULL for the built-in source */
    int input_wait;             /* the pump stopped because the inbox was empty */
    uint64_t taken;             /* messages taken from the inbox, kept when it closes */
    struct router *router;      /* picks the worker of every message, once per message */
    struct slot *slots;         /* the process table, o->workers entries */
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
    uint64_t chan_ns;           /* inside read()/write() on the data channels, this side */
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
    uint64_t term_at;           /* drain: when SIGTERM went out, 0 if not yet */
    int killed;                 /* SIGKILL sent to stragglers */
    struct hist ping;           /* query-channel round trips of an empty frame (ns) */
    uint64_t queries;           /* control commands received */
    size_t keys, split;         /* after the gather */
    uint64_t cpu_ns;            /* the supervisor's own CPU time */
    int failed;                 /* a runtime failure: exit 1 */
    char why[256];              /* ... and its one-line reason */
};

/* Set up the run: the routers, the loop and its signal watchers, fork every
 * worker (startup order in supervisor.c), the control socket. Takes ownership
 * of `in`. Returns 0, or -1 with a one-line reason in s->why. */
int sup_init(struct sup *s, const struct sup_opts *o, struct stream *in);

/* Run until the input is done (or SHUTDOWN/SIGINT/SIGTERM), drain, stop and reap
 * every worker, gather the final state. Returns 0, or -1 with s->why set. */
int sup_run(struct sup *s);

/* Stop reading input and drain: the poison pill goes behind every worker's
 * last message. Idempotent; reason says why ("SHUTDOWN", "SIGINT", ...). */
void sup_stop(struct sup *s, const char *reason);

/* Write --dump-state and --key-owners from the gathered rows. 0 or -1 (why set). */
int sup_write_outputs(struct sup *s);

/* Counter helpers for the summary and STATS. */
uint64_t sup_messages_in(const struct sup *s);  /* messages taken from the input */
uint64_t sup_rejected(const struct sup *s);     /* malformed input lines so far */
uint64_t sup_processed(const struct sup *s);    /* messages acked by workers, all incarnations */
uint64_t sup_lost(const struct sup *s);         /* messages whose effect is not in the final state */
unsigned sup_alive(const struct sup *s);        /* workers alive now */

/* Release everything (after sup_run). */
void sup_free(struct sup *s);

/* For lifecycle.c, the supervisor's other half. */
void sup_fail(struct sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));  /* first reason wins */
int sup_replay_room(const struct sup *s, const struct slot *sl);   /* sl's replay log can take a message */
void sup_stall_check(struct sup *s, const struct slot *sl);        /* restart a pump stalled on sl if it has room */
void sup_check_done(struct sup *s);     /* draining and nobody alive: finish (close the loop's handles) */

#endif
