/* phase4_main.c: bin/phase4, the process pool of phase 3 with its state and its
 * channels in shared memory.
 *
 * The lesson in numbers: nothing is encoded, nothing is copied through the
 * kernel, and no system call is made per message: a message is a 24-byte record
 * written into a ring that a worker reads in place, and a GET is answered by the
 * supervisor reading the key's row itself. What that costs instead shows up too:
 * torn reads (the seqlock's retries), false sharing (--pad off), and a worker
 * killed mid-update (restarts, rows repaired from the redo copy). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "board.h"
#include "cli.h"
#include "console.h"
#include "crew.h"
#include "csv.h"
#include "ctl.h"
#include "feeder.h"
#include "param.h"
#include "timing.h"

#define PROG_SUMMARY \
    "phase4: the pipeline on worker processes that share their state with the supervisor:\n" \
    "messages go through shared-memory rings of fixed-size records, and GET reads the\n" \
    "key's row in the shared state table under its seqlock."
#define WORKERS_DEFAULT 2
#define RING_DEFAULT 4096       /* slots per ring (32 bytes each) */
#define RING_MIN 2
#define RING_MAX (1u << 22)
#define MAX_KEYS_DEFAULT (1u << 18)     /* rows: 32 MiB of address space, touched as keys come */
#define MAX_KEYS_MAX (1u << 24)

enum { OPT_WORKERS = CLI_EXTRA_BASE, OPT_RING, OPT_MAX_KEYS, OPT_PAD };

static const struct cli_extra extras[] = {
    { "workers", "N", "worker processes, 1..256 (default 2)", OPT_WORKERS },
    { "ring", "SLOTS", "records per worker's ring, a power of two, 2..4194304 (default 4096)",
      OPT_RING },
    { "max-keys", "N", "rows of the shared state table, 1..16777216 (default 262144)",
      OPT_MAX_KEYS },
    { "pad", "on|off", "each worker's consumed position on its own cache line (on, the "
      "default) or all on one (off: false sharing)", OPT_PAD },
};

struct p4_flags {
    uint64_t workers, ring, max_keys;
    bool pad;
};

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t errlen)
{
    struct p4_flags *f = ctx;
    switch (val) {
    case OPT_WORKERS:
        return cli_u64(arg, 1, WORKERS_MAX, &f->workers, err, errlen);
    case OPT_RING:
        if (cli_u64(arg, RING_MIN, RING_MAX, &f->ring, err, errlen) < 0)
            return -1;
        if (f->ring & (f->ring - 1)) {
            snprintf(err, errlen, "--ring %s is not a power of two", arg);
            return -1;
        }
        return 0;
    case OPT_MAX_KEYS:
        return cli_u64(arg, 1, MAX_KEYS_MAX, &f->max_keys, err, errlen);
    case OPT_PAD:
        if (strcmp(arg, "on") == 0 || strcmp(arg, "off") == 0) {
            f->pad = strcmp(arg, "on") == 0;
            return 0;
        }
        snprintf(err, errlen, "'%s' is not on or off", arg);
        return -1;
    }
    return -1;
}

/* The run's figures, gathered once the workers are reaped. */
struct p4_totals {
    double secs, rate, sup_cpu_s, workers_cpu_s, encode_us, apply_us;
    uint64_t in, processed, rejected, restarts, keys, skipped, redone;
    uint64_t prod_sleeps, cons_sleeps, wakes;
    uint64_t futex_ns;          /* CPU inside those futex calls, all rings */
};

