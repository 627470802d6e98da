/* ipcbench: what it costs to move a message between two processes, by size and
 * transport, pinned to one core and not (the ipc_size experiment).
 *
 * For every transport x size x pinning it measures, as the median of --repeats
 * runs of at least --min-ms each:
 *   round_trip_us  a ping-pong of `bytes` each way (request and equal-sized reply);
 *   one_way_us     a stream of `bytes` messages back to back, per message;
 *   mb_per_s       bytes / one_way_us (10^6 bytes per second).
 * The CSV (SPEC §6 metadata, header, one row per point) goes to stdout; progress
 * to stderr. The lesson is in the pinned column: on one core a hand-off is a
 * context switch; across cores it is a wake-up of a sleeping CPU, which for small
 * messages costs far more than copying the bytes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "cli.h"
#include "csv.h"
#include "param.h"
#include "progflags.h"
#include "timing.h"

#define SIZES_MAX    32         /* most sizes in one --sizes list */
#define REPEATS_MAX  101        /* most --repeats */

struct opts {
    enum transport tr[TR_COUNT];
    int ntr;
    size_t size[SIZES_MAX];
    int nsize;
    int pinned[2];              /* the pinning values to run, in order */
    int npinned;
    unsigned min_ms;
    unsigned repeats;
    int quiet;
};

enum { F_TRANSPORTS = 1, F_SIZES, F_PINNED, F_MIN_MS, F_REPEATS, F_QUIET };

static const struct progflag flags[] = {
    { "transports", "LIST", "comma-separated: inproc,pipe,socketpair,shm (default all)", F_TRANSPORTS },
    { "sizes", "LIST", "message sizes in bytes (default 100,1024,10240,102400,1048576)", F_SIZES },
    { "pinned", "0|1|both", "1: both ends on CPU 0; 0: default scheduling (default both)", F_PINNED },
    { "min-ms", "MS", "minimum timed duration of one run (default 50)", F_MIN_MS },
    { "repeats", "R", "runs per point; the median is reported (default 3)", F_REPEATS },
    { "quiet", NULL, "no progress on stderr", F_QUIET },
};

static const char summary[] =
    "Measure round-trip and one-way message cost between two processes.\n"
    "Output: CSV on stdout, columns transport,bytes,pinned,round_trip_us,one_way_us,\n"
    "mb_per_s,rt_ops,ow_ops,repeats.";

/* --transports LIST into o->tr. */
static int parse_transports(const char *arg, struct opts *o, char *err, size_t len)
{
    o->ntr = 0;
    char *list = strdup(arg), *save = NULL;
    if (!list) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (o->ntr == TR_COUNT || transport_parse(w, &o->tr[o->ntr]) < 0) {
            snprintf(err, len, "unknown or repeated transport in --transports %s", arg);
            free(list);
            return -1;
        }
        o->ntr++;
    }
    free(list);
    if (o->ntr == 0)
        snprintf(err, len, "empty --transports");
    return o->ntr ? 0 : -1;
}

