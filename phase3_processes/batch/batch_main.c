/* batch_main.c: bin/batchpool, Lecture 36's architecture in C (slide 10):
 *
 *   sensor (uv_idle, a few records per loop turn) -> bridge queue (bounded) ->
 *   batches of B -> fork pool of stateless workers (process_record_batch) ->
 *   results back on the loop -> reassembled in batch order -> checksum
 *
 * The loop never blocks: the sensor produces while batches are out, the way the
 * asyncio ingestion keeps reading while run_in_executor futures are pending.
 * The bridge is bounded, so a slow pool pushes back on the sensor (the idle
 * handle stops) instead of letting the queue grow without limit.
 *
 *   bin/batchpool --records 100000 --batch 20 --workers 2
 *   bin/batchpool --records 100000 --batch 20 --sequential    (same checksum) */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "batchpool.h"
#include "batchrec.h"
#include "cli.h"
#include "csv.h"
#include "param.h"
#include "progflags.h"
#include "timing.h"

#define RECORDS_MAX  (1ull << 32)
#define INFLIGHT_MAX 64         /* --inflight upper bound */

enum { F_RECORDS = 1, F_BATCH, F_WORKERS, F_SEED, F_SEQ, F_INFLIGHT, F_CHUNK, F_EMIT, F_CSV, F_QUIET, F_KILL, F_WORK };

static const struct progflag flags[] = {
    { "records", "N", "sensor records to process (default 100000)", F_RECORDS },
    { "batch", "B", "records per batch = per pool call (default 20)", F_BATCH },
    { "workers", "N", "worker processes (default 2)", F_WORKERS },
    { "seed", "S", "sensor PRNG seed (default 1)", F_SEED },
    { "work", "W", "units of CPU work per record, the pipelines' --work unit (default 0 = none; "
      "bin/workcal says what a unit costs here)", F_WORK },
    { "sequential", NULL, "no pool: process the same batches in this process (the reference)", F_SEQ },
    { "inflight", "K", "batches in flight per worker (default 2)", F_INFLIGHT },
    { "chunk", "C", "records the sensor makes per loop turn (default 64)", F_CHUNK },
    { "emit", NULL, "print every result (id,value,normalized,feature) on stdout, in order", F_EMIT },
    { "csv", NULL, "print one metrics row (with metadata and header) on stdout", F_CSV },
    { "quiet", NULL, "no narrated summary on stderr (errors still go there)", F_QUIET },
    { "kill-worker-after", "N", "test hook: worker 0 SIGKILLs itself on receiving its N-th batch "
      "(the pool respawns it and resends)", F_KILL },
};

/* Where the sequential run's CPU work goes, so the compiler cannot drop it. */
static volatile uint64_t work_sink;

static const char summary[] =
    "Lecture 36's batch pool: a libuv loop ingests seeded sensor records, cuts them into\n"
    "batches of B and hands them to a fork pool of stateless workers (process_record_batch,\n"
    "frames of msgpack over pipes); results come back in order. The checksum equals --sequential.";

