/* inbox.c: a stream read on a thread, handed to a loop in batches (see inbox.h).
 *
 * Batches circulate: the thread fills one (`fill`), appends it to the queue,
 * the loop takes the queue's head as `cur`, and gives `cur` back to the free
 * list when it takes the next. At most INBOX_BATCHES batches are queued, plus
 * the one being filled and the one being read: memory is bounded. */
#include "inbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "param.h"

struct batch {
    struct batch *next;
    unsigned n;                 /* messages in msgs */
    struct msg msgs[INBOX_BATCH];
    size_t off[INBOX_BATCH];    /* each payload's offset in payload (pointers fixed when handed on) */
    struct buf payload;         /* the payloads, copied: the stream's are borrowed until its next read */
    enum inbox_status end;      /* INBOX_MSG, or INBOX_END / INBOX_ERROR after the last message */
    int err;                    /* errno of INBOX_ERROR */
};

struct inbox {
    uv_async_t async;           /* first member: the close callback frees the inbox through it */
    struct stream *s;
    inbox_ready_fn fn;
    void *data;
    pthread_t thread;
    int joined;

    /* Guarded by mu. */
    pthread_mutex_t mu;
    pthread_cond_t room;        /* signalled when a queued batch is taken, or on close */
    struct batch *head, *tail;  /* full batches, oldest first */
    unsigned queued;
    struct batch *free;         /* batches the loop is done with */
    bool closing;
    int failed;                 /* the thread could not get a batch (ENOMEM): after the queue, the end */

    /* The thread's own. */
    struct batch *fill;

    /* The loop's own. */
    struct batch *cur;          /* the batch being read */
    unsigned pos;               /* next message in cur */
    enum inbox_status done;     /* INBOX_END/INBOX_ERROR once reached, else INBOX_MSG */
    int done_err;
    uint64_t taken;

    _Atomic uint64_t rejected;  /* written by the thread, read anywhere */
};

static void batch_free(struct batch *b)
{
    while (b) {
        struct batch *next = b->next;
        buf_free(&b->payload);
        free(b);
        b = next;
    }
}

/* ---------------------------------------------------------------- the thread */

/* Hand the batch being filled to the loop (mu not held). Returns 0, or -1 if
 * the inbox is closing (the batch is dropped with the rest). */
static int hand_on(struct inbox *ib)
{
    struct batch *b = ib->fill;
    if (!b || (b->n == 0 && b->end == INBOX_MSG))
        return 0;
    for (unsigned i = 0; i < b->n; i++)
        if (b->msgs[i].payload_len)
            b->msgs[i].payload = b->payload.data + b->off[i];
    pthread_mutex_lock(&ib->mu);
    /* The end is queued even past the limit: the loop must learn of it. */
    while (ib->queued >= INBOX_BATCHES && !ib->closing && b->end == INBOX_MSG)
        pthread_cond_wait(&ib->room, &ib->mu);
    bool closing = ib->closing;
    if (!closing) {
        b->next = NULL;
        if (ib->tail)
            ib->tail->next = b;
        else
            ib->head = b;
        ib->tail = b;
        ib->queued++;
        ib->fill = NULL;
    }
    pthread_mutex_unlock(&ib->mu);
    if (closing)
        return -1;
    uv_async_send(&ib->async);
    return 0;
}

/* A fresh batch to fill: a recycled one, or a new one. NULL on ENOMEM. */
static struct batch *batch_get(struct inbox *ib)
{
    pthread_mutex_lock(&ib->mu);
    struct batch *b = ib->free;
    if (b)
        ib->free = b->next;
    pthread_mutex_unlock(&ib->mu);
    if (!b && !(b = calloc(1, sizeof *b)))
        return NULL;
    b->next = NULL;
    b->n = 0;
    b->end = INBOX_MSG;
    b->err = 0;
    buf_reset(&b->payload);
    return b;
}

/* stream.h's wait hook: the next read would wait for the writer, so what we
 * have goes to the loop now rather than when the batch is full. */
static void on_wait(void *arg)
{
    struct inbox *ib = arg;
    atomic_store_explicit(&ib->rejected, stream_rejected(ib->s), memory_order_relaxed);
    hand_on(ib);
}

/* The batch to fill, fetched afresh: the wait hook may have handed the
 * previous one on while stream_next ran. NULL after telling the loop ENOMEM. */
static struct batch *filling(struct inbox *ib)
{
    if (!ib->fill && !(ib->fill = batch_get(ib))) {
        pthread_mutex_lock(&ib->mu);
        ib->failed = ENOMEM;    /* the loop learns it after what is queued */
        pthread_mutex_unlock(&ib->mu);
        uv_async_send(&ib->async);
    }
    return ib->fill;
}

