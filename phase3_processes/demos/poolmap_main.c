/* poolmap_main.c: bin/poolmap, seed 004's Pool.map exercises in C:
 *
 *   bin/poolmap --gen-primes nums.txt --count 1000000 --seed 1
 *   bin/poolmap --count-primes nums.txt --workers 0     (sequential)
 *   bin/poolmap --count-primes nums.txt --workers 2     (the pool)
 *   bin/poolmap --sum-squares 1000000 --workers 2       (the quick exercise)
 *
 * --count-primes: Amdahl's law, met and fixed. The first version read and
 * parsed the whole file in the parent (fgets + strtoll into an array), then
 * sent the integers to the pool in chunks and got them back mapped. The test
 * itself is ~77 ms of CPU for 1 M integers on the 2-core VM, but the read and
 * parse (~48 ms: whole run minus the timed map) ran in the parent alone, before any worker started, and the
 * integers crossed two pipes: whole program 128 ms sequential, 102 ms with 2
 * workers (1.25x; medians of 10, hyperfine). With a serial fraction s, no
 * number of workers does better than 1/s. So the serial part is gone: the
 * parent only maps the file (mmap: no read, no copy) and forks; worker w
 * parses AND tests its own byte range (primes_count_range; a cut mid-line
 * moves to the next line start), its pages come in from the page cache in
 * parallel with the others', and only a 24-byte tally comes back. --workers 0
 * runs the same function over the whole file in this process, so the
 * sequential and the parallel runs do the same work: now 86 ms vs 46 ms with
 * 2 workers (1.88x). A malformed line is found by byte offset in its range;
 * the parent turns the first one into a line number (counting newlines
 * before it: only on that error path), so the message is the same whatever
 * the number of workers. The time reported is the whole count, opening the
 * file included. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
    { "count-primes", "FILE", "count the primes among FILE's integers (each worker parses and tests "
      "its own byte range of the file)", F_PRIMES },
    { "sum-squares", "N", "sum of i*i for i in 0..N-1, mapped in parallel", F_SUMSQ },
    { "workers", "W", "worker processes; 0 = sequential in this process (default 2)", F_WORKERS },
    { "chunk", "C", "--sum-squares: elements per message to a worker (default 4096)", F_CHUNK },
    { "csv", NULL, "print one metrics row (with metadata and header) on stdout", F_CSV },
    { "quiet", NULL, "no narrated summary on stderr", F_QUIET },
};

struct poolmap_conf {
    const char *gen, *primes;
    uint64_t count, seed, sumsq, chunk;
    unsigned workers;
    int has_sumsq, csv, quiet;
};

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t len)
{
    struct poolmap_conf *c = ctx;
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

/* The --csv row, if asked for. chunk is 0 where there are no chunks. */
static void report_run(const struct poolmap_conf *c, int argc, char **argv, const char *task, size_t n,
                   uint64_t chunk, double secs, int64_t total)
{
    if (!c->csv)
        return;
    csv_meta(stdout, argc, argv);
    printf("task,n,workers,chunk,seconds,result\n%s,%zu,%u,%" PRIu64 ",%.6f,%" PRId64 "\n",
           task, n, c->workers, chunk, secs, total);
}

/* The machine line and the answer on stdout (unless --csv carried it). */
static void finish_run(const struct poolmap_conf *c, int64_t total)
{
    char mach[256];
    if (!c->quiet)
        fprintf(stderr, "poolmap: machine: %s\n", csv_machine(mach, sizeof mach));
    if (!c->csv)
        printf("%" PRId64 "\n", total);    /* the answer, for scripts */
}

