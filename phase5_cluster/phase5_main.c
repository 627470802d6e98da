/* phase5_main.c: bin/phase5, the phase-3 pipeline on MPI (SPEC §7).
 *
 *   mpirun -np N+1 bin/phase5 ...   rank 0 reads, routes and answers queries;
 *                                   ranks 1..N own the keys and apply.
 *
 * This file reads the command line (on every rank: each one gets the same
 * argv from mpirun), starts MPI, hands each rank its part, and tells what was
 * measured: the narrated summary on stderr, the --csv row on stdout. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmsg.h"
#include "csv.h"
#include "dump.h"
#include "keeper.h"
#include "leader.h"
#include "param.h"

static const char summary[] =
    "The phase-3 pipeline over MPI: run it as `mpirun -np N+1 bin/phase5 ...` (N >= 1\n"
    "worker ranks). Rank 0 reads the stream, routes each message by key and sends\n"
    "batches under credits; ranks 1..N own the keys and apply them; at the end rank 0\n"
    "gathers every row and writes the dump. --control is served by rank 0.";

enum { OPT_ROUTE = CLI_EXTRA_BASE, OPT_DEPTH, OPT_PUMP, OPT_MAP };

static const struct cli_extra extras[] = {
    { "route", "POLICY", "modulo|consistent|map: which worker rank owns a key (default modulo)", OPT_ROUTE },
    { "queue-depth", "N", "messages in flight per worker rank before the input stalls (default 1024)", OPT_DEPTH },
    { "pump-batch", "N", "messages read from the input per loop turn (default 256)", OPT_PUMP },
    { "route-map", "FILE", "key,worker lines preloaded into --route map", OPT_MAP },
};

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t errlen)
{
    struct leader_opts *o = ctx;
    uint64_t u;
    switch (val) {
    case OPT_ROUTE:
        if (route_parse(arg, &o->route) < 0 || !route_keeps_order(o->route)) {
            snprintf(err, errlen, "policy '%s': phase 5 takes modulo, consistent or map "
                     "(roundrobin splits keys: see bin/phase3)", arg);
            return -1;
        }
        return 0;
    case OPT_DEPTH:
    case OPT_PUMP:
        if (cli_u64(arg, 1, 1u << 20, &u, err, errlen) < 0)
            return -1;
        *(val == OPT_DEPTH ? &o->depth : &o->pump_batch) = (unsigned)u;
        return 0;
    case OPT_MAP:
        o->route_map = arg;
        return 0;
    }
    return -1;
}

/* This process's rank as the launcher set it, before MPI_Init (Open MPI, then
 * PMIx and MPICH's names); 0 when run without one. */
static int launcher_rank(void)
{
    const char *names[] = { "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        if (v && *v)
            return atoi(v);
    }
    return 0;
}

/* Set while a worker rank parses its command line: see parse(). */
static volatile int parsing_quietly;

static void quiet_exit(void)
{
    if (parsing_quietly)
        _exit(EXIT_OK);
}

/* Every rank parses the same argv; only rank 0 may speak, so that a bad flag
 * prints one usage and not N+1. The other ranks also leave with status 0 when
 * cli_parse exits: mpirun aborts the job at the first rank that exits non-zero,
 * and that must be rank 0, once it has printed the reason (if rank 2 exited 2
 * first, rank 0 could be killed before it wrote a word). */
static void parse(struct cli *c, struct leader_opts *o, int argc, char **argv, int rank)
{
    int saved[2] = { -1, -1 };
    if (rank != 0) {
        parsing_quietly = 1;
        atexit(quiet_exit);
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        for (int fd = 1; fd <= 2 && null >= 0; fd++) {
            saved[fd - 1] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
            dup2(null, fd);
        }
        if (null >= 0)
            close(null);
    }
    cli_parse(c, argc, argv, summary, extras, sizeof extras / sizeof extras[0], on_flag, o);
    if (o->route_map && o->route != ROUTE_MAP)
        cli_usage_error(c, "--route-map needs --route map");
    parsing_quietly = 0;
    for (int fd = 1; fd <= 2; fd++) {
        if (saved[fd - 1] >= 0) {
            dup2(saved[fd - 1], fd);
            close(saved[fd - 1]);
        }
    }
}