static void sum_up(struct feeder *f, const struct crew *c, uint64_t ns, struct p4_totals *t)
{
    const struct board *b = f->board;
    uint64_t ans = 0, asamples = 0;
    memset(t, 0, sizeof *t);
    for (unsigned i = 0; i < b->workers; i++) {
        const struct lane *ln = b->lane[i];
        const struct recring *r = b->ring[i];
        ans += atomic_load(&ln->apply_ns);
        asamples += atomic_load(&ln->apply_samples);
        t->skipped += atomic_load(&ln->skipped);
        t->redone += atomic_load(&ln->redone);
        t->prod_sleeps += atomic_load(&r->prod.sleeps);
        t->cons_sleeps += atomic_load(&r->cons.sleeps);
        t->wakes += atomic_load(&r->prod.wakes) + atomic_load(&r->cons.wakes);
        t->futex_ns += atomic_load(&r->prod.sys_ns) + atomic_load(&r->cons.sys_ns);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    t->sup_cpu_s = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                   (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    t->workers_cpu_s = (double)c->cpu_ns / 1e9;
    t->secs = (double)ns / 1e9;
    t->in = atomic_load(&f->messages_in);
    t->rate = t->secs > 0 ? (double)t->in / t->secs : 0;
    t->processed = feeder_processed(f);
    t->rejected = stream_rejected(f->in);
    t->restarts = atomic_load(&c->restarts);
    t->keys = feeder_keys(f);
    t->encode_us = f->encode_samples ? (double)f->encode_ns / (double)f->encode_samples / 1e3 : 0;
    t->apply_us = asamples ? (double)ans / (double)asamples / 1e3 : 0;
}

static void summary(const struct cli *c, const struct p4_flags *fl, const struct feeder *f,
                    const struct console *con, const struct p4_totals *t)
{
    char machine[256];
    double per = t->in ? 1e6 / (double)t->in : 0;
    fprintf(stderr, "phase4: %" PRIu64 " messages in %.3f s = %.0f msgs/s with %u worker processes "
            "(rings of %" PRIu64 " records, positions %s, work %u units per DATA)\n",
            t->in, t->secs, t->rate, f->board->workers, fl->ring,
            fl->pad ? "padded" : "packed on one line", c->work);
    fprintf(stderr, "phase4: CPU per message: supervisor %.3f us, workers %.3f us; sampled: "
            "dispatch (row lookup, route, 24-byte record into the ring) %.3f us, apply %.3f us\n",
            t->sup_cpu_s * per, t->workers_cpu_s * per, t->encode_us, t->apply_us);
    fprintf(stderr, "phase4: futex system calls: %" PRIu64 " sleeps on a full ring, %" PRIu64
            " on an empty one, %" PRIu64 " wakes (%.4f per message, %.4f us of CPU per message)\n",
            t->prod_sleeps, t->cons_sleeps, t->wakes,
            t->in ? (double)(t->prod_sleeps + t->cons_sleeps + t->wakes) / (double)t->in : 0,
            (double)t->futex_ns / 1e9 * per);
    if (t->restarts)
        fprintf(stderr, "phase4: %" PRIu64 " workers respawned; their replacements found %" PRIu64
                " records applied but not consumed and finished %" PRIu64 " rows from the redo copy\n",
                t->restarts, t->skipped, t->redone);
    if (con->service.count)
        fprintf(stderr, "phase4: %" PRIu64 " GETs answered from shared memory, handler to answer: "
                "p50 %.2f us, p99 %.2f us; of which the row lookup and seqlocked read: p50 %.2f us "
                "(the rest is formatting the dump row)\n", con->service.count,
                hist_quantile(&con->service, 0.5) / 1e3, hist_quantile(&con->service, 0.99) / 1e3,
                hist_quantile(&con->read, 0.5) / 1e3);
    fprintf(stderr, "phase4: %" PRIu64 " keys, %" PRIu64 " input lines rejected; %s\n", t->keys,
            t->rejected, csv_machine(machine, sizeof machine));
}

static void csv_row(const struct cli *c, const struct p4_flags *fl, const struct console *con,
                    const struct p4_totals *t)
{
    const struct hist *q = &con->service;
    csv_meta(stdout, c->argc, c->argv);
    printf("messages,seconds,msgs_per_s,workers,work,payload,rejected,processed,restarts,queries,"
           "query_p50_us,query_p99_us,keys,supervisor_cpu_s,workers_cpu_s,encode_us,apply_us,"
           "ring,pad,producer_sleeps,consumer_sleeps,futex_wakes,skipped,redone,get_busy,"
           "get_read_p50_us,futex_us\n");
    printf("%" PRIu64 ",%.6f,%.1f,%u,%" PRIu32 ",%" PRIu32 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
           ",%" PRIu64 ",%.3f,%.3f,%" PRIu64 ",%.4f,%.4f,%.4f,%.4f,%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64
           ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.3f,%.4f\n",
           t->in, t->secs, t->rate, (unsigned)fl->workers, c->work, c->stream.src.payload,
           t->rejected, t->processed, t->restarts, q->count, hist_quantile(q, 0.5) / 1e3,
           hist_quantile(q, 0.99) / 1e3, t->keys, t->sup_cpu_s, t->workers_cpu_s, t->encode_us,
           t->apply_us, fl->ring, fl->pad ? "on" : "off", t->prod_sleeps, t->cons_sleeps,
           t->wakes, t->skipped, t->redone, con->busy, hist_quantile(&con->read, 0.5) / 1e3,
           t->in ? (double)t->futex_ns / 1e3 / (double)t->in : 0.0);
}

/* Start everything, run the stream, stop. Returns 0, or -1 with a reason in why. */
static int run(const struct cli *c, const struct p4_flags *fl, struct feeder *f,
               struct crew *crew, struct console *con, uint64_t *ns, char *why, size_t len)
{
    if (crew_start(crew, f->board, (unsigned)fl->workers, c->work, why, len) < 0)
        return -1;
    /* The control thread after the fork: the workers inherit no thread's locks at birth. */
    if (console_start(con, f, c->control, c->control_private ? CTLSRV_PRIVATE : 0, why, len) < 0) {
        crew_kill(crew);
        return -1;
    }
    uint64_t t0 = now_ns();
    int rc = feeder_run(f);
    *ns = now_ns() - t0;
    console_stop(con);
    if (rc < 0) {
        snprintf(why, len, "%s", f->why);
        crew_kill(crew);
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct cli c;
    struct p4_flags fl = { .workers = WORKERS_DEFAULT, .ring = RING_DEFAULT,
                           .max_keys = MAX_KEYS_DEFAULT, .pad = true };
    cli_parse(&c, argc, argv, PROG_SUMMARY, extras, sizeof extras / sizeof extras[0], on_flag, &fl);
    if (c.emit)
        return cli_emit(&c);
    struct stream *in = cli_open_stream(&c);
    if (stream_make_interruptible(in, NULL, NULL) < 0) {
        fprintf(stderr, "%s: cannot set up reading %s: %s\n", c.prog, stream_name(in), strerror(errno));
        return EXIT_FAILURE_RT;
    }
    char why[512];
    static struct board b;
    static struct crew crew;
    static struct feeder f;
    static struct console con;
    struct router *r = router_new(ROUTE_MODULO, (unsigned)fl.workers);
    if (!r || board_map(&b, (unsigned)fl.workers, fl.ring, fl.max_keys, fl.pad, why, sizeof why) < 0 ||
        feeder_init(&f, &b, &crew, r, in) < 0) {
        fprintf(stderr, "%s: cannot set up: %s\n", c.prog, r && b.base ? why : strerror(errno));
        return EXIT_FAILURE_RT;
    }
    uint64_t ns = 0;
    int status = cli_exit_status(stream_rejected(in));
    if (run(&c, &fl, &f, &crew, &con, &ns, why, sizeof why) < 0) {
        fprintf(stderr, "%s: %s\n", c.prog, why);
        status = EXIT_FAILURE_RT;
    } else {
        status = cli_exit_status(stream_rejected(in));
        if (c.dump_state && feeder_dump(&f, c.dump_state, why, sizeof why) < 0) {
            fprintf(stderr, "%s: %s\n", c.prog, why);
            status = EXIT_FAILURE_RT;
        }
        struct p4_totals t;
        sum_up(&f, &crew, ns, &t);
        if (!c.quiet)
            summary(&c, &fl, &f, &con, &t);
        if (c.csv)
            csv_row(&c, &fl, &con, &t);
    }
    feeder_free(&f);
    board_unmap(&b);
    router_free(r);
    stream_close(in);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: writing stdout failed: %s\n", c.prog, strerror(errno));
        status = EXIT_FAILURE_RT;
    }
    return status;
}
