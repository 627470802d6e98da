/* report.c: what a phase-3 run tells at the end (see report.h): the narrated
 * summary on stderr, the --csv row, the --workers-csv rows, each figure from
 * the supervisor's counters and the workers' own reports. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "csv.h"
#include "durable.h"
#include "gather.h"
#include "query.h"
#include "stream.h"
#include "sup_state.h"

/* Per-message IPC cost, each part averaged over the messages it covers. The
 * channel's time splits into copy and system calls (iocost.h) when both sides'
 * calls allow a fit; otherwise those two are NAN (printed empty). */
struct ipc_cost {
    double encode_us, channel_us, decode_us;
    double copy_us, syscall_us; /* channel_us = copy_us + syscall_us */
    double frames_per_write;
    uint64_t worker_calls;      /* read() calls the workers timed */
    uint64_t reported_msgs;     /* messages of workers that sent a report */
};

static struct ipc_cost ipc_cost(const struct sup *s)
{
    struct ipc_cost c = { .copy_us = NAN, .syscall_us = NAN };
    uint64_t dec = 0;
    struct iocost rd = { 0 };
    for (unsigned i = 0; i < s->o->workers; i++) {
        const struct worker_slot *sl = &s->slots[i];
        if (!sl->reported)
            continue;
        c.reported_msgs += sl->report.msgs;
        dec += sl->report.decode_ns;
        iocost_merge(&rd, &sl->report.read_io);
    }
    c.worker_calls = rd.calls;
    if (s->routed) {
        c.encode_us = (double)s->encode_ns / 1e3 / (double)s->routed;
        c.frames_per_write = s->chan_writes ? (double)s->routed / (double)s->chan_writes : 0;
    }
    if (c.reported_msgs && s->routed) {
        double n = (double)s->routed, m = (double)c.reported_msgs;
        c.decode_us = (double)dec / 1e3 / m;
        /* The supervisor's read()/write() share per routed message plus the
         * workers' read() share per message they applied. */
        c.channel_us = (double)s->chan_io.ns / 1e3 / n + (double)rd.ns / 1e3 / m;
        double wcopy = iocost_copy_ns(&s->chan_io), rcopy = iocost_copy_ns(&rd);
        if (wcopy >= 0 && rcopy >= 0) {
            c.copy_us = wcopy / 1e3 / n + rcopy / 1e3 / m;
            c.syscall_us = c.channel_us - c.copy_us;
        }
    }
    return c;
}

