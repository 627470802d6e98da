/* poolmap.h: Python's Pool.map in C: a fork pool that maps a function over an
 * array of integers in chunks. The parent sends chunk k (a frame of int64s) to
 * whichever worker asked for work, the worker sends back the mapped chunk, and
 * the parent puts it at its place, so the output is in input order. */
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

#endif