struct run {
    uint64_t records, seed, kill_after;
    uint32_t batch, workers, inflight, chunk, work;
    bool sequential, emit, csv, quiet;
    /* live state */
    uv_loop_t loop;
    uv_idle_t sensor_h;
    struct sensor sensor;
    uint64_t made;              /* records the sensor produced */
    struct sensor_record *bridge;  /* ring of bridge_cap records */
    size_t bridge_cap, bridge_head, bridge_n;
    struct sensor_record *cut;  /* one batch, contiguous, for sending */
    uint64_t next_index, nbatches;
    /* reassembly: a window of slots, one per batch that can be out */
    struct record_result *window;
    size_t window_n;
    uint32_t *window_len;       /* 0 = not back yet; else records in it */
    uint64_t emitted;           /* batches folded so far, in order */
    uint64_t checksum;
    double feature_sum;
    struct batchpool *pool;
    const char *failed;         /* the reason, copied into why */
    char why[320];
    int sensor_on;
    unsigned respawns;          /* workers respawned after a death */
    uint64_t resent;            /* batches sent again to a successor */
};

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t len)
{
    struct run *r = ctx;
    uint64_t v = 0;
    switch (val) {
    case F_RECORDS: if (cli_u64(arg, 1, RECORDS_MAX, &v, err, len) < 0) return -1; r->records = v; break;
    case F_BATCH: if (cli_u64(arg, 1, BATCH_MAX, &v, err, len) < 0) return -1; r->batch = (uint32_t)v; break;
    case F_WORKERS: if (cli_u64(arg, 1, WORKERS_MAX, &v, err, len) < 0) return -1; r->workers = (uint32_t)v; break;
    case F_SEED: if (cli_u64(arg, 0, UINT64_MAX, &v, err, len) < 0) return -1; r->seed = v; break;
    case F_INFLIGHT: if (cli_u64(arg, 1, INFLIGHT_MAX, &v, err, len) < 0) return -1; r->inflight = (uint32_t)v; break;
    case F_CHUNK: if (cli_u64(arg, 1, 1u << 20, &v, err, len) < 0) return -1; r->chunk = (uint32_t)v; break;
    case F_SEQ: r->sequential = true; break;
    case F_EMIT: r->emit = true; break;
    case F_CSV: r->csv = true; break;
    case F_QUIET: r->quiet = true; break;
    case F_WORK: if (cli_u64(arg, 0, UINT32_MAX, &v, err, len) < 0) return -1; r->work = (uint32_t)v; break;
    case F_KILL: if (cli_u64(arg, 1, RECORDS_MAX, &v, err, len) < 0) return -1; r->kill_after = v; break;
    }
    return 0;
}

/* Fold one batch's results, in stream order: the checksum and --emit. */
static void fold(struct run *r, const struct record_result *res, size_t n)
{
    r->checksum = results_checksum(r->checksum, res, n);
    for (size_t i = 0; i < n; i++) {
        r->feature_sum += res[i].feature;
        if (r->emit)
            printf("%" PRIu64 ",%.17g,%.17g,%.17g\n", res[i].id, res[i].value, res[i].normalized, res[i].feature);
    }
}

static void dispatch(struct run *r);
static void on_sensor(uv_idle_t *h);

static void stop_all(struct run *r)
{
    if (r->sensor_on)
        uv_idle_stop(&r->sensor_h), r->sensor_on = 0;
    if (!uv_is_closing((uv_handle_t *)&r->sensor_h))
        uv_close((uv_handle_t *)&r->sensor_h, NULL);
    batchpool_close(r->pool);
}

static void on_fail(void *ctx, const char *why)
{
    struct run *r = ctx;
    if (!r->failed) {
        snprintf(r->why, sizeof r->why, "%s", why);
        r->failed = r->why;
        stop_all(r);
    }
}

static void on_note(void *ctx, const char *line)
{
    struct run *r = ctx;
    if (!r->quiet)
        fprintf(stderr, "batchpool: %s\n", line);
}

static void on_result(void *ctx, uint64_t index, const struct record_result *res, size_t n)
{
    struct run *r = ctx;
    /* Batches go out in index order and at most window_n are out, so a result
     * always lands in the window; check anyway, and check the ids. */
    if (index < r->emitted || index >= r->emitted + r->window_n || n == 0 || n > r->batch
        || res[0].id != index * r->batch || res[n - 1].id != index * r->batch + n - 1) {
        on_fail(r, "a result batch came back with the wrong index or ids");
        return;
    }
    size_t slot = index % r->window_n;
    memcpy(r->window + slot * r->batch, res, n * sizeof *res);
    r->window_len[slot] = (uint32_t)n;
    /* In-order reassembly: fold every complete batch at the front. */
    for (;;) {
        size_t s = r->emitted % r->window_n;
        if (r->emitted == r->nbatches || !r->window_len[s])
            break;
        fold(r, r->window + s * r->batch, r->window_len[s]);
        r->window_len[s] = 0;
        r->emitted++;
    }
    if (r->emitted == r->nbatches)
        stop_all(r);
    else
        dispatch(r);
}

