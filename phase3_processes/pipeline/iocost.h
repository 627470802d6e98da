/* iocost.h: what read() and write() cost, split into the copy and the call.
 *
 * A pipe or socket system call spends CPU on two things: a fixed cost per call
 * (entering the kernel, locking the socket, waking the peer, returning) and a
 * cost per byte (the kernel copying the bytes, and allocating buffers for
 * them). The channel times every call it makes (thread CPU time) and adds it
 * here with the bytes it moved, 0 for a call that found nothing (EAGAIN). A
 * least-squares line through those points, ns = fixed + per_byte * bytes,
 * splits the total without a second program or a model of the kernel: the
 * copy is per_byte times the bytes moved, the calls are the rest.
 *
 * Sums are kept as running means and co-moments (Welford), so that millions
 * of calls of 64 KiB do not cancel out in floating point, and two of them
 * (the supervisor's channels, the workers') merge exactly. */
#ifndef P3_IOCOST_H
#define P3_IOCOST_H

#include <stddef.h>
#include <stdint.h>

struct iocost {
    uint64_t calls;             /* timed calls, those that moved nothing included */
    uint64_t bytes;             /* bytes moved by them */
    uint64_t ns;                /* CPU time inside them */
    double mean_b, mean_t;      /* the running means of bytes and ns per call */
    double m2_b, c_bt;          /* sum of squared deviations of bytes; co-moment of bytes and ns */
};

/* One call that moved `bytes` (0 if none) in `ns` of CPU time. */
void iocost_add(struct iocost *c, size_t bytes, uint64_t ns);

/* into += from, as if every call of `from` had been added to `into`. */
void iocost_merge(struct iocost *into, const struct iocost *from);

/* The part of c->ns that grows with the bytes: the fitted per-byte cost times
 * the bytes moved, in ns. Returns it, or -1 when the calls cannot tell the
 * two apart: fewer than two, all of one size, or a fit that makes no physical
 * sense (a negative cost per byte or per call). */
double iocost_copy_ns(const struct iocost *c);

#endif
