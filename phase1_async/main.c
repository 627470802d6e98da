/* main.c: bin/phase1, the stateful pipeline on ONE thread with ONE libuv loop.
 *
 * The lesson in numbers: the heartbeat's lag and the query round trip stay at
 * microseconds while messages are cheap, grow with --work because the event
 * loop cannot interrupt CPU work, and fall again with --offload threads, which
 * moves the work to libuv's thread pool (the run_in_executor analogue) while the
 * state updates stay on the loop, in per-key order (offload.c explains how). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv.h"
#include "dump.h"
#include "param.h"
#include "pipeline.h"
#include "probe.h"

#define PROG_SUMMARY \
    "phase1: the pipeline on one thread and one libuv event loop (source -> queue ->\n" \
    "router -> state machines), with a heartbeat that measures loop lag."
#define RATE_MAX      100000000u    /* --rate upper bound, msgs/s */
#define PERIOD_MAX_MS 60000u        /* --heartbeat-ms and --probe-ms upper bound */
#define POOL_MAX      1024u         /* libuv's own cap on UV_THREADPOOL_SIZE */
#define POOL_DEFAULT  4             /* libuv's default pool size */

enum { OPT_RATE = CLI_EXTRA_BASE, OPT_OFFLOAD, OPT_POOL, OPT_HEARTBEAT, OPT_PROBE };

static const struct cli_extra extras[] = {
    { "rate", "N", "pace the source at N messages/s (default 0 = as fast as possible)", OPT_RATE },
    { "offload", "MODE", "none|threads: where DATA's --work runs (default none = on the loop)",
      OPT_OFFLOAD },
    { "pool", "N", "libuv thread pool size for --offload threads (sets UV_THREADPOOL_SIZE; "
      "default 4)", OPT_POOL },
    { "heartbeat-ms", "MS", "loop-lag heartbeat period (default 1)", OPT_HEARTBEAT },
    { "probe-ms", "MS", "with --control: a client thread sends STATS every MS ms and "
      "measures the round trip (default 0 = off)", OPT_PROBE },
};

struct p1_flags {
    uint64_t rate;
    int offload;                /* 0 none, 1 threads */
    uint64_t pool;              /* 0 = leave UV_THREADPOOL_SIZE alone */
    uint64_t heartbeat_ms;
    uint64_t probe_ms;
};

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t errlen)
{
    struct p1_flags *f = ctx;
    switch (val) {
    case OPT_RATE:
        return cli_u64(arg, 0, RATE_MAX, &f->rate, err, errlen);
    case OPT_OFFLOAD:
        if (strcmp(arg, "none") == 0 || strcmp(arg, "threads") == 0) {
            f->offload = strcmp(arg, "threads") == 0;
            return 0;
        }
        snprintf(err, errlen, "'%s' is not none or threads", arg);
        return -1;
    case OPT_POOL:
        return cli_u64(arg, 1, POOL_MAX, &f->pool, err, errlen);
    case OPT_HEARTBEAT:
        return cli_u64(arg, 1, PERIOD_MAX_MS, &f->heartbeat_ms, err, errlen);
    case OPT_PROBE:
        return cli_u64(arg, 0, PERIOD_MAX_MS, &f->probe_ms, err, errlen);
    }
    return -1;
}

/* The pool size libuv will use: what UV_THREADPOOL_SIZE says, else 4. */
static unsigned pool_size(void)
{
    const char *s = getenv("UV_THREADPOOL_SIZE");
    long n = s ? strtol(s, NULL, 10) : 0;
    return n > 0 ? (unsigned)(n > (long)POOL_MAX ? POOL_MAX : n) : POOL_DEFAULT;
}

static double ms(uint64_t ns) { return ns / 1e6; }
static double us(uint64_t ns) { return ns / 1e3; }

static void summary(const struct cli *c, const struct pipeline *p, const struct probe *pr,
                    bool probed, double secs)
{
    char machine[256];
    const struct hist *lag = &p->hb.lag;
    double rate = secs > 0 ? p->processed / secs : 0;

    fprintf(stderr, "phase1: %llu messages in %.3f s = %.0f msgs/s on one loop thread "
            "(work %u units per DATA, offload %s)\n",
            (unsigned long long)p->processed, secs, rate, c->work,
            p->off ? "threads" : "none");
    if (lag->count)
        fprintf(stderr, "phase1: loop lag (heartbeat every %llu ms, %llu beats, how late each "
                "fired): p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
                (unsigned long long)p->hb.period_ms, (unsigned long long)lag->count,
                ms(hist_quantile(lag, 0.5)), ms(hist_quantile(lag, 0.99)),
                ms(hist_quantile(lag, 1.0)));
    else
        fprintf(stderr, "phase1: loop lag: no heartbeat fired (the run was shorter than its "
                "%llu ms period)\n", (unsigned long long)p->hb.period_ms);
    if (probed)
        fprintf(stderr, "phase1: query round trip (probe thread, STATS, %llu answered): "
                "p50 %.1f us, p99 %.1f us, max %.1f us\n",
                (unsigned long long)pr->rtt.count, us(hist_quantile(&pr->rtt, 0.5)),
                us(hist_quantile(&pr->rtt, 0.99)), us(hist_quantile(&pr->rtt, 1.0)));
    if (p->service.count)
        fprintf(stderr, "phase1: %llu queries; in the loop, from the command line to its "
                "answer: p50 %.1f us, p99 %.1f us (the wait before the loop reads it is "
                "the lag above)\n",
                (unsigned long long)p->service.count, us(hist_quantile(&p->service, 0.5)),
                us(hist_quantile(&p->service, 0.99)));
    if (p->off)
        fprintf(stderr, "phase1: offload: %llu jobs on libuv's pool of %u threads "
                "(UV_THREADPOOL_SIZE), at most %zu queued or running at once\n",
                (unsigned long long)offload_submitted(p->off), pool_size(),
                offload_peak_running(p->off));
    if (p->o.rate)
        fprintf(stderr, "phase1: paced at %llu msgs/s; %llu pacer ticks found the queue "
                "full (the loop fell behind the rate)\n",
                (unsigned long long)p->o.rate, (unsigned long long)p->stalls);
    fprintf(stderr, "phase1: %llu keys, %llu input lines rejected; %s\n",
            (unsigned long long)registry_count(p->reg),
            (unsigned long long)pipeline_rejected(p), csv_machine(machine, sizeof machine));
}

