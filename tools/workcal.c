/* workcal.c: bin/workcal, what one --work unit costs on this machine.
 *
 * --work W makes every DATA message burn W units of work_burn() (lib/fsm.c),
 * which is how the experiments move a pipeline from IPC-bound to CPU-bound.
 * To read those experiments one needs the price of a unit in time: this
 * program times work_burn(N) a few times on one thread and reports the median
 * per unit. Wall-clock (CLOCK_MONOTONIC) time, as the pipelines experience it;
 * run it on an idle machine. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv.h"
#include "fsm.h"
#include "param.h"
#include "timing.h"

#define UNITS_DEFAULT 200000    /* units per timed run (about 50 ms at 0.25 µs) */
#define RUNS_DEFAULT  5         /* timed runs; the median is reported */
#define RUNS_MAX      101

static volatile uint64_t sink;  /* keeps work_burn's result alive */

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [--units N] [--runs R] [--csv] [--help]\n"
            "Measure what one --work unit (%d rounds of an integer mix, lib/fsm.c) costs:\n"
            "times work_burn(N units) R times on one thread, prints the median per unit.\n"
            "  --units N   units per timed run (default %d)\n"
            "  --runs R    timed runs, odd is best (default %d, at most %d)\n"
            "  --csv       print metadata, header and one row (units,runs,ns_per_unit) on stdout\n"
            "  --help      print this help and exit\n",
            prog, WORK_ROUNDS, UNITS_DEFAULT, RUNS_DEFAULT, RUNS_MAX);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    uint64_t units = UNITS_DEFAULT, runs = RUNS_DEFAULT;
    int csv = 0;
    char err[256];
    static const struct option opts[] = {
        { "units", required_argument, NULL, 'u' }, { "runs", required_argument, NULL, 'r' },
        { "csv", no_argument, NULL, 'c' },         { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    opterr = 0;
    for (int o; (o = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        err[0] = '\0';
        if (o == 'h') {
            usage(stdout, prog);
            return EXIT_OK;
        } else if (o == 'u') {
            if (cli_u64(optarg, 1, UINT32_MAX, &units, err, sizeof err) == 0)
                continue;
        } else if (o == 'r') {
            if (cli_u64(optarg, 1, RUNS_MAX, &runs, err, sizeof err) == 0)
                continue;
        } else if (o == 'c') {
            csv = 1;
            continue;
        } else {
            snprintf(err, sizeof err, "bad option '%s'", argv[optind - 1]);
        }
        fprintf(stderr, "%s: %s\n", prog, err);
        usage(stderr, prog);
        return EXIT_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
        usage(stderr, prog);
        return EXIT_USAGE;
    }

    uint64_t ns[RUNS_MAX];
    sink ^= work_burn((uint32_t)(units / 10 + 1), 0);    /* warm up: clocks up, caches in */
    for (uint64_t i = 0; i < runs; i++) {
        uint64_t t0 = now_ns();
        sink ^= work_burn((uint32_t)units, i);
        ns[i] = now_ns() - t0;
    }
    qsort(ns, runs, sizeof ns[0], cmp_u64);
    double per_unit = (double)ns[runs / 2] / (double)units;

    char machine[256];
    csv_machine(machine, sizeof machine);
    if (csv) {
        if (csv_meta(stdout, argc, argv) < 0 ||
            printf("units,runs,ns_per_unit\n%" PRIu64 ",%" PRIu64 ",%.3f\n", units, runs,
                   per_unit) < 0 || fflush(stdout) != 0) {
            fprintf(stderr, "%s: writing CSV to stdout: %s\n", prog, strerror(errno));
            return EXIT_FAILURE_RT;
        }
    } else {
        printf("one --work unit = %.3f µs (median of %" PRIu64 " runs of %" PRIu64
               " units, %d rounds each, one thread, %s)\n",
               per_unit / 1000.0, runs, units, WORK_ROUNDS, machine);
    }
    return EXIT_OK;
}
