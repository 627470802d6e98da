/* ctlthread.h: phase 2's control thread. The workers are busy and the main
 * thread is the dispatcher, so the control socket gets a thread of its own with
 * its own libuv loop: GET takes the lock that guards the key (so it may wait for
 * a worker, but never for the stream), STATS reads atomics only. The same loop
 * turns SIGINT/SIGTERM into a graceful stop.
 *
 * Stopping a dispatcher that waits for input. SHUTDOWN (or a signal) sets the
 * pool's stop_input, which the dispatcher checks between messages; but while
 * the writer of `--input -` is silent, the dispatcher sits inside
 * stream_next's read and checks nothing. A flag cannot wake a blocked read()
 * (closing its fd from another thread does not either), so the stream is made
 * interruptible (lib/stream.h: it is read through poll() on the input and a
 * wake pipe) and the control thread calls stream_interrupt() after setting
 * the flag: the read returns ECANCELED at once, the dispatcher sees the flag,
 * and the pool drains what it had. */
#ifndef P2_CTLTHREAD_H
#define P2_CTLTHREAD_H

#include <pthread.h>
#include <stdint.h>
#include <uv.h>

#include "ctlloop.h"
#include "hist.h"
#include "pool.h"
#include "stream.h"
#include "tlock.h"

struct ctlthread {
    struct ctlloop cl;          /* the thread, its loop, the socket (NULL without --control), signals */
    struct pool *pool;          /* read through its atomics */
    struct stream *in;          /* the dispatcher's stream: only stream_interrupt() is called on it */
    struct lockstat locks;      /* the control thread's own lock figures (GET) */
    struct hist service;        /* ns from a command line to its answer; read after join */
};

/* Open the socket (path may be NULL; flags: 0 or CTLSRV_PRIVATE, ctl.h) and
 * start the thread; SHUTDOWN, SIGINT and SIGTERM set pool->stop_input and
 * interrupt in (made interruptible by the caller, stream_make_interruptible).
 * Returns 0, or -1 with a one-line reason in err. */
int ctlthread_start(struct ctlthread *c, struct pool *pool, struct stream *in, const char *path,
                    unsigned flags, char *err, size_t errlen);

/* Close the socket, end the loop and join the thread. */
void ctlthread_stop(struct ctlthread *c);

#endif
