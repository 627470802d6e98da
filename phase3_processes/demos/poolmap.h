/* poolmap.h: Python's Pool.map in C: a fork pool that maps a function over an
 * array of integers in chunks. The parent sends chunk k (a frame of int64s) to
 * whichever worker asked for work, the worker sends back the mapped chunk, and
 * the parent puts it at its place, so the output is in input order.
 * And poolmap_ranges: the same pool over byte ranges of a buffer the workers
 * already share, for when getting the input ready is itself the big cost. */
#ifndef KIT_POOLMAP_H
#define KIT_POOLMAP_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t (*poolmap_fn)(int64_t);

/* out[i] = fn(in[i]) for i < n, on `workers` forked processes (0 = in this
 * process, sequentially), chunk elements per message. Returns 0, or -1 with a
 * reason in err ("fork() failed spawning worker 1: ..."). */
int poolmap_run(poolmap_fn fn, const int64_t *in, int64_t *out, size_t n, unsigned workers,
                size_t chunk, char *err, size_t errlen);

#define POOLMAP_RESULT_MAX 512      /* largest result of a range function, bytes (< PIPE_BUF) */

/* A function of one byte range [begin, end) of a read-only buffer data[0, len)
 * that writes its result (result_size bytes) to result. Returns 0, or -1. */
typedef int (*poolmap_range_fn)(const char *data, size_t len, size_t begin, size_t end,
                                void *result);

/* The map without the scatter: cut data[0, len) into `workers` equal byte
 * ranges and run fn on range w in forked worker w. The workers inherit data
 * (a mapped file, say): nothing goes to them, and only result_size bytes
 * (<= POOLMAP_RESULT_MAX) come back from each. workers 0 = fn once over the
 * whole buffer in this process (the sequential reference, same function).
 * results has room for max(workers, 1) results, filled in range order.
 * Returns 0, or -1 with a reason in err. */
int poolmap_ranges(poolmap_range_fn fn, const char *data, size_t len, unsigned workers,
                   void *results, size_t result_size, char *err, size_t errlen);

#endif
