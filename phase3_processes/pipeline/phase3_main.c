/* phase3_main.c: bin/phase3, the fork-based process pool (SPEC §7).
 *
 *   message source -> router -> N long-lived worker processes (each owns the
 *   state machines of its keys, on its own event loop) -> control socket
 *
 * This file reads the command line, runs the supervisor, and has report.c tell
 * what was measured: the narrated summary on stderr, the --csv row on stdout. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "control.h"
#include "counts.h"
#include "durable.h"
#include "param.h"
#include "report.h"
#include "stream.h"
#include "supervisor.h"
#include "watchdog.h"

enum {
    OPT_WORKERS = CLI_EXTRA_BASE, OPT_ROUTE, OPT_CODEC, OPT_DEPTH, OPT_PUMP, OPT_MAP,
    OPT_OWNERS, OPT_GRACE, OPT_RECOVERY, OPT_CKPT_EVERY, OPT_CKPT_MS, OPT_REPLAY_MAX, OPT_REPLAY_BYTES,
    OPT_WORKERS_CSV, OPT_HANG, OPT_STATE_DIR, OPT_RESUME, OPT_SNAPSHOT_MS,
};

static const struct cli_extra extras[] = {
    { "workers", "N", "worker processes, 1..256 (default 4)", OPT_WORKERS },
    { "route", "POLICY", "modulo|consistent|map|roundrobin (default modulo)", OPT_ROUTE },
    { "codec", "CODEC", "raw|msgpack|json: how messages cross to workers (default msgpack)", OPT_CODEC },
    { "queue-depth", "N", "messages in flight per worker before the input stalls (default 1024)", OPT_DEPTH },
    { "pump-batch", "N", "messages read from the input per loop turn (default 256)", OPT_PUMP },
    { "route-map", "FILE", "key,worker lines preloaded into --route map", OPT_MAP },
    { "key-owners", "FILE", "write key,worker,pid for every key a worker held ('-' = stdout)", OPT_OWNERS },
    { "grace-ms", "MS", "drain: SIGTERM workers idle this long, SIGKILL 1 s later (default 5000)", OPT_GRACE },
    { "recovery", "on|off", "on: checkpoints + replay, a killed worker loses nothing (default); off: count the losses",
      OPT_RECOVERY },
    { "checkpoint-every", "N", "ask a worker for a checkpoint after N messages routed to it (default 4096)",
      OPT_CKPT_EVERY },
    { "checkpoint-ms", "MS", "... or after MS ms with messages since the last one (default 100)", OPT_CKPT_MS },
    { "replay-max", "N", "messages kept for replay per worker; a full log stalls the input (default 16384)",
      OPT_REPLAY_MAX },
    { "replay-max-bytes", "N", "bytes kept for replay per worker (default 33554432)", OPT_REPLAY_BYTES },
    { "hang-ms", "MS", "kill and recover a worker that owes acks and sends nothing this long; 0: never (default 5000)",
      OPT_HANG },
    { "state-dir", "DIR", "durable run: snapshots into DIR, so that --resume survives the supervisor's death",
      OPT_STATE_DIR },
    { "resume", NULL, "start from the newest good snapshot in --state-dir (same input and flags)", OPT_RESUME },
    { "snapshot-ms", "MS", "with --state-dir: a snapshot every MS ms (default 1000)", OPT_SNAPSHOT_MS },
    { "workers-csv", "FILE", "at the end, one CSV row per worker: messages, keys, CPU, restarts, ... ('-' = stdout)",
      OPT_WORKERS_CSV },
};

/* cli_u64 into an unsigned option. */
static int set_uint(const char *arg, uint64_t lo, uint64_t hi, unsigned *dst, char *err, size_t errlen)
{
    uint64_t u;
    if (cli_u64(arg, lo, hi, &u, err, errlen) < 0)
        return -1;
    *dst = (unsigned)u;
    return 0;
}

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t errlen)
{
    struct sup_opts *o = ctx;
    uint64_t u;
    switch (val) {
    case OPT_WORKERS:
        return set_uint(arg, 1, WORKERS_MAX, &o->workers, err, errlen);
    case OPT_ROUTE:
        if (route_parse(arg, &o->route) < 0) {
            snprintf(err, errlen, "unknown policy '%s' (modulo, consistent, map, roundrobin)", arg);
            return -1;
        }
        return 0;
    case OPT_CODEC:
        if (codec_parse(arg, &o->codec) < 0) {
            snprintf(err, errlen, "unknown codec '%s' (raw, msgpack, json)", arg);
            return -1;
        }
        return 0;
    case OPT_DEPTH:
        return set_uint(arg, 1, 1u << 20, &o->depth, err, errlen);
    case OPT_PUMP:
        return set_uint(arg, 1, 1u << 20, &o->pump_batch, err, errlen);
    case OPT_MAP:
        o->route_map = arg;
        return 0;
    case OPT_OWNERS:
        o->key_owners = arg;
        return 0;
    case OPT_GRACE:
        return set_uint(arg, 1, 3600000, &o->grace_ms, err, errlen);
    case OPT_RECOVERY:
        if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0) {
            snprintf(err, errlen, "--recovery takes on or off, not '%s'", arg);
            return -1;
        }
        o->recovery = strcmp(arg, "on") == 0;
        return 0;
    case OPT_CKPT_EVERY:
        return set_uint(arg, 1, 1u << 30, &o->ckpt_every, err, errlen);
    case OPT_CKPT_MS:
        return set_uint(arg, 1, 3600000, &o->ckpt_ms, err, errlen);
    case OPT_REPLAY_MAX:
        if (cli_u64(arg, 1, 1u << 30, &u, err, errlen) < 0)
            return -1;
        o->replay_max = u;
        return 0;
    case OPT_REPLAY_BYTES:
        if (cli_u64(arg, 4096, (uint64_t)1 << 40, &u, err, errlen) < 0)
            return -1;
        o->replay_max_bytes = (size_t)u;
        return 0;
    case OPT_HANG:
        return set_uint(arg, 0, 3600000, &o->hang_ms, err, errlen);
    case OPT_STATE_DIR:
        o->state_dir = arg;
        return 0;
    case OPT_RESUME:
        o->resume = 1;
        return 0;
    case OPT_SNAPSHOT_MS:
        return set_uint(arg, 1, 3600000, &o->snapshot_ms, err, errlen);
    case OPT_WORKERS_CSV:
        o->workers_csv = arg;
        return 0;
    }
    return -1;
}

