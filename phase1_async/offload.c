/* offload.c: CPU work on libuv's thread pool, state updates in order on the loop.
 *
 * How per-key order is kept (the whole point: a thread pool finishes jobs in
 * whatever order the scheduler likes, and a key's final state depends on the
 * order of its messages):
 *   - every key has a FIFO chain of the messages taken for it;
 *   - at most ONE job per key is on the thread pool at any time: the chain's
 *     head. The next message of that key waits in the chain, even if a pool
 *     thread is idle;
 *   - the pool thread only burns the CPU work (work_burn never touches the
 *     state); the state update (fsm_apply_msg) happens in the after-work
 *     callback, which libuv runs on the loop thread, so the registry is only
 *     ever touched by one thread and needs no lock;
 *   - after applying the head, the chain applies the messages behind it that
 *     need no work (START, STOP, ...) at once and sends the next DATA to the
 *     pool, so a key's messages are applied exactly in stream order.
 * Different keys proceed in parallel, up to the pool's size (UV_THREADPOOL_SIZE,
 * default 4; libuv reads it once, when the pool starts on the first job).
 *
 * Memory is bounded: jobs come from a fixed pool of max_held slots; when they are
 * all taken, offload_push says EAGAIN and the caller stops taking messages. */
#include "offload.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

struct chain;

struct offload_job {
    uv_work_t req;              /* req.data = the job */
    struct msg m;               /* the message (no payload) */
    struct chain *chain;        /* its key's chain */
    struct offload_job *next;           /* next in the chain, or in the free list */
    uint64_t result;            /* written by the pool thread, read after it */
    struct offload *o;
};

/* One key's FIFO. Owned by the loop thread. */
struct chain {
    struct keystate *ks;        /* key of the chain (the map's key) */
    struct offload_job *head, *tail;    /* head is running on the pool when busy */
    bool busy;                  /* a job of this key is on the pool */
};

struct offload {
    uv_loop_t *loop;
    uint32_t work;
    struct offload_job *jobs;           /* max_held slots */
    struct offload_job *free_jobs;      /* free list */
    size_t held;                /* slots in use */
    size_t running, peak_running;
    uint64_t submitted;
    uint64_t sink;              /* folds the work results so the compiler keeps the work */
    /* keystate pointer -> chain, open addressing (linear probing), grows at 1/2 full */
    struct chain *map;
    size_t map_cap, map_len;
    offload_applied_fn applied;
    void *ctx;
};

static size_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static int map_grow(struct offload *o)
{
    size_t cap = o->map_cap ? o->map_cap * 2 : 256;
    struct chain *m = calloc(cap, sizeof *m);
    if (!m)
        return -1;
    for (size_t i = 0; i < o->map_cap; i++) {
        if (!o->map[i].ks)
            continue;
        size_t j = ptr_hash(o->map[i].ks) & (cap - 1);
        while (m[j].ks)
            j = (j + 1) & (cap - 1);
        m[j] = o->map[i];
        /* Jobs point at their chain: move those pointers along. */
        for (struct offload_job *jb = m[j].head; jb; jb = jb->next)
            jb->chain = &m[j];
    }
    free(o->map);
    o->map = m;
    o->map_cap = cap;
    return 0;
}

static struct chain *chain_of(struct offload *o, struct keystate *ks)
{
    if ((o->map_len + 1) * 2 > o->map_cap && map_grow(o) < 0)
        return NULL;
    size_t j = ptr_hash(ks) & (o->map_cap - 1);
    while (o->map[j].ks && o->map[j].ks != ks)
        j = (j + 1) & (o->map_cap - 1);
    if (!o->map[j].ks) {
        o->map[j].ks = ks;
        o->map_len++;
    }
    return &o->map[j];
}

struct offload *offload_new(uv_loop_t *loop, uint32_t work, size_t max_held,
                            offload_applied_fn fn, void *ctx)
{
    struct offload *o = calloc(1, sizeof *o);
    if (!o || !(o->jobs = calloc(max_held ? max_held : 1, sizeof *o->jobs))) {
        free(o);
        errno = ENOMEM;
        return NULL;
    }
    o->loop = loop;
    o->work = work;
    o->applied = fn;
    o->ctx = ctx;
    for (size_t i = max_held ? max_held : 1; i-- > 0;) {
        o->jobs[i].o = o;
        o->jobs[i].req.data = &o->jobs[i];
        o->jobs[i].next = o->free_jobs;
        o->free_jobs = &o->jobs[i];
    }
    return o;
}

static bool needs_work(const struct offload *o, const struct msg *m)
{
    return o->work > 0 && m->op == OP_DATA;
}

/* Pool thread: only the CPU work, nothing shared. */
static void work_cb(uv_work_t *req)
{
    struct offload_job *jb = req->data;
    jb->result = work_burn(jb->o->work, jb->m.seq);
}

static void after_work_cb(uv_work_t *req, int status);

/* Apply the chain's head (its work, if any, is done) and free its job. */
static void apply_head(struct offload *o, struct chain *c)
{
    struct offload_job *jb = c->head;
    fsm_apply_msg(c->ks, &jb->m);
    c->head = jb->next;
    if (!c->head)
        c->tail = NULL;
    jb->next = o->free_jobs;
    o->free_jobs = jb;
    o->held--;
    o->applied(o->ctx);
}

/* The chain's head is the oldest message of its key not yet applied. Apply
 * heads that need no work; stop at one that does and send it to the pool. */
static void chain_advance(struct offload *o, struct chain *c)
{
    while (c->head) {
        struct offload_job *jb = c->head;
        if (needs_work(o, &jb->m)) {
            c->busy = true;
            o->submitted++;
            if (++o->running > o->peak_running)
                o->peak_running = o->running;
            /* uv_queue_work only fails for a NULL work_cb. */
            uv_queue_work(o->loop, &jb->req, work_cb, after_work_cb);
            return;
        }
        apply_head(o, c);
    }
}

/* Loop thread, after the pool finished the head's work: apply it, then move on. */
static void after_work_cb(uv_work_t *req, int status)
{
    (void)status;               /* never cancelled: we do not call uv_cancel */
    struct offload_job *jb = req->data;
    struct offload *o = jb->o;
    struct chain *c = jb->chain;
    o->sink ^= jb->result;      /* the work's result is used, never stored */
    o->running--;
    c->busy = false;
    apply_head(o, c);
    chain_advance(o, c);
}

int offload_push(struct offload *o, struct keystate *ks, const struct msg *m)
{
    struct chain *c;
    if (!o->free_jobs) {
        errno = EAGAIN;
        return -1;
    }
    if (!(c = chain_of(o, ks))) {
        errno = ENOMEM;
        return -1;
    }
    if (!c->head && !needs_work(o, m)) {
        fsm_apply_msg(ks, m);           /* nothing of this key pending: in order now */
        o->applied(o->ctx);
        return 0;
    }
    struct offload_job *jb = o->free_jobs;
    o->free_jobs = jb->next;
    o->held++;
    jb->m = *m;
    jb->chain = c;
    jb->next = NULL;
    if (c->tail)
        c->tail->next = jb;
    else
        c->head = jb;
    c->tail = jb;
    if (!c->busy)
        chain_advance(o, c);
    return 0;
}

size_t offload_held(const struct offload *o) { return o->held; }
uint64_t offload_submitted(const struct offload *o) { return o->submitted; }
size_t offload_peak_running(const struct offload *o) { return o->peak_running; }

void offload_free(struct offload *o)
{
    if (!o)
        return;
    free(o->map);
    free(o->jobs);
    free(o);
}
