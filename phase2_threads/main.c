/* main.c: bin/phase2, the pipeline on a pthread pool over ONE shared registry.
 *
 * The lesson in numbers: with CPU work per message, --lock global (one mutex
 * around everything, the GIL in C) runs 2 threads no faster than 1, and the
 * lock-wait share says why; --lock sharded (striped locks) lets both cores work
 * at once. --queue shared shows the other lesson: without key routing, a key's
 * messages are applied out of order (counted), and the final state differs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv.h"
#include "ctl.h"
#include "ctlthread.h"
#include "param.h"
#include "pool.h"
#include "rendezvous.h"
#include "store.h"

#define PROG_SUMMARY \
    "phase2: the pipeline on a pool of worker threads sharing one registry of state\n" \
    "machines; the main thread dispatches messages through bounded queues."
#define THREADS_DEFAULT 2

enum { OPT_THREADS = CLI_EXTRA_BASE, OPT_LOCK, OPT_QUEUE, OPT_SHARDS };

static const struct cli_extra extras[] = {
    { "threads", "N", "worker threads, 1..256 (default 2)", OPT_THREADS },
    { "lock", "MODE", "global|registry|sharded: what one mutex guards (default sharded)", OPT_LOCK },
    { "queue", "MODE", "per-thread|shared: per-thread keeps each key on one thread "
      "(default per-thread)", OPT_QUEUE },
    { "shards", "S", "lock stripes for --lock sharded, 1..4096 (default 64)", OPT_SHARDS },
};

struct p2_flags {
    uint64_t threads, shards;
    enum lockmode lock;
    bool shared;
};

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t errlen)
{
    struct p2_flags *f = ctx;
    switch (val) {
    case OPT_THREADS:
        return cli_u64(arg, 1, WORKERS_MAX, &f->threads, err, errlen);
    case OPT_SHARDS:
        return cli_u64(arg, 1, SHARDS_MAX, &f->shards, err, errlen);
    case OPT_LOCK:
        if (lockmode_parse(arg, &f->lock) == 0)
            return 0;
        snprintf(err, errlen, "'%s' is not global, registry or sharded", arg);
        return -1;
    case OPT_QUEUE:
        if (strcmp(arg, "per-thread") == 0 || strcmp(arg, "shared") == 0) {
            f->shared = strcmp(arg, "shared") == 0;
            return 0;
        }
        snprintf(err, errlen, "'%s' is not per-thread or shared", arg);
        return -1;
    }
    return -1;
}

/* Whole-run figures, summed over the workers after they were joined. */
struct totals {
    uint64_t processed, acquired, contended, wait_ns, idle_ns, run_ns, vol_cs, invol_cs;
    uint64_t breaks, broken_keys;       /* messages applied late; keys with one or more */
    double secs, rate, wait_share, idle_share;
};

static void sum_up(struct pool *p, struct totals *t)
{
    memset(t, 0, sizeof *t);
    for (unsigned i = 0; i < p->nthreads; i++) {
        struct worker *w = &p->workers[i];
        t->processed += stat_read(&w->processed);
        t->acquired += stat_read(&w->locks.acquired);
        t->contended += stat_read(&w->locks.contended);
        t->wait_ns += stat_read(&w->locks.wait_ns);
        t->breaks += stat_read(&w->order_breaks);
        t->broken_keys += stat_read(&w->order_broken_keys);
        t->run_ns += w->run_ns;
        t->idle_ns += w->idle_ns;
        t->vol_cs += (uint64_t)w->ru.ru_nvcsw;
        t->invol_cs += (uint64_t)w->ru.ru_nivcsw;
    }
    t->secs = (p->t_end - p->t_start) / 1e9;
    t->rate = t->secs > 0 ? t->processed / t->secs : 0;
    t->wait_share = t->run_ns ? (double)t->wait_ns / (double)t->run_ns : 0;
    t->idle_share = t->run_ns ? (double)t->idle_ns / (double)t->run_ns : 0;
}

static void summary(const struct cli *c, const struct p2_flags *f, struct pool *p,
                    struct store *s, const struct ctlthread *ct, const struct totals *t)
{
    char machine[256], shards[32] = "";
    if (f->lock == LOCK_SHARDED)
        snprintf(shards, sizeof shards, ", %llu shards", (unsigned long long)f->shards);
    fprintf(stderr, "phase2: %llu messages in %.3f s = %.0f msgs/s with %u worker threads "
            "(lock %s%s, queue %s, work %u units per DATA)\n",
            (unsigned long long)t->processed, t->secs, t->rate, p->nthreads,
            lockmode_name(f->lock), shards, f->shared ? "shared" : "per-thread", c->work);
    fprintf(stderr, "phase2: locks: %llu acquisitions, %llu contended (%.1f %%); of the workers' "
            "time, %.1f %% was spent blocked on a taken lock and %.1f %% waiting for work "
            "(queue empty)\n",
            (unsigned long long)t->acquired, (unsigned long long)t->contended,
            t->acquired ? 100.0 * t->contended / t->acquired : 0.0, 100.0 * t->wait_share,
            100.0 * t->idle_share);
    fprintf(stderr, "phase2: context switches of the workers (getrusage RUSAGE_THREAD, "
            "summed): %llu voluntary (blocked), %llu involuntary (preempted)\n",
            (unsigned long long)t->vol_cs, (unsigned long long)t->invol_cs);
    uint64_t full = 0;
    for (unsigned i = 0; i < (p->shared ? 1u : p->nthreads); i++)
        full += jobq_full_waits(&p->queues[i]);
    fprintf(stderr, "phase2: the dispatcher found a queue full %llu times (back-pressure)\n",
            (unsigned long long)full);
    /* A key none of whose messages came late was applied in stream order, so its
     * row equals the reference's; the others' rows may differ (or, by luck, not). */
    if (f->shared)
        fprintf(stderr, "phase2: shared queue: the order broke for %llu of %zu keys: %llu "
                "messages were applied after a later message of their key; %s\n",
                (unsigned long long)t->broken_keys, store_keys(s), (unsigned long long)t->breaks,
                t->breaks ? "those keys' rows in the dump may differ from the reference"
                          : "none this run, but nothing keeps the order: the dump may differ");
    if (ct->service.count)
        fprintf(stderr, "phase2: %llu queries on the control thread, line to answer: "
                "p50 %.1f us, p99 %.1f us\n", (unsigned long long)ct->service.count,
                hist_quantile(&ct->service, 0.5) / 1e3, hist_quantile(&ct->service, 0.99) / 1e3);
    fprintf(stderr, "phase2: %zu keys, %llu input lines rejected; %s\n", store_keys(s),
            (unsigned long long)stat_read(&p->rejected), csv_machine(machine, sizeof machine));
}