static void csv_row(const struct cli *c, const struct pipeline *p, const struct probe *pr,
                    bool probed, double secs)
{
    const struct hist *lag = &p->hb.lag;
    csv_meta(stdout, c->argc, c->argv);
    printf("messages,seconds,msgs_per_s,work,offload,lag_p50_ms,lag_p99_ms,lag_max_ms,"
           "query_p50_us,query_p99_us,rejected,rate,pool,heartbeats,probes,"
           "service_p50_us,service_p99_us\n");
    printf("%llu,%.6f,%.1f,%u,%s,%.4f,%.4f,%.4f,",
           (unsigned long long)p->processed, secs, secs > 0 ? p->processed / secs : 0.0,
           c->work, p->off ? "threads" : "none", ms(hist_quantile(lag, 0.5)),
           ms(hist_quantile(lag, 0.99)), ms(hist_quantile(lag, 1.0)));
    if (probed && pr->rtt.count)
        printf("%.2f,%.2f,", us(hist_quantile(&pr->rtt, 0.5)), us(hist_quantile(&pr->rtt, 0.99)));
    else
        printf(",,");           /* no probe, no client-side figure */
    printf("%llu,%llu,%u,%llu,%llu,%.2f,%.2f\n",
           (unsigned long long)pipeline_rejected(p), (unsigned long long)p->o.rate,
           p->off ? pool_size() : 0, (unsigned long long)lag->count,
           (unsigned long long)(probed ? pr->rtt.count : 0),
           us(hist_quantile(&p->service, 0.5)), us(hist_quantile(&p->service, 0.99)));
}

int main(int argc, char **argv)
{
    struct cli c;
    struct p1_flags f = { .heartbeat_ms = HEARTBEAT_MS };
    cli_parse(&c, argc, argv, PROG_SUMMARY, extras, sizeof extras / sizeof extras[0],
              on_flag, &f);
    if (f.probe_ms && !c.control)
        cli_usage_error(&c, "--probe-ms needs --control PATH (the probe is a client of it)");
    if (f.pool && !f.offload)
        cli_usage_error(&c, "--pool only matters with --offload threads");
    if (c.emit)
        return cli_emit(&c);

    /* libuv reads UV_THREADPOOL_SIZE once, when the first uv_queue_work starts
     * its pool; setting it now, before the loop exists, is early enough. */
    if (f.pool) {
        char n[24];
        snprintf(n, sizeof n, "%llu", (unsigned long long)f.pool);
        setenv("UV_THREADPOOL_SIZE", n, 1);
    }

    struct stream *in = cli_open_stream(&c);
    static struct pipeline p;   /* big (histograms): not on the stack */
    struct pipeline_opts o = {
        .in = in, .threaded_input = c.stream.input != NULL, .work = c.work,
        .rate = f.rate, .offload = f.offload,
        .heartbeat_ms = f.heartbeat_ms, .control = c.control, .control_private = c.control_private,
    };
    char err[512];
    if (pipeline_init(&p, &o, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", c.prog, err);
        return EXIT_FAILURE_RT;
    }
    static struct probe pr;
    bool probed = false;
    if (f.probe_ms) {
        if (probe_start(&pr, c.control, f.probe_ms) < 0) {
            fprintf(stderr, "%s: cannot start the query probe on %s: %s\n", c.prog,
                    c.control, strerror(errno));
            return EXIT_FAILURE_RT;
        }
        probed = true;
    }

    int rc = pipeline_run(&p);
    if (probed)
        probe_join(&pr);
    double secs = (p.t_end - p.t_start) / 1e9;
    int status = cli_exit_status(pipeline_rejected(&p));
    if (rc < 0) {
        if (p.read_errno)
            fprintf(stderr, "%s: reading %s failed: %s\n", c.prog, stream_name(in),
                    strerror(p.read_errno));
        else
            fprintf(stderr, "%s: the registry failed: %s\n", c.prog, strerror(p.fatal_errno));
        status = EXIT_FAILURE_RT;
    }
    if (c.dump_state && dump_to_path(c.dump_state, p.reg, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", c.prog, err);
        status = EXIT_FAILURE_RT;
    }
    if (!c.quiet)
        summary(&c, &p, &pr, probed, secs);
    if (c.csv)
        csv_row(&c, &p, &pr, probed, secs);
    pipeline_destroy(&p);
    stream_close(in);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: writing stdout failed: %s\n", c.prog, strerror(errno));
        status = EXIT_FAILURE_RT;
    }
    return status;
}
