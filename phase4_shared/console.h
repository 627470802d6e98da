/* console.h: phase 4's control socket, on a thread of its own with its own libuv
 * loop (lib/ctlloop.h: the main thread is busy dispatching). GET is answered here, from the
 * shared state table: a seqlocked read of the key's row, no message to any
 * worker, no lock a worker takes. STATS reads the shared counters. SHUTDOWN,
 * SIGINT and SIGTERM stop the input (the flag, then stream_interrupt for a read
 * waiting on a silent writer); the feeder drains what it has. */
#ifndef P4_CONSOLE_H
#define P4_CONSOLE_H

#include "ctlloop.h"
#include "feeder.h"
#include "hist.h"

struct console {
    struct ctlloop ctl;         /* the thread, its loop, the socket, the signals (lib/ctlloop.h) */
    struct feeder *feeder;
    struct hist service;        /* ns from a command reaching the handler to its answer ready (before the write); read after join */
    struct hist read;           /* ns of a GET's lookup and seqlocked row read alone (no formatting) */
    uint64_t gets, busy;        /* GETs answered, and how many found a torn row every try */
};

/* Open the socket (path may be NULL; flags 0 or CTLSRV_PRIVATE) and start the
 * thread. Returns 0, or -1 with a one-line reason in err. */
int console_start(struct console *c, struct feeder *f, const char *path, unsigned flags,
                  char *err, size_t errlen);

/* Close the socket, end the loop and join the thread. */
void console_stop(struct console *c);

#endif