/* Take the next batch off the front of the bridge into r->cut; returns its size. */
static size_t cut_batch(struct run *r)
{
    /* EXERCISE(batch-split): the split: the next batch is the first min(bridge_n, batch)
     * records of the bridge, a ring of bridge_cap records starting at bridge_head;
     * copy them, in order, into r->cut, take them off the bridge, return how many. */
    /* STUB: (void)r; */
    /* STUB: return 0; */
    size_t n = r->bridge_n < r->batch ? r->bridge_n : r->batch;
    for (size_t i = 0; i < n; i++)
        r->cut[i] = r->bridge[(r->bridge_head + i) % r->bridge_cap];
    r->bridge_head = (r->bridge_head + n) % r->bridge_cap;
    r->bridge_n -= n;
    return n;
    /* END EXERCISE */
}

/* Hand every full batch (or the last, short one) to an idle worker. */
static void dispatch(struct run *r)
{
    bool source_done = r->made == r->records;
    while (r->bridge_n >= r->batch || (source_done && r->bridge_n > 0)) {
        /* A batch back early waits in the window for the ones before it; never
         * send a batch whose results would have no slot yet. */
        if (r->next_index >= r->emitted + r->window_n)
            break;
        int w = batchpool_idle(r->pool, r->inflight);
        if (w < 0)
            break;
        size_t n = cut_batch(r);
        if (batchpool_send(r->pool, w, r->next_index++, r->cut, n) < 0) {
            on_fail(r, "out of memory encoding a batch");
            return;
        }
    }
    /* Backpressure: the sensor runs only while the bridge has room. */
    bool want = !source_done && r->bridge_n < r->bridge_cap && !r->failed;
    if (want && !r->sensor_on)
        uv_idle_start(&r->sensor_h, on_sensor), r->sensor_on = 1;
    else if (!want && r->sensor_on)
        uv_idle_stop(&r->sensor_h), r->sensor_on = 0;
}

static void on_sensor(uv_idle_t *h)
{
    struct run *r = h->data;
    for (uint32_t i = 0; i < r->chunk && r->made < r->records && r->bridge_n < r->bridge_cap; i++) {
        sensor_next(&r->sensor, &r->bridge[(r->bridge_head + r->bridge_n) % r->bridge_cap]);
        r->bridge_n++, r->made++;
    }
    dispatch(r);
}

static int run_pool(struct run *r, char *err, size_t errlen)
{
    r->window_n = (size_t)r->workers * r->inflight;
    r->bridge_cap = (size_t)r->batch * (r->window_n + 1);
    r->bridge = malloc(r->bridge_cap * sizeof *r->bridge);
    r->cut = malloc(r->batch * sizeof *r->cut);
    r->window = malloc(r->window_n * r->batch * sizeof *r->window);
    r->window_len = calloc(r->window_n, sizeof *r->window_len);
    if (!r->bridge || !r->cut || !r->window || !r->window_len) {
        snprintf(err, errlen, "out of memory for batches of %u", r->batch);
        return -1;
    }
    /* A write to a worker that just died must be EPIPE (the pool then respawns
     * it and resends), not a SIGPIPE that kills us. */
    signal(SIGPIPE, SIG_IGN);
    /* Fork before the loop exists: no child inherits a libuv loop. */
    struct batchpool_opts o = { .workers = r->workers, .max_batch = r->batch, .work = r->work,
                                .kill_after = r->kill_after };
    if (!(r->pool = batchpool_spawn(&o, err, errlen)))
        return -1;
    uv_loop_init(&r->loop);
    if (batchpool_attach(r->pool, &r->loop, on_result, on_fail, on_note, r, err, errlen) < 0) {
        batchpool_close(r->pool);
        uv_run(&r->loop, UV_RUN_DEFAULT);
        uv_loop_close(&r->loop);
        batchpool_free(r->pool);
        return -1;
    }
    uv_idle_init(&r->loop, &r->sensor_h);
    r->sensor_h.data = r;
    uv_idle_start(&r->sensor_h, on_sensor);
    r->sensor_on = 1;
    uv_run(&r->loop, UV_RUN_DEFAULT);
    uv_loop_close(&r->loop);
    r->respawns = batchpool_respawns(r->pool);
    r->resent = batchpool_resent(r->pool);
    int bad = batchpool_free(r->pool);
    if (r->failed) {
        snprintf(err, errlen, "%s", r->failed);
        return -1;
    }
    if (bad) {
        snprintf(err, errlen, "%d worker(s) did not exit cleanly", bad);
        return -1;
    }
    return 0;
}

