/* pipeline.h: phase 1's whole pipeline on one libuv loop: source -> bounded
 * in-loop queue -> router -> in-process state machines, with the control socket,
 * the heartbeat and (with --offload threads) libuv's thread pool beside it.
 *
 * The loop thread does everything in callbacks, and a callback runs to its end:
 * so messages are processed in bounded slices (at most SLICE_MAX messages or
 * SLICE_BUDGET_NS of time, whichever ends first) from an idle handle, and between
 * two slices the loop polls its sockets and runs its timers. That is how a query
 * is "answered between messages". A slice is only as short as its longest
 * message, though: one message's CPU work cannot be cut.
 *
 * Input. --input (a file, or "-": a pipe whose writer may be slow) is read by
 * a thread of its own (lib/inbox.h) that parses lines into batches; the loop
 * takes messages from them without ever waiting, and when none is there it
 * sleeps until the thread wakes it. A read() that waits for the writer's next
 * line would otherwise stop every timer and query with it. The built-in
 * source is pulled on the loop thread directly: it only computes, it never
 * waits for anyone (pipeline.c says more). */
#ifndef P1_PIPELINE_H
#define P1_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "heartbeat.h"
#include "hist.h"
#include "inbox.h"
#include "msgring.h"
#include "offload.h"
#include "registry.h"
#include "stream.h"

#define SLICE_MAX        64             /* most messages per loop iteration */
#define SLICE_BUDGET_NS  1000000u       /* a slice yields after 1 ms, between messages */
#define PACE_TICK_MS     1              /* the --rate timer's period */
#define HEARTBEAT_MS     1              /* default --heartbeat-ms: shorter than the stalls it must see */

struct pipeline_opts {
    struct stream *in;          /* borrowed; read on the loop thread, or by the inbox's */
    bool threaded_input;        /* --input: read `in` on a thread of its own (lib/inbox.h) */
    uint32_t work;              /* --work units per DATA message */
    uint64_t rate;              /* --rate messages/s, 0 = as fast as possible */
    bool offload;               /* --offload threads */
    uint64_t heartbeat_ms;      /* heartbeat period */
    const char *control;        /* --control PATH or NULL */
    bool control_private;       /* --control-private: PATH's directory is ours, 0700 (CTLSRV_PRIVATE) */
};

struct pipeline {
    uv_loop_t loop;
    struct pipeline_opts o;
    struct registry *reg;       /* touched by the loop thread only, offload or not */
    struct msgring ring;        /* the in-loop queue */
    struct offload *off;        /* NULL without --offload threads */
    uv_idle_t pump;             /* runs a slice per loop iteration while there is work */
    uv_timer_t pacer;           /* --rate: tops the ring up every PACE_TICK_MS */
    uv_signal_t sigint, sigterm;
    struct heartbeat hb;
    struct ctlsrv *ctl;
    struct inbox *inbox;        /* with threaded_input, from pipeline_run to finish */
    bool input_wait;            /* the inbox had nothing: the pump sleeps until it calls */
    bool source_done;           /* the stream ended, failed, or SHUTDOWN stopped it */
    bool blocked;               /* the offloader is full: wait for an applied message */
    bool in_pump;
    bool finished;
    int read_errno;             /* errno of a failed read, 0 otherwise */
    int fatal_errno;            /* ENOMEM in the registry, 0 otherwise */
    uint64_t t_start, t_end;    /* now_ns() around the run */
    uint64_t produced;          /* messages taken from the stream */
    uint64_t processed;         /* messages applied to their state */
    uint64_t stalls;            /* pacer ticks that found the ring full */
    uint64_t slices;
    struct hist service;        /* ns from a query's handler call to its answer */
    uint64_t sink;              /* folds the --work results so they are not optimised out */
};

/* Set up the loop, the registry, the ring and (with o->control) the socket.
 * Returns 0, or -1 with a one-line reason in err. */
int pipeline_init(struct pipeline *p, const struct pipeline_opts *o, char *err, size_t errlen);

/* Run until the stream is drained (or SHUTDOWN / SIGINT / SIGTERM, then drain).
 * Returns 0, or -1 if the run failed (p->read_errno or p->fatal_errno says why). */
int pipeline_run(struct pipeline *p);

/* Input lines rejected so far (loop thread, or any thread once the run ended). */
uint64_t pipeline_rejected(const struct pipeline *p);

/* Release everything but the registry's contents' readers: call after the dump. */
void pipeline_destroy(struct pipeline *p);

#endif
