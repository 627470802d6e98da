/* phase3_main.c: bin/phase3, the fork-based process pool (SPEC §7).
 *
 *   message source -> router -> N long-lived worker processes (each owns the
 *   state machines of its keys, on its own event loop) -> control socket
 *
 * This file reads the command line, runs the supervisor, and tells what was
 * measured: the narrated summary on stderr, the --csv row on stdout. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "csv.h"
#include "param.h"
#include "query.h"
#include "stream.h"
#include "supervisor.h"

enum {
    OPT_WORKERS = CLI_EXTRA_BASE, OPT_ROUTE, OPT_CODEC, OPT_DEPTH, OPT_PUMP, OPT_MAP,
    OPT_OWNERS, OPT_GRACE, OPT_RECOVERY, OPT_CKPT_EVERY, OPT_CKPT_MS, OPT_REPLAY_MAX, OPT_REPLAY_BYTES,
    OPT_WORKERS_CSV,
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
    { "workers-csv", "FILE", "at the end, one CSV row per worker: messages, keys, CPU, restarts, ... ('-' = stdout)",
      OPT_WORKERS_CSV },
};

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t errlen)
{
    struct sup_opts *o = ctx;
    uint64_t u;
    switch (val) {
    case OPT_WORKERS:
        if (cli_u64(arg, 1, WORKERS_MAX, &u, err, errlen) < 0)
            return -1;
        o->workers = (unsigned)u;
        return 0;
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
        if (cli_u64(arg, 1, 1u << 20, &u, err, errlen) < 0)
            return -1;
        o->depth = (unsigned)u;
        return 0;
    case OPT_PUMP:
        if (cli_u64(arg, 1, 1u << 20, &u, err, errlen) < 0)
            return -1;
        o->pump_batch = (unsigned)u;
        return 0;
    case OPT_MAP:
        o->route_map = arg;
        return 0;
    case OPT_OWNERS:
        o->key_owners = arg;
        return 0;
    case OPT_GRACE:
        if (cli_u64(arg, 1, 3600000, &u, err, errlen) < 0)
            return -1;
        o->grace_ms = (unsigned)u;
        return 0;
    case OPT_RECOVERY:
        if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0) {
            snprintf(err, errlen, "--recovery takes on or off, not '%s'", arg);
            return -1;
        }
        o->recovery = strcmp(arg, "on") == 0;
        return 0;
    case OPT_CKPT_EVERY:
        if (cli_u64(arg, 1, 1u << 30, &u, err, errlen) < 0)
            return -1;
        o->ckpt_every = (unsigned)u;
        return 0;
    case OPT_CKPT_MS:
        if (cli_u64(arg, 1, 3600000, &u, err, errlen) < 0)
            return -1;
        o->ckpt_ms = (unsigned)u;
        return 0;
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
    case OPT_WORKERS_CSV:
        o->workers_csv = arg;
        return 0;
    }
    return -1;
}

/* Per-message IPC cost, each part averaged over the messages it covers. */
struct ipc_cost {
    double encode_us, channel_us, decode_us;
    double frames_per_write;
    uint64_t reported_msgs;     /* messages of workers that sent a report */
};

static struct ipc_cost ipc_cost(const struct sup *s)
{
    struct ipc_cost c = { 0 };
    uint64_t dec = 0, rd = 0;
    for (unsigned i = 0; i < s->o->workers; i++) {
        const struct slot *sl = &s->slots[i];
        if (!sl->reported)
            continue;
        c.reported_msgs += sl->report.msgs;
        dec += sl->report.decode_ns;
        rd += sl->report.read_ns;
    }
    if (s->routed) {
        c.encode_us = (double)s->encode_ns / 1e3 / (double)s->routed;
        c.frames_per_write = s->chan_writes ? (double)s->routed / (double)s->chan_writes : 0;
    }
    if (c.reported_msgs) {
        c.decode_us = (double)dec / 1e3 / (double)c.reported_msgs;
        /* The supervisor's write() share per routed message plus the workers'
         * read() share per message they applied. */
        c.channel_us = (s->routed ? (double)s->chan_ns / 1e3 / (double)s->routed : 0)
                     + (double)rd / 1e3 / (double)c.reported_msgs;
    }
    return c;
}

static double us(uint64_t ns)
{
    return (double)ns / 1e3;
}

