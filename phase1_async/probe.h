/* probe.h: a query client inside the program, to measure query latency as a
 * client sees it. A thread of its own connects to the control socket and sends
 * STATS every period; the time from its write to the answer's newline goes into
 * a histogram. It must be a separate thread: a probe on the loop itself could
 * only send between callbacks, exactly when the loop is free, and would never
 * see the wait that CPU work causes. The thread is the measuring instrument, not
 * part of the pipeline: it touches nothing but its own socket and histogram. */
#ifndef P1_PROBE_H
#define P1_PROBE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>

#include "hist.h"

struct probe {
    pthread_t thread;
    uint64_t period_ns;
    atomic_bool stop;           /* set by the owner, read by the probe */
    struct hist rtt;            /* round trips in ns: read only after probe_join */
    int fd;                     /* the probe thread's socket */
};

/* Start probing path every period_ms. Returns 0, or -1 with errno. */
int probe_start(struct probe *p, const char *path, uint64_t period_ms);

/* Ask the probe to stop, and wait for it (it also stops by itself when the
 * server closes the connection). */
void probe_join(struct probe *p);

#endif
