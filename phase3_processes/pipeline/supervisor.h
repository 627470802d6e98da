/* supervisor.h: phase 3's main process: message source -> router -> N worker
 * processes, plus the control socket, on one libuv loop that never blocks on a
 * worker. struct sup is opaque here; its fields (the process table, the run's
 * figures) are in sup_state.h, for the supervisor's own files only. */
#ifndef P3_SUPERVISOR_H
#define P3_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "codec.h"
#include "ctl.h"
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
    unsigned hang_ms;           /* --hang-ms: kill a worker that owes acks and sends nothing this long (0: never) */
    int recovery;               /* --recovery on|off: checkpoints + replay, or count the losses */
    unsigned ckpt_every;        /* --checkpoint-every N messages */
    unsigned ckpt_ms;           /* --checkpoint-ms MS */
    uint64_t replay_max;        /* --replay-max: messages per worker's replay log */
    size_t replay_max_bytes;    /* --replay-max-bytes */
    const char *state_dir;      /* --state-dir DIR: durable run (durable.h), or NULL */
    int resume;                 /* --resume: start from DIR's newest good snapshot */
    unsigned snapshot_ms;       /* --snapshot-ms */
    ctl_handler on_cmd;         /* the control socket's handler (data: the struct sup) */
};

struct sup;
struct stream;

/* A supervisor for the run with options o (kept by reference) reading `in`
 * (owned from now on, also on failure). Sets up the routers, the loop and its
 * signal watchers, forks every worker (startup order in supervisor.c), opens
 * the control socket. Returns it; on failure, too, with sup_failed() set:
 * sup_why() says why, and sup_free() stops the workers already forked. NULL
 * only when out of memory. */
struct sup *sup_new(const struct sup_opts *o, struct stream *in);

/* Run until the input is done (or SHUTDOWN/SIGINT/SIGTERM), drain, stop and reap
 * every worker, gather the final state. Returns 0, or -1 with sup_why() set. */
int sup_run(struct sup *s);

/* Stop reading input and drain: the poison pill goes behind every worker's
 * last message. Idempotent; reason says why ("SHUTDOWN", "SIGINT", ...). */
void sup_stop(struct sup *s, const char *reason);

/* Release everything (after sup_run, or a failed sup_new), s included. */
void sup_free(struct sup *s);

#endif
