/* feeder.c: the supervisor's dispatch loop, GET and the dump (feeder.h). */
#include "feeder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "registry.h"
#include "timing.h"

#define PUSH_WAIT_MS 5          /* a full ring: check the crew this often (a dead worker frees no slot) */
#define REAP_EVERY 4096         /* messages between two non-blocking reaps */

int feeder_init(struct feeder *f, struct board *b, struct crew *c, struct router *r,
                struct stream *in)
{
    memset(f, 0, sizeof *f);
    f->board = b;
    f->crew = c;
    f->router = r;
    f->in = in;
    if (!(f->keys = keyidx_new()))
        return -1;
    if (!(f->owner = malloc(b->nrows * sizeof *f->owner))) {
        keyidx_free(f->keys);
        return -1;
    }
    pthread_mutex_init(&f->keys_lock, NULL);
    return 0;
}

/* Append rec to ring w; while it stays full, reap (a dead consumer never frees
 * a slot) and try again. */
static int push(struct feeder *f, unsigned w, const struct rec *rec)
{
    while (recring_push(f->board->ring[w], rec, PUSH_WAIT_MS) < 0) {
        f->full_waits++;
        if (crew_reap(f->crew, false, f->why, sizeof f->why) < 0)
            return -1;
    }
    return 0;
}

/* The row of m's key, created (IDLE, nothing applied) on its first sight. */
static int64_t row_of(struct feeder *f, const struct msg *m)
{
    int64_t idx = keyidx_find(f->keys, m->key, m->key_len);
    if (idx >= 0)
        return idx;
    if (keyidx_count(f->keys) >= f->board->nrows) {
        snprintf(f->why, sizeof f->why, "more than %llu distinct keys: raise --max-keys",
                 (unsigned long long)f->board->nrows);
        return -1;
    }
    struct rowdata d = { 0 };
    fsm_init(&d.ks, m->key, m->key_len);
    pthread_mutex_lock(&f->keys_lock);
    idx = keyidx_add(f->keys, m->key, m->key_len);
    pthread_mutex_unlock(&f->keys_lock);
    if (idx < 0) {
        snprintf(f->why, sizeof f->why, "cannot index key '%s': %s", m->key, strerror(errno));
        return -1;
    }
    f->owner[idx] = (uint16_t)route_pick(f->router, m->key, m->key_len);
    statetab_write(&f->board->rows[idx], &d);  /* before the record: the push publishes it */
    return idx;
}

static int dispatch(struct feeder *f, const struct msg *m)
{
    uint64_t n = atomic_load_explicit(&f->messages_in, memory_order_relaxed);
    int timed = n % ENCODE_SAMPLE == 0;
    uint64_t t0 = timed ? now_ns() : 0;
    int64_t idx = row_of(f, m);
    if (idx < 0)
        return -1;
    unsigned w = f->owner[idx];
    struct rec rec = { .idx = (uint32_t)idx, .op = m->op, .value = m->value, .seq = m->seq };
    if (push(f, w, &rec) < 0)
        return -1;
    if (timed) {
        f->encode_ns += now_ns() - t0;
        f->encode_samples++;
    }
    /* One writer: a load and a store, no locked instruction. */
    atomic_store_explicit(&f->pushed[w], atomic_load_explicit(&f->pushed[w], memory_order_relaxed) + 1,
                          memory_order_relaxed);
    atomic_store_explicit(&f->messages_in, n + 1, memory_order_relaxed);
    if ((n + 1) % REAP_EVERY == 0 && crew_reap(f->crew, false, f->why, sizeof f->why) < 0)
        return -1;
    return 0;
}

/* Read and dispatch until the end, a stop or an error. */
static int pump(struct feeder *f)
{
    struct msg m;
    while (!atomic_load_explicit(&f->stop_input, memory_order_relaxed)) {
        int r = stream_next(f->in, &m);
        atomic_store_explicit(&f->rejected, stream_rejected(f->in), memory_order_relaxed);
        if (r == 0)
            return 0;
        if (r < 0) {
            if (errno == ECANCELED && atomic_load(&f->stop_input))
                return 0;
            snprintf(f->why, sizeof f->why, "reading %s failed: %s", stream_name(f->in),
                     strerror(errno));
            return -1;
        }
        if (dispatch(f, &m) < 0)
            return -1;
    }
    return 0;
}

int feeder_run(struct feeder *f)
{
    if (pump(f) < 0)
        return -1;
    struct rec stop = { .idx = REC_STOP };
    for (unsigned w = 0; w < f->board->workers; w++)
        if (push(f, w, &stop) < 0)
            return -1;
    while (!crew_done(f->crew)) {
        int r = crew_reap(f->crew, true, f->why, sizeof f->why);
        if (r < 0)
            return -1;
        if (r == 0 && !crew_done(f->crew)) {
            snprintf(f->why, sizeof f->why, "no worker left to finish the stream");
            return -1;
        }
    }
    return 0;
}

int feeder_get(struct feeder *f, const char *key, size_t len, struct rowdata *d)
{
    pthread_mutex_lock(&f->keys_lock);
    int64_t idx = keyidx_find(f->keys, key, len);
    pthread_mutex_unlock(&f->keys_lock);
    if (idx < 0) {
        errno = ENOENT;
        return -1;
    }
    if (statetab_read(&f->board->rows[idx], d, READ_TRIES) < 0)
        return -1;
    if (d->ks.messages == 0) {  /* created, but none of its messages applied yet */
        errno = ENOENT;
        return -1;
    }
    return 0;
}

uint64_t feeder_processed(const struct feeder *f)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < f->board->workers; i++) {
        uint64_t t = atomic_load_explicit(board_tail(f->board, i), memory_order_relaxed);
        uint64_t p = atomic_load_explicit(&f->pushed[i], memory_order_relaxed);
        sum += t < p ? t : p;
    }
    return sum;
}

uint64_t feeder_keys(struct feeder *f)
{
    pthread_mutex_lock(&f->keys_lock);
    uint64_t n = keyidx_count(f->keys);
    pthread_mutex_unlock(&f->keys_lock);
    return n;
}

int feeder_dump(struct feeder *f, const char *path, char *err, size_t errlen)
{
    struct registry *r = registry_new();
    if (!r) {
        snprintf(err, errlen, "cannot build the dump: %s", strerror(errno));
        return -1;
    }
    uint64_t n = keyidx_count(f->keys);
    for (uint64_t i = 0; i < n; i++) {
        struct rowdata d;
        if (statetab_read(&f->board->rows[i], &d, READ_TRIES) < 0 || d.ks.messages == 0 ||
            registry_put(r, &d.ks) < 0) {
            snprintf(err, errlen, "row %llu of the state table is %s",
                     (unsigned long long)i, errno == EAGAIN ? "torn" : "empty or unreadable");
            registry_free(r);
            return -1;
        }
    }
    int rc = dump_to_path(path, r, err, errlen);
    registry_free(r);
    return rc;
}

void feeder_free(struct feeder *f)
{
    keyidx_free(f->keys);
    free(f->owner);
    pthread_mutex_destroy(&f->keys_lock);
}
