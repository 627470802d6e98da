/* feeder.h: the supervisor's side of the board. The feeder reads the stream,
 * gives each new key a row (created IDLE in the state table), routes the message
 * by key to a worker and appends a 24-byte record to that worker's ring; at the
 * end it appends an end-of-stream record to every ring and waits for the crew.
 * It also answers what the control thread asks: a key's row (read under the
 * row's seqlock, no worker involved) and the shared counters.
 *
 * Threads: feeder_run runs on the main thread and is the only writer of keys,
 * pushed[] and the rings' heads. keys_lock guards keys against the control
 * thread's lookups: the main thread takes it to add a key (its own lookups need
 * no lock: nobody else writes). Everything else the control thread reads is an
 * atomic or lives in the shared segment. */
#ifndef P4_FEEDER_H
#define P4_FEEDER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "board.h"
#include "crew.h"
#include "keyidx.h"
#include "route.h"
#include "stream.h"

#define ENCODE_SAMPLE 64        /* time one message's dispatch in this many */

struct feeder {
    struct board *board;
    struct crew *crew;
    struct router *router;
    struct stream *in;
    struct keyidx *keys;
    uint16_t *owner;            /* row index -> its worker, picked once per key (the main thread's) */
    pthread_mutex_t keys_lock;  /* guards keys against the control thread (above) */
    atomic_bool stop_input;     /* SHUTDOWN or a signal: stop reading, drain */
    _Atomic uint64_t messages_in;   /* valid messages dispatched */
    _Atomic uint64_t rejected;      /* the stream's rejected lines so far */
    _Atomic uint64_t pushed[WORKERS_MAX];   /* data records appended to ring i */
    uint64_t encode_ns, encode_samples;     /* sampled: row lookup, route, record, push */
    uint64_t full_waits;        /* pushes that found a ring full past the spin */
    char why[256];              /* feeder_run's reason on failure */
};

/* Set up over a mapped board and a started crew. Returns 0, or -1 with ENOMEM. */
int feeder_init(struct feeder *f, struct board *b, struct crew *c, struct router *r,
                struct stream *in);

/* Dispatch the whole stream (or until stop_input), then end every ring and wait
 * for every worker to finish. Returns 0, or -1 with a reason in f->why (a read
 * error, too many keys, a worker that keeps crashing). */
int feeder_run(struct feeder *f);

/* From the control thread: a consistent copy of key's row. Returns 0, or -1 with
 * ENOENT (no message of the key applied yet) or EAGAIN (a write under way on
 * every try: its writer died mid-update and is being replaced). */
int feeder_get(struct feeder *f, const char *key, size_t len, struct rowdata *d);

/* Messages applied by the workers: each ring's consumed position, end records
 * excluded. Exact after a kill: the position moves once per record. */
uint64_t feeder_processed(const struct feeder *f);

/* Keys seen (rows created). */
uint64_t feeder_keys(struct feeder *f);

/* After feeder_run: write the dump (SPEC §3) of every row to path ("-" = stdout).
 * Returns 0, or -1 with a reason in err. */
int feeder_dump(struct feeder *f, const char *path, char *err, size_t errlen);

void feeder_free(struct feeder *f);

#endif