/* What recovery cost this run (--recovery on). */
static void recovery_summary(const struct sup *s, const struct sup_opts *o, FILE *e)
{
    uint64_t peak_n = 0, dups = 0;
    size_t peak_b = 0;
    for (unsigned i = 0; i < o->workers; i++) {
        const struct slot *sl = &s->slots[i];
        if (sl->rec.log_peak_n > peak_n)
            peak_n = sl->rec.log_peak_n;
        if (sl->rec.log_peak_bytes > peak_b)
            peak_b = sl->rec.log_peak_bytes;
        if (sl->reported)
            dups += sl->report.dups;
    }
    fprintf(e, "  recovery: %" PRIu64 " checkpoints (asked every %u messages or %u ms, or when a replay log "
               "filled: %" PRIu64 " times), %" PRIu64 " rows, %.1f KiB in all, %.0f B each on average;\n"
               "    building one (worker) p50 %.1f µs, committing one (supervisor) p50 %.1f µs;\n"
               "    every message also copied into a replay log: %.3f µs per message, %.1f MiB in all;\n"
               "    largest log %" PRIu64 " messages / %.1f KiB (limit %" PRIu64 " / %zu KiB per worker)%s\n",
            s->checkpoints, o->ckpt_every, o->ckpt_ms, s->replay_stalls, s->ckpt_rows,
            (double)s->ckpt_bytes / 1024, s->checkpoints ? (double)s->ckpt_bytes / (double)s->checkpoints : 0.0,
            us(hist_quantile(&s->ckpt_build, 0.5)), us(hist_quantile(&s->ckpt_commit, 0.5)),
            s->routed ? (double)s->log_ns / 1e3 / (double)s->routed : 0.0, (double)s->log_bytes / 1048576.0,
            peak_n, (double)peak_b / 1024, o->replay_max, o->replay_max_bytes / 1024,
            dups ? "" : "; no message applied twice (0 seq duplicates skipped)");
    if (dups)
        fprintf(e, "    WARNING: %" PRIu64 " replayed messages were already in a checkpoint and were skipped "
                   "by seq: the replay boundary was not exact (a bug)\n", dups);
}

static void summary(const struct sup *s, const struct sup_opts *o, double secs)
{
    const struct cli *c = o->cli;
    char machine[256];
    struct ipc_cost ic = ipc_cost(s);
    const struct hist *ql = querytab_hist(s->qt);
    uint64_t in = sup_messages_in(s);
    FILE *e = stderr;

    fprintf(e, "phase3: %" PRIu64 " messages from %s in %.3f s = %.0f msgs/s "
               "(%u workers, route %s, codec %s, --work %" PRIu32 ", payload %" PRIu32 " B); stopped by %s\n",
            in, stream_name(s->in), secs, secs > 0 ? (double)in / secs : 0.0, o->workers,
            route_name(o->route), codec_name(o->codec), c->work, c->stream.src.payload,
            s->stop_reason ? s->stop_reason : "?");
    fprintf(e, "  worker  pid       messages      keys   cpu_s  maxrss_kib  restarts\n");
    for (unsigned i = 0; i < o->workers; i++) {
        const struct slot *sl = &s->slots[i];
        if (sl->reported)
            fprintf(e, "  %6u  %-8ld %9" PRIu64 " %9" PRIu64 "  %6.3f  %10" PRIu64 "  %8u\n", i,
                    (long)sl->reported_pid, sl->report.msgs, sl->report.keys, (double)sl->report.cpu_ns / 1e9,
                    sl->report.maxrss_kib, sl->restarts);
        else
            fprintf(e, "  %6u  (died without a report: its figures are lost)              %8u\n", i, sl->restarts);
    }
    fprintf(e, "  supervisor cpu %.3f s; forking %u workers took %.2f ms\n", (double)s->cpu_ns / 1e9,
            o->workers, (double)s->t_spawn_ns / 1e6);
    fprintf(e, "  IPC cost per message: encode %.3f µs, channel %.3f µs, decode %.3f µs\n",
            ic.encode_us, ic.channel_us, ic.decode_us);
    fprintf(e, "    (encode/decode: clock around every codec call, %s; channel: time inside write() here\n"
               "     and read() in the workers, averaged per message, %.1f frames per write(); a ping\n"
               "     round trip of an empty frame on the query channel: p50 %.1f µs over %" PRIu64 " pings)\n",
            codec_name(o->codec), ic.frames_per_write, us(hist_quantile(&s->ping, 0.5)), s->ping.count);
    if (ql->count)
        fprintf(e, "  queries: %" PRIu64 " GETs answered, latency p50 %.1f µs, p99 %.1f µs, max %.1f µs; %" PRIu64 " timed out\n",
                ql->count, us(hist_quantile(ql, 0.5)), us(hist_quantile(ql, 0.99)), us(ql->max),
                querytab_timeouts(s->qt));
    fprintf(e, "  back-pressure: %" PRIu64 " stalls, %.3f s stalled in all (at most %u messages / %zu bytes in flight per worker)\n",
            s->stalls, (double)s->stall_ns / 1e9, o->depth, o->depth_bytes);
    uint64_t lk = 0, li = 0, la = 0;
    for (unsigned i = 0; i < o->workers; i++) {
        lk += s->slots[i].lost_keys;
        li += s->slots[i].lost_inflight;
        la += s->slots[i].lost_applied;
    }
    if (sup_lost(s))
        fprintf(e, "  restarts: %" PRIu64 "; LOST: %" PRIu64 " messages in flight to dead workers, %" PRIu64
                   " applied messages whose state died with them (%" PRIu64 " keys), %" PRIu64
                   " read but never sent: the dump is NOT the reference\n",
                s->restarts, li, la, lk, s->lost_unsent);
    else if (s->restarts)
        fprintf(e, "  restarts: %" PRIu64 "; nothing lost: %" PRIu64 " messages (%.1f KiB) replayed after "
                   "restoring %" PRIu64 " checkpoint rows; %" PRIu64 " of them had been applied by the dead "
                   "workers and were rolled back with them; caught up p50 %.2f ms, max %.2f ms after the death\n",
                s->restarts, s->replayed, (double)s->replayed_bytes / 1024, s->restored_rows, s->rolled_back,
                (double)hist_quantile(&s->recover, 0.5) / 1e6, (double)s->recover.max / 1e6);
    else
        fprintf(e, "  restarts: 0; nothing lost\n");
    if (o->recovery)
        recovery_summary(s, o, e);
    if (o->route == ROUTE_ROUNDROBIN)
        fprintf(e, "  routing: roundrobin split %zu of %zu keys across workers: each piece ran its own state "
                   "machine, so the merged dump differs from the reference\n", s->split, s->keys);
    else
        fprintf(e, "  routing: %s kept each of %zu keys on one worker (%zu split)\n", route_name(o->route),
                s->keys, s->split);
    fprintf(e, "  machine: %s\n", csv_machine(machine, sizeof machine));
}

