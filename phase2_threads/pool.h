/* pool.h: phase 2's thread pool. The caller's thread is the dispatcher: it reads
 * the stream and feeds N worker threads through bounded job queues, either one
 * queue per thread (a key always goes to the same thread, route.h modulo, so its
 * order is kept) or one queue shared by all (any thread takes any message, so a
 * key's messages can be applied out of order: counted as order breaks). */
#ifndef P2_POOL_H
#define P2_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "jobq.h"
#include "store.h"
#include "stream.h"
#include "tlock.h"

struct worker {
    pthread_t thread;
    unsigned id;
    struct pool *pool;
    struct jobq *q;             /* its own queue, or the shared one */
    struct lockstat locks;      /* this worker's lock figures (single writer) */
    _Atomic uint64_t processed; /* single writer: this worker */
    _Atomic uint64_t order_breaks;      /* single writer: struct orderbreaks, messages */
    _Atomic uint64_t order_broken_keys; /* single writer: struct orderbreaks, keys */
    /* Written by the worker just before it exits, read after pthread_join. */
    uint64_t run_ns;            /* wall time from start to exit */
    uint64_t idle_ns;           /* time blocked on an empty queue (waiting for work) */
    struct rusage ru;           /* RUSAGE_THREAD at exit: context switches */
    int error;                  /* errno of a failed apply (ENOMEM), else 0 */
    uint64_t sink;              /* folds --work results */
};

struct pool {
    struct store *store;
    uint32_t work;
    unsigned nthreads;
    bool shared;                /* one queue for all */
    struct jobq *queues;        /* nthreads queues, or 1 when shared */
    struct worker *workers;
    struct router *router;      /* dispatcher only: key -> thread */
    _Atomic uint64_t messages_in;   /* single writer: the dispatcher */
    _Atomic uint64_t rejected;      /* single writer: the dispatcher (copy of the stream's) */
    atomic_uint alive;              /* workers running */
    atomic_bool stop_input;         /* SHUTDOWN or a signal: stop reading, drain */
    uint64_t t_start, t_end;        /* the dispatcher's, read after the run */
    int read_errno;                 /* the dispatcher's: a failed read */
};

/* Start nthreads workers over store. Returns 0, or -1 with errno (the pool is
 * then empty and needs no pool_destroy). */
int pool_start(struct pool *p, struct store *store, unsigned nthreads, bool shared,
               uint32_t work);

/* The dispatcher: feed every message of in to the workers, then one sentinel
 * per worker, and join them. Returns 0, or -1 if reading or a worker failed. */
int pool_run(struct pool *p, struct stream *in);

/* Sums over the workers (live, from any thread). */
uint64_t pool_processed(struct pool *p);
uint64_t pool_contended(struct pool *p);
uint64_t pool_order_breaks(struct pool *p);
uint64_t pool_order_broken_keys(struct pool *p);

void pool_destroy(struct pool *p);

#endif