/* A figure for the CSV, or nothing where it was not measured (NAN). */
static void put_us(FILE *f, double x)
{
    if (!isnan(x))
        fprintf(f, "%.4f", x);
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
        const struct worker_slot *sl = &s->slots[i];
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

/* Deaths and what they cost: nothing (recovered) or the losses. */
static void loss_summary(const struct sup *s, FILE *e)
{
    uint64_t lk = 0, li = 0, la = 0;
    for (unsigned i = 0; i < s->o->workers; i++) {
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
}

/* Workers killed as hung (--hang-ms): which, and when. */
static void hang_summary(const struct sup *s, FILE *e)
{
    if (!s->hangs)
        return;
    fprintf(e, "  hangs: %" PRIu64 " workers owed acks and sent nothing for %u ms, killed and recovered:",
            s->hangs, s->o->hang_ms);
    for (uint64_t i = 0; i < s->hangs && i < WATCHDOG_HANG_LOG; i++)
        fprintf(e, "%s worker %u (pid %ld) at %.3f s", i ? ";" : "", s->hang_log[i].slot,
                (long)s->hang_log[i].pid, (double)s->hang_log[i].at_ns / 1e9);
    fprintf(e, "%s\n", s->hangs > WATCHDOG_HANG_LOG ? "; ..." : "");
}

void report_summary(const struct sup *s)
{
    const struct sup_opts *o = s->o;
    double secs = sup_seconds(s);
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
        const struct worker_slot *sl = &s->slots[i];
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
    if (!isnan(ic.copy_us))
        fprintf(e, "  the channel's share: copy %.3f µs + system calls %.3f µs (a least-squares line of CPU "
                "time against bytes through %" PRIu64 " timed read()/write() calls)\n", ic.copy_us, ic.syscall_us,
                s->chan_io.calls + ic.worker_calls);
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
    loss_summary(s, e);
    hang_summary(s, e);
    if (o->recovery)
        recovery_summary(s, o, e);
    if (o->state_dir) {
        char line[1024];
        durable_describe(s, line, sizeof line);
        fprintf(e, "%s\n", line);
    }
    if (o->route == ROUTE_ROUNDROBIN)
        fprintf(e, "  routing: roundrobin split %zu of %zu keys across workers: each piece ran its own state "
                   "machine, so the merged dump differs from the reference\n", s->split, s->keys);
    else
        fprintf(e, "  routing: %s kept each of %zu keys on one worker (%zu split)\n", route_name(o->route),
                s->keys, s->split);
    fprintf(e, "  machine: %s\n", csv_machine(machine, sizeof machine));
}

int report_csv_row(const struct sup *s)
{
    const struct sup_opts *o = s->o;
    double secs = sup_seconds(s);
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
           "replayed,replay_peak,recover_ms,ipc_copy_us,ipc_syscall_us\n");
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
    /* The row above ends without its newline: the recovery columns follow,
     * then the channel's split (empty where the calls allow no fit). */
    printf(",%s,%" PRIu64 ",%" PRIu64 ",%.2f,%.2f,%.4f,%" PRIu64 ",%" PRIu64 ",%.3f,",
           o->recovery ? "on" : "off", s->checkpoints, s->ckpt_bytes, us(hist_quantile(&s->ckpt_build, 0.5)),
           us(hist_quantile(&s->ckpt_commit, 0.5)), s->routed ? (double)s->log_ns / 1e3 / (double)s->routed : 0.0,
           s->replayed, peak, (double)hist_quantile(&s->recover, 0.5) / 1e6);
    put_us(stdout, ic.copy_us);
    putchar(',');
    put_us(stdout, ic.syscall_us);
    putchar('\n');
    return fflush(stdout);
}

/* --workers-csv: one row per worker slot, from what the supervisor counted
 * (messages, routed, restarts: whole run) and what the slot's last worker
 * reported about itself (pid, keys, CPU, memory, decode/apply/read time per
 * message). A slot whose last worker died without a report has those empty. */
int report_workers_csv(const struct sup *s, char *err, size_t errlen)
{
    const struct sup_opts *o = s->o;
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
        const struct worker_slot *sl = &s->slots[i];
        const struct wire_report *r = &sl->report;
        if (sl->reported) {
            double per = r->msgs ? 1e3 * (double)r->msgs : 1.0;   /* ns -> mean µs per message */
            fprintf(f, "%u,%ld,%" PRIu64 ",%" PRIu64 ",%.6f,%u,%" PRIu64 ",%" PRIu64 ",%.4f,%.4f,%.4f,%" PRIu64 ",1\n",
                    i, (long)sl->reported_pid, sl->done, r->keys, (double)r->cpu_ns / 1e9, sl->restarts, sl->routed,
                    r->maxrss_kib, r->msgs ? (double)r->decode_ns / per : 0.0, r->msgs ? (double)r->apply_ns / per : 0.0,
                    r->msgs ? (double)r->read_io.ns / per : 0.0, r->queries);
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


int report_outputs(const struct sup *s, char *err, size_t errlen)
{
    const struct cli *c = s->o->cli;
    if (c->dump_state && gather_write_dump(s->gather, c->dump_state, err, errlen) < 0)
        return -1;
    if (s->o->key_owners && gather_write_owners(s->gather, s->o->key_owners, err, errlen) < 0)
        return -1;
    return 0;
}
