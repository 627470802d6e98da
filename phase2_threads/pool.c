/* pool.c: the dispatcher and the worker threads (pool.h).
 *
 * Lock order: a worker holds its queue's mutex only inside jobq_pop, and a store
 * lock only inside store_apply; never both. The dispatcher holds one queue mutex
 * at a time (jobq_push). See store.c for the store's own locks. */
#include "pool.h"

#include <stddef.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "timing.h"

/* The worker loop. Invariant: no lock is held at the top of the loop; the
 * thread blocks only in jobq_pop (queue empty) or in a contended store lock. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct pool *p = w->pool;
    struct job batch[JOBQ_BATCH];
    uint64_t t0 = now_ns();
    struct orderbreaks ob = { 0 };

    for (;;) {
        size_t n = jobq_pop(w->q, batch, JOBQ_BATCH, &w->idle_ns);
        for (size_t i = 0; i < n; i++) {
            if (batch[i].stop)
                goto out;
            if (store_apply(p->store, &batch[i].m, w->id, p->work, &w->locks, &ob,
                            &w->sink) < 0 && !w->error)
                w->error = errno;
            stat_add(&w->processed, 1);
            atomic_store_explicit(&w->order_breaks, ob.messages, memory_order_relaxed);
            atomic_store_explicit(&w->order_broken_keys, ob.keys, memory_order_relaxed);
        }
    }
out:
    w->run_ns = now_ns() - t0;
    getrusage(RUSAGE_THREAD, &w->ru);
    atomic_fetch_sub(&p->alive, 1);
    return NULL;
}

int pool_start(struct pool *p, struct store *store, unsigned nthreads, bool shared,
               uint32_t work)
{
    unsigned nq = shared ? 1 : nthreads, started = 0, inited = 0;
    int rc = ENOMEM;

    memset(p, 0, sizeof *p);
    p->store = store;
    p->work = work;
    p->nthreads = nthreads;
    p->shared = shared;
    atomic_init(&p->alive, 0);
    atomic_init(&p->stop_input, false);
    p->queues = calloc(nq, sizeof *p->queues);
    p->workers = calloc(nthreads, sizeof *p->workers);
    if (!p->queues || !p->workers || (!shared && !(p->router = router_new(ROUTE_MODULO, nthreads))))
        goto fail;
    for (; inited < nq; inited++)
        if (jobq_init(&p->queues[inited], QUEUE_DEPTH) < 0) {
            rc = errno;
            goto fail;
        }
    for (; started < nthreads; started++) {
        struct worker *w = &p->workers[started];
        w->id = started;
        w->pool = p;
        w->q = &p->queues[shared ? 0 : started];
        atomic_fetch_add(&p->alive, 1);
        if ((rc = pthread_create(&w->thread, NULL, worker_main, w))) {
            atomic_fetch_sub(&p->alive, 1);
            goto fail;
        }
    }
    return 0;
fail:
    /* Stop what started: one sentinel each, then join. */
    for (unsigned i = 0; i < started; i++) {
        struct job stop = { .stop = true };
        jobq_push(p->workers[i].q, &stop);
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(p->workers[i].thread, NULL);
    for (unsigned i = 0; i < inited; i++)
        jobq_destroy(&p->queues[i]);
    free(p->queues);
    free(p->workers);
    router_free(p->router);
    memset(p, 0, sizeof *p);
    errno = rc;
    return -1;
}

int pool_run(struct pool *p, struct stream *in)
{
    struct job j = { .stop = false };
    int rc = 0;

    p->t_start = now_ns();
    while (!atomic_load_explicit(&p->stop_input, memory_order_relaxed) &&
           (rc = stream_next(in, &j.m)) > 0) {
        unsigned t = p->shared ? 0 : route_pick(p->router, j.m.key, j.m.key_len);
        jobq_push(&p->queues[t], &j);
        stat_add(&p->messages_in, 1);
        stat_add(&p->rejected, stream_rejected(in) - stat_read(&p->rejected));
    }
    /* ECANCELED: the control thread interrupted a wait for input (SHUTDOWN). */
    if (rc < 0 && !(errno == ECANCELED && atomic_load(&p->stop_input)))
        p->read_errno = errno ? errno : EIO;
    stat_add(&p->rejected, stream_rejected(in) - stat_read(&p->rejected));

    /* One sentinel per worker; each queue is FIFO, so every message pushed
     * before a worker's sentinel is applied before that worker exits. */
    for (unsigned i = 0; i < p->nthreads; i++) {
        struct job stop = { .stop = true };
        jobq_push(p->workers[i].q, &stop);
    }
    int failed = 0;
    for (unsigned i = 0; i < p->nthreads; i++) {
        pthread_join(p->workers[i].thread, NULL);
        failed |= p->workers[i].error != 0;
    }
    p->t_end = now_ns();
    return p->read_errno || failed ? -1 : 0;
}

/* The sum over the workers of the counter at offset off in struct worker (each
 * has a single writer, so a relaxed read of each is enough for a report). */
static uint64_t sum_counter(struct pool *p, size_t off)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < p->nthreads; i++)
        n += stat_read((_Atomic uint64_t *)((char *)&p->workers[i] + off));
    return n;
}

uint64_t pool_processed(struct pool *p)
{
    return sum_counter(p, offsetof(struct worker, processed));
}

uint64_t pool_contended(struct pool *p)
{
    return sum_counter(p, offsetof(struct worker, locks.contended));
}

uint64_t pool_order_breaks(struct pool *p)
{
    return sum_counter(p, offsetof(struct worker, order_breaks));
}

uint64_t pool_order_broken_keys(struct pool *p)
{
    return sum_counter(p, offsetof(struct worker, order_broken_keys));
}

void pool_destroy(struct pool *p)
{
    unsigned nq = p->shared ? 1 : p->nthreads;
    for (unsigned i = 0; p->queues && i < nq; i++)
        jobq_destroy(&p->queues[i]);
    free(p->queues);
    free(p->workers);
    router_free(p->router);
}