static int csv_row(const struct sup *s, const struct sup_opts *o, double secs)
{
    const struct cli *c = o->cli;
    struct ipc_cost ic = ipc_cost(s);
    const struct hist *ql = querytab_hist(s->qt);
    uint64_t in = sup_messages_in(s), wcpu = 0;
    for (unsigned i = 0; i < o->workers; i++)
        if (s->slots[i].reported)
            wcpu += s->slots[i].report.cpu_ns;
    if (csv_meta(stdout, c->argc, c->argv) < 0)
        return -1;
    printf("messages,seconds,msgs_per_s,workers,route,codec,work,payload,rejected,processed,restarts,lost,"
           "stalls,ipc_encode_us,ipc_channel_us,ipc_decode_us,ping_rtt_us,frames_per_write,queries,"
           "query_p50_us,query_p99_us,keys,split_keys,supervisor_cpu_s,workers_cpu_s,spawn_ms,"
           "recovery,checkpoints,checkpoint_bytes,checkpoint_build_us,checkpoint_commit_us,replay_log_us,"
           "replayed,replay_peak,recover_ms\n");
    printf("%" PRIu64 ",%.6f,%.1f,%u,%s,%s,%" PRIu32 ",%" PRIu32 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
           ",%" PRIu64 ",%.4f,%.4f,%.4f,%.2f,%.1f,%" PRIu64 ",%.2f,%.2f,%zu,%zu,%.4f,%.4f,%.3f",
           in, secs, secs > 0 ? (double)in / secs : 0.0, o->workers, route_name(o->route), codec_name(o->codec),
           c->work, c->stream.src.payload, sup_rejected(s), sup_processed(s), s->restarts, sup_lost(s),
           s->stalls, ic.encode_us, ic.channel_us, ic.decode_us, us(hist_quantile(&s->ping, 0.5)),
           ic.frames_per_write, ql->count, us(hist_quantile(ql, 0.5)), us(hist_quantile(ql, 0.99)), s->keys,
           s->split, (double)s->cpu_ns / 1e9, (double)wcpu / 1e9, (double)s->t_spawn_ns / 1e6);
    uint64_t peak = 0;
    for (unsigned i = 0; i < o->workers; i++)
        if (s->slots[i].rec.log_peak_n > peak)
            peak = s->slots[i].rec.log_peak_n;
    /* The row above ends without its newline: the recovery columns follow. */
    printf(",%s,%" PRIu64 ",%" PRIu64 ",%.2f,%.2f,%.4f,%" PRIu64 ",%" PRIu64 ",%.3f\n",
           o->recovery ? "on" : "off", s->checkpoints, s->ckpt_bytes, us(hist_quantile(&s->ckpt_build, 0.5)),
           us(hist_quantile(&s->ckpt_commit, 0.5)), s->routed ? (double)s->log_ns / 1e3 / (double)s->routed : 0.0,
           s->replayed, peak, (double)hist_quantile(&s->recover, 0.5) / 1e6);
    return fflush(stdout);
}