/* --count-primes: map the file, count per byte range (see the top of the file). */
static int count_primes(const struct poolmap_conf *c, const struct progflags *pf, int argc, char **argv)
{
    uint64_t t0 = now_ns();
    int fd = open(c->primes, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || (S_ISDIR(st.st_mode) && (errno = EISDIR))) {
        fprintf(stderr, "%s: cannot read '%s': %s\n", pf->prog, c->primes, strerror(errno));
        if (fd >= 0)
            close(fd);
        return EXIT_FAILURE_RT;
    }
    size_t len = (size_t)st.st_size;
    const char *data = "";      /* mmap refuses length 0: an empty file has no lines */
    if (len && (data = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
        fprintf(stderr, "%s: mmap() failed for '%s': %s\n", pf->prog, c->primes, strerror(errno));
        close(fd);
        return EXIT_FAILURE_RT;
    }
    close(fd);                  /* the mapping keeps the file */
    unsigned parts = c->workers ? c->workers : 1;
    struct primes_tally tally[WORKERS_MAX];
    char err[256];
    int status = EXIT_OK;
    if (poolmap_ranges(primes_count_range, data, len, c->workers, tally, sizeof tally[0], err,
                       sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", pf->prog, err);
        status = EXIT_FAILURE_RT;
        goto out;
    }
    uint64_t n = 0, total = 0;  /* the reduction: Python's sum() over the map */
    for (unsigned w = 0; w < parts; w++) {
        n += tally[w].integers;
        total += tally[w].primes;
        if (tally[w].bad_off != PRIMES_NO_BAD) {
            /* The first bad line in file order: ranges are in order. */
            fprintf(stderr, "%s: %s:%" PRIu64 ": not an integer\n", pf->prog, c->primes,
                    primes_line_of(data, tally[w].bad_off));
            status = EXIT_DATAERR;
            goto out;
        }
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    report_run(c, argc, argv, "count_primes", n, 0, secs, (int64_t)total);
    if (!c->quiet) {
        fprintf(stderr, "poolmap: count_primes over %" PRIu64 " integers (%zu bytes), %s: result %"
                PRIu64 " in %.6f s (the whole count: open, map the file, parse, test, sum)\n",
                n, len, c->workers ? "pool" : "sequential", total, secs);
        if (c->workers)
            fprintf(stderr, "poolmap: %u workers, each parsing and testing 1/%u of the file's "
                    "bytes; only the counts come back\n", c->workers, c->workers);
    }
    finish_run(c, (int64_t)total);
out:
    if (len)
        munmap((void *)data, len);
    return status;
}

int main(int argc, char **argv)
{
    struct poolmap_conf c = { .count = 1000000, .seed = 1, .workers = 2, .chunk = 4096 };
    struct progflags pf = { .summary =
        "Pool.map in C: a fork pool maps a function over an array in chunks sent over pipes\n"
        "(--sum-squares), or over byte ranges of a file it maps (--count-primes).\n"
        "Give exactly one of --gen-primes, --count-primes, --sum-squares.",
        .flags = flags, .n = sizeof flags / sizeof flags[0] };
    progflags_parse(&pf, argc, argv, on_flag, &c);
    if (!!c.gen + !!c.primes + c.has_sumsq != 1)
        progflags_usage_error(&pf, "give exactly one of --gen-primes, --count-primes, --sum-squares");
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
    if (c.primes)
        return count_primes(&c, &pf, argc, argv);

    size_t n = c.sumsq;
    int64_t *in = malloc((n ? n : 1) * sizeof *in), *out = malloc((n ? n : 1) * sizeof *out);
    if (!in || !out) {
        fprintf(stderr, "%s: out of memory for %zu integers\n", pf.prog, n);
        free(in), free(out);
        return EXIT_FAILURE_RT;
    }
    for (size_t i = 0; i < n; i++)
        in[i] = (int64_t)i;
    char err[256];
    uint64_t t0 = now_ns();
    if (poolmap_run(square, in, out, n, c.workers, c.chunk, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", pf.prog, err);
        free(in), free(out);
        return EXIT_FAILURE_RT;
    }
    int64_t total = 0;              /* the reduction: Python's sum() over the map */
    for (size_t i = 0; i < n; i++)
        total += out[i];
    double secs = (double)(now_ns() - t0) / 1e9;
    report_run(&c, argc, argv, "sum_squares", n, c.chunk, secs, total);
    if (!c.quiet)
        fprintf(stderr, "poolmap: sum_squares over %zu integers, %s: result %" PRId64 " in %.6f s "
                "(the map and the sum)\n", n, c.workers ? "pool" : "sequential", total, secs);
    if (!c.quiet && c.workers)
        fprintf(stderr, "poolmap: %u workers, chunks of %" PRIu64 " over pipes\n", c.workers, c.chunk);
    finish_run(&c, total);
    free(in), free(out);
    return EXIT_OK;
}