static int worker_rank(MPI_Comm comm, int rank, const struct cli *c)
{
    /* mpirun ends a job with SIGTERM, then SIGKILL. A worker waits for the
     * SIGKILL, so that rank 0 can still tell which rank died first. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    char err[512];
    if (keeper_run(comm, c->work, err, sizeof err) < 0) {
        fprintf(stderr, "%s: rank %d: %s\n", c->prog, rank, err);
        MPI_Abort(comm, EXIT_FAILURE_RT);
    }
    return EXIT_OK;
}

static unsigned count_hosts(const struct cmsg_hello *h, int n)
{
    unsigned k = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(h[i].host, h[j].host) == 0;
        k += !seen;
    }
    return k;
}

static int write_csv(const struct cli *c, const struct leader_result *r, unsigned workers, unsigned hosts,
                     size_t keys, const struct leader_opts *o)
{
    double rate = r->seconds > 0 ? (double)r->messages_in / r->seconds : 0.0;
    return csv_meta(stdout, c->argc, c->argv) < 0 ||
           printf("messages,seconds,msgs_per_s,workers,ranks,hosts,keys,rejected,work,route,queue_depth,stalls,"
                  "queries,query_p50_us,query_p99_us\n"
                  "%" PRIu64 ",%.6f,%.0f,%u,%u,%u,%zu,%" PRIu64 ",%" PRIu32 ",%s,%u,%" PRIu64 ",%" PRIu64 ",%.1f,%.1f\n",
                  r->messages_in, r->seconds, rate, workers, workers + 1, hosts, keys, r->rejected, c->work,
                  route_name(o->route), o->depth, r->stalls, r->queries, r->p50_us, r->p99_us) < 0 ||
           fflush(stdout) != 0 ? -1 : 0;
}

static void narrate(const struct cli *c, const struct leader_result *r, unsigned workers,
                    const struct cmsg_hello *hellos, size_t keys, const struct leader_opts *o)
{
    char machine[256];
    double rate = r->seconds > 0 ? (double)r->messages_in / r->seconds : 0.0;
    fprintf(stderr,
            "%s: %u worker rank%s on %u host%s applied %" PRIu64 " messages to %zu key%s in %.3f s "
            "(%.2f M msgs/s, --work %" PRIu32 ", --route %s), %" PRIu64 " lines rejected; the input stalled %"
            PRIu64 " times (credit: %u messages per rank); %" PRIu64 " GETs answered (p50 %.1f us, p99 %.1f us); "
            "rank 0 on %s\n",
            c->prog, workers, workers == 1 ? "" : "s", count_hosts(hellos, (int)workers + 1),
            count_hosts(hellos, (int)workers + 1) == 1 ? "" : "s", r->messages_in, keys, keys == 1 ? "" : "s",
            r->seconds, rate / 1e6, c->work, route_name(o->route), r->rejected, r->stalls, o->depth,
            r->answered, r->p50_us, r->p99_us, csv_machine(machine, sizeof machine));
    for (unsigned w = 0; w < workers; w++) {
        const struct cmsg_report *p = &r->reports[w];
        fprintf(stderr, "%s:   rank %u (pid %" PRId64 " on %s): %" PRIu64 " messages, %" PRIu64 " keys, "
                "%" PRIu64 " batches, cpu %.3f s, applying %.3f s, waiting for rank 0 %.3f s\n",
                c->prog, w + 1, hellos[w + 1].pid, hellos[w + 1].host, p->messages, p->keys, p->batches,
                (double)p->cpu_ns / 1e9, (double)p->apply_ns / 1e9, (double)p->wait_ns / 1e9);
    }
}

static int leader_rank(MPI_Comm comm, unsigned workers, const struct leader_opts *o, struct stream *s,
                       const struct cmsg_hello *hellos)
{
    const struct cli *c = o->c;
    struct leader_result r;
    char err[512];
    if (leader_run(o, comm, workers, s, hellos + 1, &r, err, sizeof err) < 0) {
        fprintf(stderr, "%s: rank 0: %s\n", c->prog, err);
        MPI_Abort(comm, EXIT_FAILURE_RT);
    }
    int status = cli_exit_status(r.rejected);
    uint64_t applied = 0, keys = 0;
    for (unsigned w = 0; r.reports && w < workers; w++)
        applied += r.reports[w].messages, keys += r.reports[w].keys;
    size_t rows = registry_count(r.final);
    if (!r.reports || applied != r.messages_in || keys != rows) {
        fprintf(stderr, "%s: rank 0 read %" PRIu64 " messages but the worker ranks report %" PRIu64
                " applied to %" PRIu64 " keys (%zu distinct): the run lost or split data\n",
                c->prog, r.messages_in, applied, keys, rows);
        status = EXIT_FAILURE_RT;
    }
    if (c->dump_state && dump_to_path(c->dump_state, r.final, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", c->prog, err);
        status = EXIT_FAILURE_RT;
    }
    if (c->csv && write_csv(c, &r, workers, count_hosts(hellos, (int)workers + 1), rows, o) < 0) {
        fprintf(stderr, "%s: writing the CSV row to stdout: %s\n", c->prog, strerror(errno));
        status = EXIT_FAILURE_RT;
    }
    if (!c->quiet && r.reports)
        narrate(c, &r, workers, hellos, rows, o);
    registry_free(r.final);
    free(r.reports);
    return status;
}

/* Before any rank starts: rank 0 opens the input and checks the rank count;
 * every rank learns the verdict (MPI_Bcast) and who the others are
 * (MPI_Gather), so that a bad input stops the job with one line, not an abort. */
static int setup(MPI_Comm comm, int rank, int size, const struct cli *c, struct stream **s,
                 struct cmsg_hello *hellos)
{
    int verdict = EXIT_OK;
    if (rank == 0) {
        char err[512];
        if (size < 2 || size - 1 > WORKERS_MAX) {
            fprintf(stderr, "%s: %d rank%s: run it as `mpirun -np N+1 %s ...` with 1 <= N <= %d worker ranks "
                    "(rank 0 reads and routes, ranks 1..N apply)\n", c->prog, size, size == 1 ? "" : "s",
                    c->prog, WORKERS_MAX);
            verdict = EXIT_USAGE;
        } else if (!(*s = stream_open(&c->stream, err, sizeof err))) {
            fprintf(stderr, "%s: %s\n", c->prog, err);
            verdict = EXIT_FAILURE_RT;
        }
    }
    MPI_Bcast(&verdict, 1, MPI_INT, 0, comm);
    struct cmsg_hello me = { .pid = (int64_t)getpid() };
    gethostname(me.host, sizeof me.host - 1);
    MPI_Gather(&me, (int)sizeof me, MPI_BYTE, hellos, (int)sizeof me, MPI_BYTE, 0, comm);
    return verdict;
}

int main(int argc, char **argv)
{
    struct cli c;
    struct leader_opts o = { .c = &c, .route = ROUTE_MODULO, .depth = QUEUE_DEPTH, .pump_batch = INBOX_BATCH };
    int rank = launcher_rank();
    parse(&c, &o, argc, argv, rank);
    if (c.emit)                 /* nothing to distribute: rank 0 prints the stream */
        return rank == 0 ? cli_emit(&c) : EXIT_OK;

    int provided = 0, size = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "%s: MPI_Init_thread failed (is this run under mpirun?)\n", c.prog);
        return EXIT_FAILURE_RT;
    }
    MPI_Comm comm;
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    /* Errors on our communicator come back as return codes, so rank 0 can say
     * what failed before it calls MPI_Abort (the default would abort at once). */
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    if (provided < MPI_THREAD_FUNNELED && rank == 0)
        fprintf(stderr, "%s: warning: MPI gives thread level %d, below MPI_THREAD_FUNNELED; the input thread "
                "never calls MPI, which is all FUNNELED promises\n", c.prog, provided);

    struct stream *s = NULL;
    struct cmsg_hello *hellos = calloc((size_t)size, sizeof *hellos);
    if (!hellos) {
        fprintf(stderr, "%s: rank %d: no memory\n", c.prog, rank);
        MPI_Abort(comm, EXIT_FAILURE_RT);
    }
    int status = setup(comm, rank, size, &c, &s, hellos);
    if (status == EXIT_OK)
        status = rank == 0 ? leader_rank(comm, (unsigned)size - 1, &o, s, hellos) : worker_rank(comm, rank, &c);
    else
        stream_close(s);
    free(hellos);
    MPI_Comm_free(&comm);
    MPI_Finalize();
    return status;
}
