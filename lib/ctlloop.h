/* ctlloop.h: the control socket (ctl.h) on a thread of its own, with its own
 * libuv loop, for a program whose main thread is busy (a dispatcher that never
 * returns to a loop). The same loop turns SIGINT and SIGTERM into a call of the
 * program's stop callback, so that a signal stops a run as SHUTDOWN does.
 *
 * Everything the handler and the stop callback do runs on the control thread:
 * what they read of the program must be atomics or under the program's locks. */
#ifndef KIT_CTLLOOP_H
#define KIT_CTLLOOP_H

#include <pthread.h>
#include <uv.h>

#include "ctl.h"

/* Called on the control thread for SIGINT and SIGTERM. */
typedef void (*ctlloop_stop_fn)(void *data);

struct ctlloop {
    pthread_t thread;
    uv_loop_t loop;             /* the control thread's alone once it runs */
    uv_async_t quit;            /* uv_async_send from ctlloop_stop ends the loop */
    uv_signal_t sigint, sigterm;
    struct ctlsrv *srv;         /* NULL without a path */
    ctlloop_stop_fn on_stop;
    void *data;
};

/* Open the socket at path (NULL: no socket, signals only; flags: 0 or
 * CTLSRV_PRIVATE) answering with fn(q, req, data), and start the thread.
 * Returns 0, or -1 with a one-line reason in err. */
int ctlloop_start(struct ctlloop *c, const char *path, unsigned flags, ctl_handler fn,
                  ctlloop_stop_fn on_stop, void *data, char *err, size_t errlen);

/* Queries seen by the socket so far (0 without one). From the control thread. */
unsigned long ctlloop_queries(const struct ctlloop *c);

/* Close the socket, end the loop and join the thread. From the starting thread. */
void ctlloop_stop(struct ctlloop *c);

#endif
