/* batchpool.h: Lecture 36's ProcessPoolExecutor, in C: stateless worker
 * processes that take a batch of sensor records (a frame holding msgpack),
 * run process_record_batch and send the results back (another frame). The
 * parent side lives on a libuv loop, so sending batches and receiving results
 * never blocks the loop that ingests the records.
 *
 * The first workers are forked BEFORE the loop exists (batchpool_spawn);
 * batchpool_attach then wraps the parent's pipe ends in uv_pipe_t handles. A
 * successor forked later inherits the loop's memory but none of its fds
 * (lib/child.h closes them) and never touches it. */
#ifndef KIT_BATCHPOOL_H
#define KIT_BATCHPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "batchrec.h"

#define BATCHPOOL_RESPAWN_MAX 3 /* deaths of one slot in a row, no answer between, before giving up */

struct batchpool;

/* Called on the loop for each batch's results (r valid during the call). */
typedef void (*batchpool_result_fn)(void *ctx, uint64_t index, const struct record_result *r, size_t n);
/* Called on the loop when the pool cannot go on (a worker died again and again,
 * a bad frame); why lives until batchpool_free. */
typedef void (*batchpool_fail_fn)(void *ctx, const char *why);
/* Called on the loop with a one-line note (a worker died and was respawned). */
typedef void (*batchpool_note_fn)(void *ctx, const char *line);

struct batchpool_opts {
    unsigned workers;           /* 1..WORKERS_MAX */
    size_t max_batch;           /* most records in one batch */
    uint32_t work;              /* units of lib/fsm.h's CPU work per record (batch_work) */
    uint64_t kill_after;        /* test hook: worker 0 SIGKILLs itself on its N-th batch (0 = never) */
};

/* Fork o->workers workers. Returns the pool, or NULL with a reason in err
 * ("fork() failed spawning worker 2: ..."). */
struct batchpool *batchpool_spawn(const struct batchpool_opts *o, char *err, size_t errlen);

/* Put the pool on a loop. A worker that dies is reaped and respawned in its
 * slot, and every batch it had not answered is sent to its successor (note is
 * told; fail only when a slot dies BATCHPOOL_RESPAWN_MAX + 1 times in a row without an
 * answer). Returns 0, or -1 with a reason in err. */
int batchpool_attach(struct batchpool *p, uv_loop_t *loop, batchpool_result_fn fn, batchpool_fail_fn fail,
                     batchpool_note_fn note, void *ctx, char *err, size_t errlen);

/* The worker with the fewest batches in flight if that is below max_inflight,
 * else -1. */
int batchpool_idle(const struct batchpool *p, unsigned max_inflight);

/* Encode a batch and queue it to worker w (asynchronously). 0, or -1 ENOMEM. */
int batchpool_send(struct batchpool *p, int w, uint64_t index, const struct sensor_record *r, size_t n);

unsigned batchpool_workers(const struct batchpool *p);
unsigned batchpool_respawns(const struct batchpool *p);     /* workers respawned after a death */
uint64_t batchpool_resent(const struct batchpool *p);       /* batches sent again to a successor */
uint64_t batchpool_ipc_bytes(const struct batchpool *p);    /* frame bytes sent + received */

/* Close the handles (the workers see EOF and leave). Run the loop until it
 * ends, then call batchpool_free. */
void batchpool_close(struct batchpool *p);

/* Reap the workers (waiting for them) and free the pool. Returns how many did
 * not exit cleanly. */
int batchpool_free(struct batchpool *p);

#endif