static int run_sequential(struct run *r, char *err, size_t errlen)
{
    struct sensor_record *in = malloc(r->batch * sizeof *in);
    struct record_result *out = malloc(r->batch * sizeof *out);
    if (!in || !out) {
        free(in), free(out);
        snprintf(err, errlen, "out of memory for batches of %u", r->batch);
        return -1;
    }
    while (r->made < r->records) {
        size_t n = 0;
        for (; n < r->batch && r->made < r->records; n++, r->made++)
            sensor_next(&r->sensor, &in[n]);
        process_record_batch(in, n, out);
        work_sink ^= batch_work(in, n, r->work);
        fold(r, out, n);
        r->emitted++;
    }
    free(in), free(out);
    return 0;
}

int main(int argc, char **argv)
{
    struct run r = { .records = 100000, .seed = 1, .batch = 20, .workers = 2, .inflight = 2, .chunk = 64 };
    struct progflags pf = { .summary = summary, .flags = flags, .n = sizeof flags / sizeof flags[0] };
    progflags_parse(&pf, argc, argv, on_flag, &r);
    if (r.kill_after && r.sequential)
        progflags_usage_error(&pf, "--kill-worker-after is a test of the pool");
    sensor_init(&r.sensor, r.seed);
    r.checksum = RESULTS_CHECKSUM_INIT;
    r.nbatches = (r.records + r.batch - 1) / r.batch;

    char err[256];
    uint64_t t0 = now_ns();
    int rc = r.sequential ? run_sequential(&r, err, sizeof err) : run_pool(&r, err, sizeof err);
    double secs = (double)(now_ns() - t0) / 1e9;
    free(r.bridge), free(r.cut), free(r.window), free(r.window_len);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", pf.prog, err);
        return EXIT_FAILURE_RT;
    }
    double per_us = secs * 1e6 / (double)r.records;
    if (r.csv) {
        csv_meta(stdout, argc, argv);
        printf("batch,records,seconds,per_record_us,workers,mode,calls,checksum,work\n");
        printf("%u,%" PRIu64 ",%.6f,%.4f,%u,%s,%" PRIu64 ",%016" PRIx64 ",%u\n", r.batch, r.records, secs, per_us,
               r.sequential ? 0 : r.workers, r.sequential ? "sequential" : "pool", r.nbatches, r.checksum, r.work);
    }
    if (!r.quiet) {
        char mach[256];
        fprintf(stderr, "batchpool: %s: %" PRIu64 " records in %" PRIu64 " batches of %u, --work %u units per "
                "record: %.6f s = %.3f us per record (clock: first record made -> last result folded)\n",
                r.sequential ? "sequential (no pool)" : "pool", r.records, r.nbatches, r.batch, r.work, secs, per_us);
        if (!r.sequential)
            fprintf(stderr, "batchpool: %u workers, %u batches in flight each; %" PRIu64 " pool calls, %.1f us per call "
                    "(encode, two pipe hops, decode, the work)\n",
                    r.workers, r.inflight, r.nbatches, secs * 1e6 / (double)r.nbatches);
        if (r.respawns)
            fprintf(stderr, "batchpool: %u worker(s) died and were respawned in their slot; %" PRIu64
                    " batch(es) they held were sent again (a worker keeps no state, so a batch run "
                    "twice gives the same result)\n", r.respawns, r.resent);
        fprintf(stderr, "batchpool: results complete and in order; checksum %016" PRIx64 " (FNV-1a of id, normalized, "
                "feature bits), feature sum %.17g\n", r.checksum, r.feature_sum);
        fprintf(stderr, "batchpool: machine: %s\n", csv_machine(mach, sizeof mach));
    }
    return EXIT_OK;
}