/* --workers-csv: one row per worker slot, from what the supervisor counted
 * (messages, routed, restarts: whole run) and what the slot's last worker
 * reported about itself (pid, keys, CPU, memory, decode/apply/read time per
 * message). A slot whose last worker died without a report has those empty. */
static int workers_csv(const struct sup *s, const struct sup_opts *o, char *err, size_t errlen)
{
    FILE *f = strcmp(o->workers_csv, "-") == 0 ? stdout : fopen(o->workers_csv, "we");
    if (!f) {
        snprintf(err, errlen, "cannot write '%s': %s", o->workers_csv, strerror(errno));
        return -1;
    }
    const struct cli *c = o->cli;
    csv_meta(f, c->argc, c->argv);
    fprintf(f, "# messages: applied by the slot's workers (a replayed message counted once); routed: sent to the slot;\n"
               "# pid, keys, cpu_s, maxrss_kib, *_us (mean per message), queries: the slot's last worker, from its report\n");
    fprintf(f, "worker,pid,messages,keys,cpu_s,restarts,routed,maxrss_kib,decode_us,apply_us,read_us,queries,reported\n");
    for (unsigned i = 0; i < o->workers; i++) {
        const struct slot *sl = &s->slots[i];
        const struct wire_report *r = &sl->report;
        if (sl->reported) {
            double per = r->msgs ? 1e3 * (double)r->msgs : 1.0;   /* ns -> mean µs per message */
            fprintf(f, "%u,%ld,%" PRIu64 ",%" PRIu64 ",%.6f,%u,%" PRIu64 ",%" PRIu64 ",%.4f,%.4f,%.4f,%" PRIu64 ",1\n",
                    i, (long)sl->reported_pid, sl->done, r->keys, (double)r->cpu_ns / 1e9, sl->restarts, sl->routed,
                    r->maxrss_kib, r->msgs ? (double)r->decode_ns / per : 0.0, r->msgs ? (double)r->apply_ns / per : 0.0,
                    r->msgs ? (double)r->read_ns / per : 0.0, r->queries);
        } else {
            fprintf(f, "%u,,%" PRIu64 ",,,%u,%" PRIu64 ",,,,,,0\n", i, sl->done, sl->restarts, sl->routed);
        }
    }
    int bad = ferror(f);
    if (f == stdout ? fflush(f) != 0 : fclose(f) != 0)
        bad = 1;
    if (bad) {
        snprintf(err, errlen, "cannot write '%s': %s", o->workers_csv, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct cli c;
    struct sup_opts o = {
        .cli = &c, .workers = 4, .route = ROUTE_MODULO, .codec = CODEC_MSGPACK, .depth = QUEUE_DEPTH,
        .depth_bytes = SUP_QUEUE_BYTES, .pump_batch = SUP_PUMP_BATCH, .grace_ms = SUP_GRACE_MS,
        .recovery = 1, .ckpt_every = SUP_CKPT_EVERY, .ckpt_ms = SUP_CKPT_MS, .replay_max = SUP_REPLAY_MAX,
        .replay_max_bytes = SUP_REPLAY_BYTES,
    };
    cli_parse(&c, argc, argv,
              "The fork-based process pool: the input is routed by key to --workers long-lived\n"
              "worker processes, each owning its keys' state machines on its own event loop.",
              extras, sizeof extras / sizeof extras[0], on_flag, &o);
    if (o.route_map && o.route != ROUTE_MAP)
        cli_usage_error(&c, "--route-map needs --route map");
    if (c.emit)
        return cli_emit(&c);

    struct stream *in = cli_open_stream(&c);
    static struct sup s;
    if (sup_init(&s, &o, in) < 0) {
        fprintf(stderr, "%s: %s\n", c.prog, s.why);
        sup_free(&s);
        return EXIT_FAILURE_RT;
    }
    int rc = sup_run(&s);
    double secs = (double)(s.t_end - s.t_start) / 1e9;
    if (rc == 0 && sup_write_outputs(&s) < 0)
        rc = -1;
    if (rc == 0 && o.workers_csv && workers_csv(&s, &o, s.why, sizeof s.why) < 0)
        rc = -1;
    if (!c.quiet)
        summary(&s, &o, secs);
    if (c.csv && csv_row(&s, &o, secs) != 0 && rc == 0) {
        snprintf(s.why, sizeof s.why, "cannot write the CSV row: %s", strerror(errno));
        rc = -1;
    }
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", c.prog, s.why);
    int status = rc < 0 ? EXIT_FAILURE_RT : cli_exit_status(sup_rejected(&s));
    sup_free(&s);
    return status;
}
