/* leader.h: rank 0. It reads the stream, routes each message to the worker
 * rank that owns its key (lib/route.h), sends batches under credits
 * (outbox.h), answers the control socket (GET asked of the owner rank, STATS,
 * SHUTDOWN) and, at the end, gathers every worker's rows into one registry
 * for the dump. */
#ifndef KIT_LEADER_H
#define KIT_LEADER_H

#include <mpi.h>
#include <stdint.h>

#include "cli.h"
#include "cmsg.h"
#include "registry.h"
#include "route.h"
#include "stream.h"

struct leader_opts {
    const struct cli *c;
    enum route route;
    const char *route_map;      /* --route-map FILE, or NULL */
    unsigned depth;             /* --queue-depth */
    unsigned pump_batch;        /* --pump-batch */
};

/* What rank 0 measured, for the summary and the CSV row. */
struct leader_result {
    uint64_t messages_in;       /* valid messages read */
    uint64_t rejected;          /* malformed lines */
    uint64_t processed;         /* applied by the workers */
    uint64_t stalls;            /* times the input waited for a worker's credit */
    uint64_t queries;           /* control lines received */
    uint64_t answered;          /* GETs answered (latency measured) */
    uint64_t timeouts;
    double p50_us, p99_us;      /* GET latency, command in -> answer out */
    double seconds;             /* first message read -> every worker's rows in */
    struct registry *final;     /* every worker's rows (the caller frees it) */
    struct cmsg_report *reports;    /* one per worker (malloc'd; the caller frees it) */
};

/* Run rank 0 over comm (ranks 1..workers are the workers) on stream s (which
 * it closes). hellos[w] names worker w (rank w+1). Returns 0 with *res filled,
 * or -1 with a reason in err (then the caller aborts the job: MPI_Abort). On
 * SIGTERM or SIGINT (mpirun tearing the job down: a rank died, or the user
 * pressed Ctrl-C) it prints what was applied per rank and exits 1 at once. */
int leader_run(const struct leader_opts *o, MPI_Comm comm, unsigned workers, struct stream *s,
               const struct cmsg_hello *hellos, struct leader_result *res, char *err, size_t errlen);

#endif
