/* timing.h: monotonic time, the only clock the kit measures with. */
#ifndef KIT_TIMING_H
#define KIT_TIMING_H

#include <stddef.h>
#include <stdint.h>

/* Nanoseconds from CLOCK_MONOTONIC. */
uint64_t now_ns(void);

/* CPU time consumed by this process (user + system), in ns. */
uint64_t cpu_ns(void);

/* CPU time of the calling thread, in ns. */
uint64_t thread_cpu_ns(void);

/* The median of v[0, n) (n > 0), sorting v in place: the kit reports the
 * median of repeated timings. */
double timing_median(double *v, size_t n);

#endif
