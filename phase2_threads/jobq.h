/* jobq.h: a bounded job queue between the dispatcher and the worker threads:
 * one mutex, two condition variables, waits in while(predicate) loops. Bounded
 * on purpose: when the workers fall behind, the dispatcher blocks in jobq_push
 * instead of growing memory (back-pressure). A pool stops on sentinel jobs. */
#ifndef P2_JOBQ_H
#define P2_JOBQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define JOBQ_BATCH 32           /* most jobs a worker takes per lock acquisition */

struct job {
    struct msg m;               /* the message (payload dropped: nothing reads it) */
    bool stop;                  /* the sentinel: the worker that takes it exits */
};

struct jobq {
    pthread_mutex_t mu;
    pthread_cond_t not_empty;   /* consumers wait here while len == 0 (with mu) */
    pthread_cond_t not_full;    /* the producer waits here while len == cap (with mu) */
    struct job *slot;           /* guarded by mu; cap slots */
    size_t cap;                 /* fixed at init */
    size_t head;                /* guarded by mu: oldest job */
    size_t len;                 /* guarded by mu: jobs held */
    uint64_t full_waits;        /* guarded by mu: pushes that found the queue full */
};

/* A queue of cap (>= 1) jobs. Returns 0, or -1 with errno. */
int jobq_init(struct jobq *q, size_t cap);

/* Append a copy of *j, blocking while the queue is full. */
void jobq_push(struct jobq *q, const struct job *j);

/* Take up to max jobs (oldest first) into out, blocking while the queue is
 * empty (the ns spent blocked are added to *idle_ns); a batch ends after the
 * first sentinel, so that every sentinel pushed reaches a different worker.
 * Returns the number taken (>= 1). */
size_t jobq_pop(struct jobq *q, struct job *out, size_t max, uint64_t *idle_ns);

/* Pushes so far that had to wait for room (takes the lock). */
uint64_t jobq_full_waits(struct jobq *q);

void jobq_destroy(struct jobq *q);

#endif