/* --sizes LIST into o->size. */
static int parse_sizes(const char *arg, struct opts *o, char *err, size_t len)
{
    o->nsize = 0;
    char *list = strdup(arg), *save = NULL;
    if (!list) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    int rc = 0;
    for (char *w = strtok_r(list, ",", &save); w && rc == 0; w = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (o->nsize == SIZES_MAX) {
            snprintf(err, len, "too many sizes in --sizes %s", arg);
            rc = -1;
        } else if ((rc = cli_u64(w, 1, CHAN_MAX_BYTES, &v, err, len)) == 0) {
            o->size[o->nsize++] = (size_t)v;
        }
    }
    free(list);
    if (rc == 0 && o->nsize == 0) {
        snprintf(err, len, "empty --sizes");
        rc = -1;
    }
    return rc;
}

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t len)
{
    struct opts *o = ctx;
    uint64_t v;
    switch (val) {
    case F_TRANSPORTS: return parse_transports(arg, o, err, len);
    case F_SIZES: return parse_sizes(arg, o, err, len);
    case F_PINNED:
        if (strcmp(arg, "both") == 0) {
            o->npinned = 2, o->pinned[0] = 1, o->pinned[1] = 0;
            return 0;
        }
        if (cli_u64(arg, 0, 1, &v, err, len) < 0) return -1;
        o->npinned = 1, o->pinned[0] = (int)v;
        return 0;
    case F_MIN_MS:
        if (cli_u64(arg, 1, 60000, &v, err, len) < 0) return -1;
        o->min_ms = (unsigned)v;
        return 0;
    case F_REPEATS:
        if (cli_u64(arg, 1, REPEATS_MAX, &v, err, len) < 0) return -1;
        o->repeats = (unsigned)v;
        return 0;
    case F_QUIET: o->quiet = 1; return 0;
    }
    return 0;
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
    static const size_t default_sizes[] = { 100, 1024, 10240, 102400, 1048576 };
    *o = (struct opts){ .min_ms = 50, .repeats = 3, .npinned = 2, .pinned = { 1, 0 } };
    for (int i = 0; i < TR_COUNT; i++)
        o->tr[o->ntr++] = (enum transport)i;
    for (size_t i = 0; i < sizeof default_sizes / sizeof *default_sizes; i++)
        o->size[o->nsize++] = default_sizes[i];
    struct progflags pf = { .summary = summary, .flags = flags, .n = sizeof flags / sizeof flags[0] };
    progflags_parse(&pf, argc, argv, on_flag, o);
}

int main(int argc, char **argv)
{
    struct opts o;
    parse_opts(&o, argc, argv);
    /* A peer that dies must show up as an error from write(), not kill us. */
    signal(SIGPIPE, SIG_IGN);

    if (csv_meta(stdout, argc, argv) < 0) {
        fprintf(stderr, "ipcbench: writing CSV metadata failed: %s\n", strerror(errno));
        return EXIT_FAILURE_RT;
    }
    printf("# repeats=%u\n# min_ms=%u\n", o.repeats, o.min_ms);
    printf("transport,bytes,pinned,round_trip_us,one_way_us,mb_per_s,rt_ops,ow_ops,repeats\n");
    fflush(stdout);

    int total = o.ntr * o.nsize * o.npinned, done = 0;
    uint64_t min_ns = (uint64_t)o.min_ms * 1000000u;
    double rt[REPEATS_MAX], ow[REPEATS_MAX];
    char err[256];
    /* Rows for one line of the plot (transport x pinning) come together. */
    for (int ti = 0; ti < o.ntr; ti++) {
        for (int pi = 0; pi < o.npinned; pi++) {
            for (int si = 0; si < o.nsize; si++) {
                enum transport t = o.tr[ti];
                size_t bytes = o.size[si];
                int pinned = o.pinned[pi];
                uint64_t rt_ops = 0, ow_ops = 0;
                for (unsigned r = 0; r < o.repeats; r++) {
                    struct chan_result a, b;
                    if (chan_round_trip(t, bytes, pinned, min_ns, &a, err, sizeof err) < 0 ||
                        chan_one_way(t, bytes, pinned, min_ns, &b, err, sizeof err) < 0) {
                        fprintf(stderr, "ipcbench: %s, %zu B, pinned=%d: %s\n",
                                transport_name(t), bytes, pinned, err);
                        return EXIT_FAILURE_RT;
                    }
                    rt[r] = a.ns_per_op;
                    ow[r] = b.ns_per_op;
                    rt_ops += a.ops;
                    ow_ops += b.ops;
                }
                double rt_us = timing_median(rt, o.repeats) / 1000.0;
                double ow_us = timing_median(ow, o.repeats) / 1000.0;
                printf("%s,%zu,%d,%.4f,%.4f,%.6g,%llu,%llu,%u\n", transport_name(t), bytes,
                       pinned, rt_us, ow_us, (double)bytes / ow_us,
                       (unsigned long long)rt_ops, (unsigned long long)ow_ops, o.repeats);
                fflush(stdout);
                done++;
                if (!o.quiet)
                    fprintf(stderr, "ipc_size: %d/%d %s %zu B pinned=%d: round trip %.2f us, "
                            "one-way %.2f us\n", done, total, transport_name(t), bytes, pinned,
                            rt_us, ow_us);
            }
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "ipcbench: writing the CSV failed: %s\n", strerror(errno));
        return EXIT_FAILURE_RT;
    }
    return EXIT_OK;
}
