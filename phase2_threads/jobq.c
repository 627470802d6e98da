/* jobq.c: the bounded job queue (see jobq.h). Lock order: a jobq's mutex is a
 * leaf: nothing else is locked while holding it. */
#include "jobq.h"

#include <errno.h>
#include <stdlib.h>

#include "timing.h"

int jobq_init(struct jobq *q, size_t cap)
{
    int rc;
    q->cap = cap ? cap : 1;
    q->head = q->len = 0;
    q->full_waits = 0;
    if (!(q->slot = calloc(q->cap, sizeof *q->slot))) {
        errno = ENOMEM;
        return -1;
    }
    if ((rc = pthread_mutex_init(&q->mu, NULL)) || (rc = pthread_cond_init(&q->not_empty, NULL)) ||
        (rc = pthread_cond_init(&q->not_full, NULL))) {
        free(q->slot);
        errno = rc;
        return -1;
    }
    return 0;
}

void jobq_push(struct jobq *q, const struct job *j)
{
    pthread_mutex_lock(&q->mu);
    if (q->len == q->cap)
        q->full_waits++;
    while (q->len == q->cap)            /* a wake-up is a hint, not a promise: re-check */
        pthread_cond_wait(&q->not_full, &q->mu);
    struct job *s = &q->slot[(q->head + q->len) % q->cap];
    *s = *j;
    s->m.payload = NULL;
    s->m.payload_len = 0;
    q->len++;
    /* Signal, not broadcast: one job wakes one worker. Cheap when nobody waits. */
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

size_t jobq_pop(struct jobq *q, struct job *out, size_t max, uint64_t *idle_ns)
{
    size_t n = 0;
    pthread_mutex_lock(&q->mu);
    if (q->len == 0) {
        uint64_t t0 = now_ns();
        while (q->len == 0)
            pthread_cond_wait(&q->not_empty, &q->mu);
        *idle_ns += now_ns() - t0;
    }
    while (n < max && q->len > 0) {
        out[n] = q->slot[q->head];
        q->head = (q->head + 1) % q->cap;
        q->len--;
        if (out[n++].stop)
            break;
    }
    pthread_cond_signal(&q->not_full);
    /* Jobs left behind: another waiting worker may take them now (shared queue). */
    if (q->len > 0)
        pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return n;
}

uint64_t jobq_full_waits(struct jobq *q)
{
    pthread_mutex_lock(&q->mu);
    uint64_t n = q->full_waits;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void jobq_destroy(struct jobq *q)
{
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->mu);
    free(q->slot);
    q->slot = NULL;
}