/* --state-dir and --resume need what a snapshot can stand for (exit 2 otherwise). */
static void check_durable(const struct cli *c, const struct sup_opts *o)
{
    if (o->resume && !o->state_dir)
        cli_usage_error(c, "--resume needs --state-dir");
    if (!o->state_dir)
        return;
    if (!o->recovery)
        cli_usage_error(c, "--state-dir needs --recovery on (a snapshot is the workers' checkpoints)");
    if (o->route != ROUTE_MODULO && o->route != ROUTE_CONSISTENT)
        cli_usage_error(c, "--state-dir needs --route modulo or consistent (map and roundrobin remember "
                           "their picks, which a snapshot does not hold)");
    if (c->stream.input && strcmp(c->stream.input, "-") == 0)
        cli_usage_error(c, "--state-dir needs a file or the built-in source: standard input cannot be read again");
}

int main(int argc, char **argv)
{
    struct cli c;
    struct sup_opts o = {
        .cli = &c, .workers = 4, .route = ROUTE_MODULO, .codec = CODEC_MSGPACK, .depth = QUEUE_DEPTH,
        .depth_bytes = SUP_QUEUE_BYTES, .pump_batch = SUP_PUMP_BATCH, .grace_ms = SUP_GRACE_MS,
        .hang_ms = WATCHDOG_HANG_MS, .snapshot_ms = DURABLE_SNAPSHOT_MS, .recovery = 1, .ckpt_every = SUP_CKPT_EVERY,
        .ckpt_ms = SUP_CKPT_MS, .replay_max = SUP_REPLAY_MAX, .replay_max_bytes = SUP_REPLAY_BYTES,
    };
    cli_parse(&c, argc, argv,
              "The fork-based process pool: the input is routed by key to --workers long-lived\n"
              "worker processes, each owning its keys' state machines on its own event loop.",
              extras, sizeof extras / sizeof extras[0], on_flag, &o);
    if (o.route_map && o.route != ROUTE_MAP)
        cli_usage_error(&c, "--route-map needs --route map");
    check_durable(&c, &o);
    if (c.emit)
        return cli_emit(&c);

    struct stream *in = cli_open_stream(&c);
    o.on_cmd = control_on_cmd;
    struct sup *s = sup_new(&o, in);
    if (!s) {
        fprintf(stderr, "%s: out of memory\n", c.prog);
        return EXIT_FAILURE_RT;
    }
    if (sup_failed(s)) {
        fprintf(stderr, "%s: %s\n", c.prog, sup_why(s));
        int refused = sup_refused(s);
        sup_free(s);
        return refused ? EXIT_USAGE : EXIT_FAILURE_RT;
    }
    char why[256] = "";
    int rc = sup_run(s);
    if (rc < 0)
        snprintf(why, sizeof why, "%s", sup_why(s));
    if (rc == 0 && report_outputs(s, why, sizeof why) < 0)
        rc = -1;
    if (rc == 0 && o.workers_csv && report_workers_csv(s, why, sizeof why) < 0)
        rc = -1;
    if (!c.quiet)
        report_summary(s);
    if (c.csv && report_csv_row(s) != 0 && rc == 0) {
        snprintf(why, sizeof why, "cannot write the CSV row: %s", strerror(errno));
        rc = -1;
    }
    if (rc == 0 && sup_lost(s) > 0) {
        /* The dump was written for the lesson, but it is not the truth. */
        snprintf(why, sizeof why, "%" PRIu64 " messages lost: the dump is NOT the reference", sup_lost(s));
        rc = -1;
    }
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", c.prog, why);
    int status = rc < 0 ? EXIT_FAILURE_RT : cli_exit_status(sup_rejected(s));
    sup_free(s);
    return status;
}
