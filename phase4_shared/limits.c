/* limits.c: bin/phase4-limits, the two bare routers phase 4 is measured against
 * (phase4_shared/bench.sh, experiments/zero_copy.sh). Each reads the same stream
 * as the pipelines (the common flags), routes every message by key to one of N
 * child processes and does nothing else: no state, no work, no dump.
 *   --mode pipe   24-byte records batched into 4 KiB write()s on one pipe per
 *                 child: the cheapest a copying channel can be (no codec, no framing);
 *   --mode ring   the same records through phase 4's shared-memory rings
 *                 (recring.h): what phase 4 pays before it applies anything.
 * The children only read the records (and sum their seq so the reads happen).
 * --csv adds cpu_s: the router's and its children's CPU (user + system). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "board.h"
#include "child.h"
#include "cli.h"
#include "csv.h"
#include "route.h"
#include "timing.h"

#define BATCH (4096 / sizeof(struct rec))      /* records per write() */

enum { OPT_MODE = CLI_EXTRA_BASE, OPT_WORKERS };
static const struct cli_extra extras[] = {
    { "mode", "pipe|ring", "the channel (default ring)", OPT_MODE },
    { "workers", "N", "child processes, 1..256 (default 2)", OPT_WORKERS },
};
struct lim { bool pipe; uint64_t workers; };

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t errlen)
{
    struct lim *l = ctx;
    if (val == OPT_WORKERS)
        return cli_u64(arg, 1, WORKERS_MAX, &l->workers, err, errlen);
    if (strcmp(arg, "pipe") == 0 || strcmp(arg, "ring") == 0) {
        l->pipe = strcmp(arg, "pipe") == 0;
        return 0;
    }
    snprintf(err, errlen, "'%s' is not pipe or ring", arg);
    return -1;
}

static volatile uint64_t sink;

static int drain_pipe(int fd)
{
    struct rec buf[BATCH];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return 1;
        for (ssize_t i = 0; i < n / (ssize_t)sizeof(struct rec); i++)
            sink += buf[i].seq;
    }
}

static int drain_ring(struct recring *r)
{
    for (uint64_t pos = 0;; pos++) {
        const struct rec *rec;
        while (!(rec = recring_wait(r, pos, 100)))
            ;
        int stop = rec->idx == REC_STOP;
        sink += rec->seq;
        recring_release(r, pos);
        if (stop)
            return 0;
    }
}

struct sink_arg {
    const struct lim *l;
    const struct board *b;
    int fd;                     /* the pipe's read end (pipe mode) */
    unsigned i;
};

static int sink_main(void *arg)
{
    const struct sink_arg *a = arg;
    return a->l->pipe ? drain_pipe(a->fd) : drain_ring(a->b->ring[a->i]);
}

/* Start child i, the bare consumer (lib/child.h: it keeps only its read end). */
static pid_t child_start(const struct lim *l, const struct board *b, int fds[][2], unsigned i)
{
    struct sink_arg a = { .l = l, .b = b, .fd = l->pipe ? fds[i][0] : -1, .i = i };
    struct child_opts o = { .keep = &a.fd, .nkeep = l->pipe ? 1 : 0, .null_stdin = 1, .null_stdout = 1 };
    return child_spawn(&o, sink_main, &a);
}

static int route_all(const struct lim *l, struct stream *in, const struct board *b,
                     int fds[][2], struct router *rt, uint64_t *count)
{
    static struct rec batch[WORKERS_MAX][BATCH];
    size_t fill[WORKERS_MAX] = { 0 };
    struct msg m;
    int r;
    while ((r = stream_next(in, &m)) == 1) {
        unsigned w = route_pick(rt, m.key, m.key_len);
        struct rec rec = { .idx = 0, .op = m.op, .value = m.value, .seq = m.seq };
        (*count)++;
        if (!l->pipe) {
            while (recring_push(b->ring[w], &rec, 100) < 0)
                ;
            continue;
        }
        batch[w][fill[w]++] = rec;
        if (fill[w] == BATCH) {
            if (write(fds[w][1], batch[w], sizeof batch[w]) != (ssize_t)sizeof batch[w])
                return -1;
            fill[w] = 0;
        }
    }
    for (unsigned w = 0; w < l->workers; w++) {
        struct rec stop = { .idx = REC_STOP };
        if (!l->pipe)
            while (recring_push(b->ring[w], &stop, 100) < 0)
                ;
        else if (fill[w] && write(fds[w][1], batch[w], fill[w] * sizeof(struct rec)) < 0)
            return -1;
    }
    return r;
}

int main(int argc, char **argv)
{
    struct cli c;
    struct lim l = { .workers = 2 };
    cli_parse(&c, argc, argv, "phase4-limits: route the stream to N children that do nothing, "
              "through pipes or shared-memory rings", extras, 2, on_flag, &l);
    struct stream *in = cli_open_stream(&c);
    struct router *rt = router_new(ROUTE_MODULO, (unsigned)l.workers);
    static struct board b;
    static int fds[WORKERS_MAX][2];
    char err[256];
    if (!rt || board_map(&b, (unsigned)l.workers, 4096, 1, true, err, sizeof err) < 0) {
        fprintf(stderr, "%s: cannot set up: %s\n", c.prog, rt ? err : strerror(errno));
        return EXIT_FAILURE_RT;
    }
    uint64_t t0 = now_ns(), count = 0;
    for (unsigned i = 0; i < l.workers; i++) {
        if ((l.pipe && pipe(fds[i]) < 0) || child_start(&l, &b, fds, i) < 0) {
            fprintf(stderr, "%s: cannot start child %u: %s\n", c.prog, i, strerror(errno));
            return EXIT_FAILURE_RT;
        }
        if (l.pipe)
            close(fds[i][0]);
    }
    int r = route_all(&l, in, &b, fds, rt, &count);
    for (unsigned i = 0; l.pipe && i < l.workers; i++)
        close(fds[i][1]);
    int st, bad = r < 0;
    while (wait(&st) > 0)
        bad |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    double secs = (double)(now_ns() - t0) / 1e9;
    if (bad) {
        fprintf(stderr, "%s: routing failed: %s\n", c.prog, strerror(errno));
        return EXIT_FAILURE_RT;
    }
    if (!c.quiet)
        fprintf(stderr, "%s: %" PRIu64 " messages to %u children through %s in %.3f s = %.0f msgs/s\n",
                c.prog, count, (unsigned)l.workers, l.pipe ? "pipes" : "shared-memory rings",
                secs, (double)count / secs);
    if (c.csv) {
        struct rusage me, kids;
        getrusage(RUSAGE_SELF, &me);
        getrusage(RUSAGE_CHILDREN, &kids);
        double cpu = (double)(me.ru_utime.tv_sec + me.ru_stime.tv_sec + kids.ru_utime.tv_sec +
                              kids.ru_stime.tv_sec) +
                     (me.ru_utime.tv_usec + me.ru_stime.tv_usec + kids.ru_utime.tv_usec +
                      kids.ru_stime.tv_usec) / 1e6;
        csv_meta(stdout, argc, argv);
        printf("messages,seconds,msgs_per_s,mode,workers,cpu_s\n%" PRIu64 ",%.6f,%.1f,%s,%u,%.4f\n",
               count, secs, (double)count / secs, l.pipe ? "pipe" : "ring", (unsigned)l.workers, cpu);
    }
    board_unmap(&b);
    router_free(rt);
    uint64_t rejected = stream_rejected(in);   /* read before the stream is freed */
    stream_close(in);
    return cli_exit_status(rejected);
}
