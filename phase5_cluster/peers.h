/* peers.h: rank 0's MPI side, one entry per worker rank: its outbox
 * (batches under credits), what it reported, its rows gathered at the end,
 * and the END and BYE that close its run. peers_poll takes whatever the
 * workers sent (acks, answers, reports, rows) without blocking. */
#ifndef KIT_PEERS_H
#define KIT_PEERS_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>

#include "asks.h"
#include "cmsg.h"
#include "outbox.h"
#include "registry.h"

struct peer {                   /* one worker rank, rank 0's view */
    struct outbox ob;
    struct cmsg_report rep;
    bool reported, rows_in;     /* its report / its rows have arrived */
    bool end_sent, bye_sent;
    MPI_Request end_req, bye_req;
};

#define PEERS_GETS (2 * ASKS_MAX)   /* GET sends in flight: an answer may beat its send's MPI_Test */

struct peer_get {               /* one GET on its way: the buffer lives until the send completes */
    MPI_Request req;            /* MPI_REQUEST_NULL when the slot is free */
    struct cmsg_get g;
};

struct peers {
    MPI_Comm comm;
    unsigned n;                 /* worker ranks: peer w is rank w+1 */
    struct peer *p;
    struct asks *asks;          /* answers are matched here */
    struct registry *final;     /* the gathered rows */
    struct buf in;              /* receive buffer */
    struct peer_get gets[PEERS_GETS];
};

/* Set up n peers with `depth` messages of credit each. Returns 0, or -1 with
 * errno ENOMEM. */
int peers_init(struct peers *ps, MPI_Comm comm, unsigned n, unsigned depth, struct asks *asks);

/* Send GET key (correlation id) to worker w, without blocking. Returns 0, -1
 * with errno EBUSY when PEERS_GETS sends are still in flight, or -1 with
 * errno EIO and a reason in err. */
int peers_ask(struct peers *ps, unsigned w, uint64_t id, const char *key, char *err, size_t errlen);

/* Retire completed sends and take every message waiting. Returns 1 if
 * something arrived, 0 if not, -1 with a reason in err. */
int peers_poll(struct peers *ps, char *err, size_t errlen);

/* Move the end along: once `ending`, a peer whose batches are all out gets
 * CMSG_END; a peer whose rows are in and that owes no answer gets CMSG_BYE.
 * Returns 1 once every BYE has gone, 0 if not yet, -1 with a reason in err. */
int peers_end(struct peers *ps, bool ending, char *err, size_t errlen);

/* Messages applied by all workers, per their acks. */
uint64_t peers_applied(const struct peers *ps);

/* Messages routed and not yet applied, over all workers. */
uint64_t peers_in_flight(const struct peers *ps);

/* True while any batch is unsent, unacked or incomplete. */
bool peers_busy(const struct peers *ps);

/* Free everything but ps->final (the caller's). */
void peers_free(struct peers *ps);

#endif
