/* batchpool.h: Lecture 36's ProcessPoolExecutor, in C: stateless worker
 * processes that take a batch of sensor records (a frame holding msgpack),
 * run process_record_batch and send the results back (another frame). The
 * parent side lives on a libuv loop, so sending batches and receiving results
 * never blocks the loop that ingests the records.
 *
 * Workers are forked BEFORE the loop exists (batchpool_spawn), so a child never
 * inherits a libuv loop; batchpool_attach then wraps the parent's pipe ends in
 * uv_pipe_t handles. */
#ifndef KIT_BATCHPOOL_H
#define KIT_BATCHPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "batchrec.h"

struct batchpool;

/* Called on the loop for each batch's results (r valid during the call). */
typedef void (*batchpool_result_fn)(void *ctx, uint64_t index, const struct record_result *r, size_t n);
/* Called on the loop when the pool cannot go on (a worker died, a bad frame). */
typedef void (*batchpool_fail_fn)(void *ctx, const char *why);

/* Fork `workers` workers for batches of at most max_batch records. Returns the
 * pool, or NULL with a reason in err ("fork() failed spawning worker 2: ..."). */
struct batchpool *batchpool_spawn(unsigned workers, size_t max_batch, char *err, size_t errlen);

/* Put the pool on a loop. Returns 0, or -1 with a reason in err. */
int batchpool_attach(struct batchpool *p, uv_loop_t *loop, batchpool_result_fn fn,
                     batchpool_fail_fn fail, void *ctx, char *err, size_t errlen);

/* The worker with the fewest batches in flight if that is below max_inflight,
 * else -1. */
int batchpool_idle(const struct batchpool *p, unsigned max_inflight);

/* Encode a batch and queue it to worker w (asynchronously). 0, or -1 ENOMEM. */
int batchpool_send(struct batchpool *p, int w, uint64_t index, const struct sensor_record *r, size_t n);

unsigned batchpool_workers(const struct batchpool *p);
uint64_t batchpool_ipc_bytes(const struct batchpool *p);    /* frame bytes sent + received */

/* Close the handles (the workers see EOF and leave). Run the loop until it
 * ends, then call batchpool_free. */
void batchpool_close(struct batchpool *p);

/* Reap the workers (waiting for them) and free the pool. Returns how many did
 * not exit cleanly. */
int batchpool_free(struct batchpool *p);

#endif
