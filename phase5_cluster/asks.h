/* asks.h: rank 0's GETs in flight to worker ranks. Each has a correlation id
 * that the worker's answer echoes, so answers may come in any order and at any
 * time; one that does not come within CTL_REPLY_TIMEOUT_MS is answered
 * "ERR timeout" (a late answer is then dropped). The latency of every answered
 * query (command in -> answer out) goes into a histogram. No MPI here. */
#ifndef KIT_ASKS_H
#define KIT_ASKS_H

#include <stdint.h>

#include "ctl.h"
#include "hist.h"
#include "param.h"

#define ASKS_MAX CTL_CONN_MAX   /* one command in flight per connection at most */

struct ask {
    uint64_t id;
    struct ctl_query *q;
    int worker;                 /* 0-based worker index */
    uint64_t t0_ns;             /* when the command came in */
};

struct asks {
    struct ask a[ASKS_MAX];
    unsigned n;
    uint64_t next_id;
    uint64_t timeouts;          /* answered "ERR timeout" */
    struct hist lat_ns;         /* command in -> answer out, every answered query */
};

void asks_init(struct asks *as);

/* Remember q, asked of `worker` at t0_ns. Returns its id (> 0), or 0 when
 * ASKS_MAX are in flight (the caller answers an error itself). */
uint64_t asks_add(struct asks *as, struct ctl_query *q, int worker, uint64_t t0_ns);

/* Answer the query with this id with text and forget it. Returns 0, or -1 if
 * no such id is in flight (answered already, or timed out). */
int asks_answer(struct asks *as, uint64_t id, const char *text);

/* Record the latency of a query answered at once (not through the table). */
void asks_note(struct asks *as, uint64_t t0_ns);

/* Answer "ERR timeout" to every query older than timeout_ns at now_ns. */
void asks_expire(struct asks *as, uint64_t now_ns, uint64_t timeout_ns);

/* Queries in flight to `worker` (-1: to any). */
unsigned asks_pending(const struct asks *as, int worker);

#endif