static void csv_row(const struct cli *c, const struct p2_flags *f, struct pool *p,
                    const struct totals *t)
{
    csv_meta(stdout, c->argc, c->argv);
    printf("messages,seconds,msgs_per_s,threads,lock,queue,work,lock_wait_share,contended,"
           "vol_cs,invol_cs,rejected,order_breaks,acquisitions,shards,idle_share,"
           "order_broken_keys\n");
    printf("%llu,%.6f,%.1f,%u,%s,%s,%u,%.4f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%.4f,%llu\n",
           (unsigned long long)t->processed, t->secs, t->rate, p->nthreads,
           lockmode_name(f->lock), f->shared ? "shared" : "per-thread", c->work, t->wait_share,
           (unsigned long long)t->contended, (unsigned long long)t->vol_cs,
           (unsigned long long)t->invol_cs, (unsigned long long)stat_read(&p->rejected),
           (unsigned long long)t->breaks, (unsigned long long)t->acquired,
           (unsigned long long)(f->lock == LOCK_SHARDED ? f->shards : 1), t->idle_share,
           (unsigned long long)t->broken_keys);
}

int main(int argc, char **argv)
{
    struct cli c;
    struct p2_flags f = { .threads = THREADS_DEFAULT, .shards = SHARDS_DEFAULT,
                          .lock = LOCK_SHARDED };
    cli_parse(&c, argc, argv, PROG_SUMMARY, extras, sizeof extras / sizeof extras[0],
              on_flag, &f);
    if (c.emit)
        return cli_emit(&c);

    if (rendezvous_arm_from_env(c.prog) < 0)
        return EXIT_USAGE;
    struct stream *in = cli_open_stream(&c);
    /* So that SHUTDOWN can end a wait for a silent writer (ctlthread.h). */
    if (stream_make_interruptible(in, NULL, NULL) < 0) {
        fprintf(stderr, "%s: cannot set up reading %s: %s\n", c.prog, stream_name(in),
                strerror(errno));
        return EXIT_FAILURE_RT;
    }
    struct store *s = store_new(f.lock, (unsigned)f.shards, f.shared ? 0 : (unsigned)f.threads);
    if (!s) {
        fprintf(stderr, "%s: cannot make the shared registry: %s\n", c.prog, strerror(errno));
        return EXIT_FAILURE_RT;
    }
    static struct pool p;
    if (pool_start(&p, s, (unsigned)f.threads, f.shared, c.work) < 0) {
        fprintf(stderr, "%s: cannot start %llu worker threads: %s\n", c.prog,
                (unsigned long long)f.threads, strerror(errno));
        return EXIT_FAILURE_RT;
    }
    static struct ctlthread ct;
    char err[512];
    unsigned ctl_flags = c.control_private ? CTLSRV_PRIVATE : 0;
    if (ctlthread_start(&ct, &p, in, c.control, ctl_flags, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", c.prog, err);
        atomic_store(&p.stop_input, true);
        pool_run(&p, in);       /* drains nothing: just stops the workers */
        return EXIT_FAILURE_RT;
    }

    int rc = pool_run(&p, in);
    ctlthread_stop(&ct);

    int status = cli_exit_status(stream_rejected(in));
    if (rc < 0) {
        if (p.read_errno)
            fprintf(stderr, "%s: reading %s failed: %s\n", c.prog, stream_name(in),
                    strerror(p.read_errno));
        else
            fprintf(stderr, "%s: a worker failed to update the registry: %s\n", c.prog,
                    strerror(ENOMEM));
        status = EXIT_FAILURE_RT;
    }
    if (c.dump_state && store_dump(s, c.dump_state, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", c.prog, err);
        status = EXIT_FAILURE_RT;
    }
    struct totals t;
    sum_up(&p, &t);
    if (!c.quiet)
        summary(&c, &f, &p, s, &ct, &t);
    if (c.csv)
        csv_row(&c, &f, &p, &t);
    rendezvous_report(stderr, c.prog);
    pool_destroy(&p);
    store_free(s);
    stream_close(in);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: writing stdout failed: %s\n", c.prog, strerror(errno));
        status = EXIT_FAILURE_RT;
    }
    return status;
}
