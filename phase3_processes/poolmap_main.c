/* poolmap_main.c: bin/poolmap, seed 004's Pool.map exercises in C:
 *
 *   bin/poolmap --gen-primes nums.txt --count 1000000 --seed 1
 *   bin/poolmap --count-primes nums.txt --workers 0     (sequential)
 *   bin/poolmap --count-primes nums.txt --workers 2     (the pool)
 *   bin/poolmap --sum-squares 1000000 --workers 2       (the quick exercise)
 *
 * The narrated summary gives the time of the map alone (reading the file is not
 * in it) so sequential and parallel compare fairly; run both and compare. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv.h"
#include "param.h"
#include "poolmap.h"
#include "primes.h"
#include "progflags.h"
#include "timing.h"

enum { F_GEN = 1, F_COUNT, F_SEED, F_PRIMES, F_SUMSQ, F_WORKERS, F_CHUNK, F_CSV, F_QUIET };

static const struct progflag flags[] = {
    { "gen-primes", "FILE", "write --count random integers in [1, 1000000] to FILE", F_GEN },
    { "count", "N", "how many integers --gen-primes writes (default 1000000)", F_COUNT },
    { "seed", "S", "PRNG seed for --gen-primes (default 1)", F_SEED },
    { "count-primes", "FILE", "count the primes among FILE's integers", F_PRIMES },
    { "sum-squares", "N", "sum of i*i for i in 0..N-1, mapped in parallel", F_SUMSQ },
    { "workers", "W", "worker processes; 0 = sequential in this process (default 2)", F_WORKERS },
    { "chunk", "C", "elements per message to a worker (default 4096)", F_CHUNK },
    { "csv", NULL, "print one metrics row (with metadata and header) on stdout", F_CSV },
    { "quiet", NULL, "no narrated summary on stderr", F_QUIET },
};

struct conf {
    const char *gen, *primes;
    uint64_t count, seed, sumsq, chunk;
    unsigned workers;
    int has_sumsq, csv, quiet;
};

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t len)
{
    struct conf *c = ctx;
    uint64_t v;
    switch (val) {
    case F_GEN: c->gen = arg; break;
    case F_PRIMES: c->primes = arg; break;
    case F_COUNT: if (cli_u64(arg, 0, 1ull << 32, &v, err, len) < 0) return -1; c->count = v; break;
    case F_SEED: if (cli_u64(arg, 0, UINT64_MAX, &v, err, len) < 0) return -1; c->seed = v; break;
    case F_SUMSQ: if (cli_u64(arg, 0, 1ull << 31, &v, err, len) < 0) return -1; c->sumsq = v; c->has_sumsq = 1; break;
    case F_WORKERS: if (cli_u64(arg, 0, WORKERS_MAX, &v, err, len) < 0) return -1; c->workers = (unsigned)v; break;
    case F_CHUNK: if (cli_u64(arg, 1, 1u << 20, &v, err, len) < 0) return -1; c->chunk = v; break;
    case F_CSV: c->csv = 1; break;
    case F_QUIET: c->quiet = 1; break;
    }
    return 0;
}

static int64_t square(int64_t x) { return x * x; }

int main(int argc, char **argv)
{
    struct conf c = { .count = 1000000, .seed = 1, .workers = 2, .chunk = 4096 };
    struct progflags pf = { .summary =
        "Pool.map in C: a fork pool maps a function over an array in chunks sent over pipes.\n"
        "Give exactly one of --gen-primes, --count-primes, --sum-squares.",
        .flags = flags, .n = sizeof flags / sizeof flags[0] };
    progflags_parse(&pf, argc, argv, on_flag, &c);
    if (!!c.gen + !!c.primes + c.has_sumsq != 1)
        progflags_usage_error(&pf, "give exactly one of --gen-primes, --count-primes, --sum-squares");
    char mach[256];
    if (c.gen) {
        if (primes_write_file(c.gen, c.count, c.seed) < 0) {
            fprintf(stderr, "%s: cannot write '%s': %s\n", pf.prog, c.gen, strerror(errno));
            return EXIT_FAILURE_RT;
        }
        if (!c.quiet)
            fprintf(stderr, "poolmap: wrote %" PRIu64 " integers in [1, %d] to %s (seed %" PRIu64 ")\n",
                    c.count, PRIMES_VALUE_MAX, c.gen, c.seed);
        return EXIT_OK;
    }
    size_t n = 0, bad = 0;
    int64_t *in;
    if (c.primes) {
        if (!(in = primes_read_file(c.primes, &n, &bad))) {
            if (errno == EINVAL)
                fprintf(stderr, "%s: %s:%zu: not an integer\n", pf.prog, c.primes, bad);
            else
                fprintf(stderr, "%s: cannot read '%s': %s\n", pf.prog, c.primes, strerror(errno));
            return errno == EINVAL ? EXIT_DATAERR : EXIT_FAILURE_RT;
        }
    } else {
        n = c.sumsq;
        if (!(in = malloc((n ? n : 1) * sizeof *in))) {
            fprintf(stderr, "%s: out of memory for %zu integers\n", pf.prog, n);
            return EXIT_FAILURE_RT;
        }
        for (size_t i = 0; i < n; i++)
            in[i] = (int64_t)i;
    }
    int64_t *out = malloc((n ? n : 1) * sizeof *out);
    char err[256];
    uint64_t t0 = now_ns();
    if (!out || poolmap_run(c.primes ? is_prime : square, in, out, n, c.workers, c.chunk, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", pf.prog, out ? err : "out of memory");
        free(in), free(out);
        return EXIT_FAILURE_RT;
    }
    int64_t total = 0;              /* the reduction: Python's sum() over the map */
    for (size_t i = 0; i < n; i++)
        total += out[i];
    double secs = (double)(now_ns() - t0) / 1e9;
    const char *task = c.primes ? "count_primes" : "sum_squares";
    if (c.csv) {
        csv_meta(stdout, argc, argv);
        printf("task,n,workers,chunk,seconds,result\n%s,%zu,%u,%" PRIu64 ",%.6f,%" PRId64 "\n",
               task, n, c.workers, c.chunk, secs, total);
    }
    if (!c.quiet) {
        fprintf(stderr, "poolmap: %s over %zu integers, %s: result %" PRId64 " in %.6f s (the map and the sum; "
                "reading the input excluded)\n", task, n,
                c.workers ? "pool" : "sequential", total, secs);
        if (c.workers)
            fprintf(stderr, "poolmap: %u workers, chunks of %" PRIu64 " over pipes\n", c.workers, c.chunk);
        fprintf(stderr, "poolmap: machine: %s\n", csv_machine(mach, sizeof mach));
    }
    if (!c.csv)
        printf("%" PRId64 "\n", total);    /* the answer, for scripts */
    free(in), free(out);
    return EXIT_OK;
}
