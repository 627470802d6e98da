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
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "csv.h"
#include "param.h"

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

static const char usage_text[] =
    "usage: ipcbench [--transports LIST] [--sizes LIST] [--pinned 0|1|both]\n"
    "                [--min-ms MS] [--repeats R] [--quiet]\n"
    "Measure round-trip and one-way message cost between two processes.\n"
    "  --transports LIST  comma-separated: inproc,pipe,socketpair,shm (default all)\n"
    "  --sizes LIST       message sizes in bytes (default 100,1024,10240,102400,1048576)\n"
    "  --pinned 0|1|both  1: both ends on CPU 0; 0: default scheduling (default both)\n"
    "  --min-ms MS        minimum timed duration of one run (default 50)\n"
    "  --repeats R        runs per point; the median is reported (default 3)\n"
    "  --quiet            no progress on stderr\n"
    "Output: CSV on stdout, columns transport,bytes,pinned,round_trip_us,one_way_us,\n"
    "mb_per_s,rt_ops,ow_ops,repeats.\n";

static void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "ipcbench: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage_text);
    exit(EXIT_USAGE);
}

static unsigned long parse_ul(const char *s, unsigned long lo, unsigned long hi, const char *flag)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi || *s == '-')
        usage_error("bad value for %s", flag);
    return v;
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "transports", required_argument, NULL, 't' },
        { "sizes", required_argument, NULL, 's' },
        { "pinned", required_argument, NULL, 'p' },
        { "min-ms", required_argument, NULL, 'm' },
        { "repeats", required_argument, NULL, 'r' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const size_t default_sizes[] = { 100, 1024, 10240, 102400, 1048576 };
    *o = (struct opts){ .min_ms = 50, .repeats = 3, .npinned = 2, .pinned = { 1, 0 } };
    for (int i = 0; i < TR_COUNT; i++)
        o->tr[o->ntr++] = (enum transport)i;
    for (size_t i = 0; i < sizeof default_sizes / sizeof *default_sizes; i++)
        o->size[o->nsize++] = default_sizes[i];

    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 't': {
            o->ntr = 0;
            char *list = strdup(optarg), *save = NULL;
            for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (o->ntr == TR_COUNT || transport_parse(w, &o->tr[o->ntr]) < 0)
                    usage_error("unknown or repeated transport in --transports %s", optarg);
                o->ntr++;
            }
            free(list);
            if (o->ntr == 0)
                usage_error("empty --transports%s", "");
            break;
        }
        case 's': {
            o->nsize = 0;
            char *list = strdup(optarg), *save = NULL;
            for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (o->nsize == SIZES_MAX)
                    usage_error("too many sizes in --sizes %s", optarg);
                o->size[o->nsize++] = parse_ul(w, 1, CHAN_MAX_BYTES, "--sizes");
            }
            free(list);
            if (o->nsize == 0)
                usage_error("empty --sizes%s", "");
            break;
        }
        case 'p':
            if (strcmp(optarg, "both") == 0)
                o->npinned = 2, o->pinned[0] = 1, o->pinned[1] = 0;
            else
                o->npinned = 1, o->pinned[0] = (int)parse_ul(optarg, 0, 1, "--pinned");
            break;
        case 'm':
            o->min_ms = (unsigned)parse_ul(optarg, 1, 60000, "--min-ms");
            break;
        case 'r':
            o->repeats = (unsigned)parse_ul(optarg, 1, REPEATS_MAX, "--repeats");
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(EXIT_OK);
        default:
            usage_error("unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected argument %s", argv[optind]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
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
                double rt_us = median(rt, o.repeats) / 1000.0;
                double ow_us = median(ow, o.repeats) / 1000.0;
                printf("%s,%zu,%d,%.4f,%.4f,%.2f,%llu,%llu,%u\n", transport_name(t), bytes,
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