/* Invariant at the top of the loop: ib->fill is ours (or NULL), mu is not held. */
static void *reader(void *arg)
{
    struct inbox *ib = arg;
    for (;;) {
        struct msg m;
        int rc = stream_next(ib->s, &m);
        atomic_store_explicit(&ib->rejected, stream_rejected(ib->s), memory_order_relaxed);
        if (rc < 0 && errno == ECANCELED)
            return NULL;        /* inbox_close interrupted a wait: nobody is listening */
        int err = errno;
        struct batch *b = filling(ib);
        if (!b)
            return NULL;
        if (rc <= 0) {
            b->end = rc == 0 ? INBOX_END : INBOX_ERROR;
            b->err = rc == 0 ? 0 : err;
            hand_on(ib);
            return NULL;
        }
        b->off[b->n] = b->payload.len;
        if (m.payload_len && buf_append(&b->payload, m.payload, m.payload_len) < 0) {
            b->end = INBOX_ERROR;
            b->err = ENOMEM;
            hand_on(ib);
            return NULL;
        }
        m.payload = NULL;       /* fixed up by hand_on, once the buffer stops moving */
        b->msgs[b->n++] = m;
        if (b->n == INBOX_BATCH && hand_on(ib) < 0)
            return NULL;
    }
}

/* ---------------------------------------------------------------- the loop */

static void on_async(uv_async_t *h)
{
    struct inbox *ib = (struct inbox *)h;
    ib->fn(ib, ib->data);
}

/* fork() while the reader prints a reject: hold stderr's lock across it. */
static void atfork_prepare(void)
{
    flockfile(stderr);
}

static void atfork_release(void)
{
    funlockfile(stderr);
}

static void atfork_register(void)
{
    pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}

struct inbox *inbox_start(uv_loop_t *loop, struct stream *s, inbox_ready_fn fn, void *data)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, atfork_register);
    struct inbox *ib = calloc(1, sizeof *ib);
    if (!ib)
        return NULL;
    ib->s = s;
    ib->fn = fn;
    ib->data = data;
    ib->done = INBOX_MSG;
    if (stream_make_interruptible(s, on_wait, ib) < 0) {
        int saved = errno;
        free(ib);
        errno = saved;
        return NULL;
    }
    pthread_mutex_init(&ib->mu, NULL);
    pthread_cond_init(&ib->room, NULL);
    int rc = uv_async_init(loop, &ib->async, on_async);
    if (rc < 0) {
        pthread_mutex_destroy(&ib->mu);
        pthread_cond_destroy(&ib->room);
        free(ib);
        errno = -rc;
        return NULL;
    }
    if ((rc = pthread_create(&ib->thread, NULL, reader, ib)) != 0) {
        ib->joined = 1;         /* nothing to join: inbox_close just closes the handle */
        inbox_close(ib);
        errno = rc;
        return NULL;
    }
    return ib;
}

enum inbox_status inbox_next(struct inbox *ib, struct msg *m)
{
    for (;;) {
        if (ib->done != INBOX_MSG) {
            errno = ib->done_err;
            return ib->done;
        }
        if (ib->cur && ib->pos < ib->cur->n) {
            *m = ib->cur->msgs[ib->pos++];
            ib->taken++;
            return INBOX_MSG;
        }
        if (ib->cur && ib->cur->end != INBOX_MSG) {
            ib->done = ib->cur->end;
            ib->done_err = ib->cur->err;
            continue;
        }
        /* cur is used up: give it back and take the next, never waiting. */
        pthread_mutex_lock(&ib->mu);
        if (ib->cur) {
            ib->cur->next = ib->free;
            ib->free = ib->cur;
            ib->cur = NULL;
        }
        struct batch *b = ib->head;
        if (b) {
            if (!(ib->head = b->next))
                ib->tail = NULL;
            ib->queued--;
            pthread_cond_signal(&ib->room);
        }
        int failed = ib->failed;
        pthread_mutex_unlock(&ib->mu);
        if (!b && failed) {
            ib->done = INBOX_ERROR;
            ib->done_err = failed;
            continue;
        }
        if (!b)
            return INBOX_WAIT;
        ib->cur = b;
        ib->pos = 0;
    }
}

uint64_t inbox_taken(const struct inbox *ib)
{
    return ib->taken;
}

uint64_t inbox_rejected(const struct inbox *ib)
{
    return atomic_load_explicit(&((struct inbox *)ib)->rejected, memory_order_relaxed);
}

static void on_closed(uv_handle_t *h)
{
    struct inbox *ib = (struct inbox *)h;
    pthread_mutex_destroy(&ib->mu);
    pthread_cond_destroy(&ib->room);
    free(ib);
}

void inbox_close(struct inbox *ib)
{
    if (!ib)
        return;
    pthread_mutex_lock(&ib->mu);
    ib->closing = true;
    pthread_cond_broadcast(&ib->room);
    pthread_mutex_unlock(&ib->mu);
    stream_interrupt(ib->s);    /* a reader waiting for input gets ECANCELED */
    if (!ib->joined)
        pthread_join(ib->thread, NULL);
    ib->joined = 1;
    /* The thread is gone: every batch is ours to free. */
    if (ib->cur)
        ib->cur->next = NULL;
    if (ib->fill)
        ib->fill->next = NULL;
    batch_free(ib->head);
    batch_free(ib->free);
    batch_free(ib->cur);
    batch_free(ib->fill);
    ib->head = ib->tail = ib->free = ib->cur = ib->fill = NULL;
    uv_close((uv_handle_t *)&ib->async, on_closed);
}
