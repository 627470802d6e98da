/* batchpool.c: the stateless fork pool of bin/batchpool (see batchpool.h).
 * Each worker has two pipes: batches in, results out. The IPC cost of one call
 * is: encode (msgpack), write a frame, a context switch, read and decode in the
 * worker, and the same back. It does not depend on the batch size, which is
 * why batching amortises it (the lecture's slide 7).
 *
 * A dead worker loses nothing. Every batch sent stays in its worker's queue of
 * batches in flight (oldest first: a worker answers in order) until its result
 * is back. When a worker's pipe reports EOF or an error, its handles are
 * closed, the process is reaped, a new one is started in the same slot and the
 * queue is sent to it again. Workers are stateless, so a batch that is run
 * twice (its result was lost with the dead worker) gives the same result. */
#include "batchpool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "frame.h"
#include "param.h"

struct sendreq {                /* one batch in flight */
    uv_write_t req;
    struct buf b;               /* the frame, kept until its result is back */
    uint64_t index;
    struct sendreq *next;       /* the worker's queue, oldest first */
    int writing;                /* uv_write not completed yet */
    int answered;               /* its result is back */
};

struct bworker {
    struct batchpool *pool;
    unsigned slot;
    pid_t pid;
    int to_fd, from_fd;         /* parent's ends until attached */
    uv_pipe_t to, from;         /* batches out, results in */
    struct framer fr;
    unsigned inflight;          /* batches sent, results not yet back (= queue length) */
    struct sendreq *head, *tail;
    int open;                   /* handles to close */
    int dying;                  /* handles closing after its death: respawn when closed */
    unsigned fruitless;         /* deaths since its last result */
};

struct batchpool {
    struct batchpool_opts o;
    struct bworker *w;
    struct record_result *scratch;
    uv_loop_t *loop;
    batchpool_result_fn fn;
    batchpool_fail_fn fail;
    batchpool_note_fn note;
    void *ctx;
    uint64_t ipc_bytes;
    unsigned respawns;
    uint64_t resent;
    int closing;
    char why[320];              /* the reason given to fail() (lives as long as the pool) */
};

/* What a worker needs: its two pipe ends, the batch limit, its test hook. */
struct worker_fds {
    int in, out;
    size_t max_batch;
    uint64_t kill_after;        /* SIGKILL itself on receiving this batch (0 = never) */
    uint32_t work;              /* units of CPU work per record */
};

/* Where a worker's CPU work goes, so the compiler cannot drop it. */
static volatile uint64_t work_sink;

/* The worker (run by child_spawn): frames in, frames out, no state kept
 * between batches. Its exit status is 0 after EOF, 1 on any failure. */
static int batch_worker_main(void *arg)
{
    const struct worker_fds *f = arg;
    struct buf frame = BUF_INIT, reply = BUF_INIT;
    struct sensor_record *recs = malloc(f->max_batch * sizeof *recs);
    struct record_result *res = malloc(f->max_batch * sizeof *res);
    int rc = recs && res ? -1 : 1;
    for (uint64_t got = 1; rc < 0; got++) {
        int r = frame_read(f->in, &frame);
        if (r == 0) {
            rc = 0;             /* the parent closed the pipe: done */
            break;
        }
        if (got == f->kill_after)
            raise(SIGKILL);     /* test hook: die holding a batch */
        uint64_t index;
        long n = r < 0 ? -1 : batch_decode(frame.data, frame.len, &index, recs, f->max_batch);
        if (n < 0)
            rc = 1;
        else {
            process_record_batch(recs, (size_t)n, res);
            work_sink ^= batch_work(recs, (size_t)n, f->work);
            buf_reset(&reply);
            if (results_encode(&reply, index, res, (size_t)n) < 0
                || frame_write(f->out, reply.data, reply.len) < 0)
                rc = 1;
        }
    }
    buf_free(&frame);
    buf_free(&reply);
    free(recs);
    free(res);
    return rc;
}

/* Start the process of slot i: two pipes, a child that keeps only its own
 * ends (child.h closes the rest, so the other workers' pipes still see EOF,
 * and the loop's fds when this runs after the loop exists). */
static int spawn_worker(struct batchpool *p, unsigned i, char *err, size_t errlen)
{
    int a[2], b[2];
    if (pipe2(a, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe() failed spawning worker %u: %s", i, strerror(errno));
        return -1;
    }
    if (pipe2(b, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe() failed spawning worker %u: %s", i, strerror(errno));
        close(a[0]), close(a[1]);
        return -1;
    }
    /* The hook is for the first process of slot 0 only: its successor must live. */
    struct worker_fds f = { a[0], b[1], p->o.max_batch,
                            i == 0 && p->respawns == 0 ? p->o.kill_after : 0, p->o.work };
    struct child_opts o = { .keep = (int[]){ a[0], b[1] }, .nkeep = 2 };
    pid_t pid = child_spawn(&o, batch_worker_main, &f);
    int e = errno;
    close(a[0]), close(b[1]);
    if (pid < 0) {
        snprintf(err, errlen, "fork() failed spawning worker %u: %s", i, strerror(e));
        close(a[1]), close(b[0]);
        return -1;
    }
    p->w[i].pid = pid;
    p->w[i].to_fd = a[1];
    p->w[i].from_fd = b[0];
    return 0;
}

struct batchpool *batchpool_spawn(const struct batchpool_opts *o, char *err, size_t errlen)
{
    struct batchpool *p = calloc(1, sizeof *p);
    if (!p || !(p->w = calloc(o->workers, sizeof *p->w))
        || !(p->scratch = malloc(o->max_batch * sizeof *p->scratch))) {
        snprintf(err, errlen, "out of memory for a pool of %u workers", o->workers);
        goto fail;
    }
    p->o = *o;
    for (unsigned i = 0; i < o->workers; i++)
        p->w[i].to_fd = p->w[i].from_fd = -1, p->w[i].slot = i;
    for (unsigned i = 0; i < o->workers; i++)
        if (spawn_worker(p, i, err, errlen) < 0)
            goto fail;
    return p;
fail:
    if (p && p->w)
        batchpool_free(p);
    else
        free(p);
    return NULL;
}

static void on_result_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    static char slab[65536];    /* the loop is single-threaded; framer copies out */
    (void)hint;
    *buf = uv_buf_init(slab, sizeof slab);
}

static void sendreq_free(struct sendreq *s)
{
    buf_free(&s->b);
    free(s);
}

static void worker_lost(struct bworker *w);

/* One result frame of worker w: it answers the oldest batch of its queue. */
static int take_result(struct bworker *w, const uint8_t *body, size_t len)
{
    struct batchpool *p = w->pool;
    uint64_t index;
    long n = results_decode(body, len, &index, p->scratch, p->o.max_batch);
    struct sendreq *s = w->head;
    if (n < 0 || !s || s->index != index) {
        p->fail(p->ctx, n < 0 ? "a worker sent a malformed result frame"
                              : "a worker answered a batch it was not sent");
        return -1;
    }
    if (!(w->head = s->next))
        w->tail = NULL;
    s->answered = 1;
    if (!s->writing)
        sendreq_free(s);
    w->inflight--;
    w->fruitless = 0;
    p->fn(p->ctx, index, p->scratch, (size_t)n);
    return p->closing ? -1 : 0;
}

static void on_results(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct bworker *w = s->data;
    struct batchpool *p = w->pool;
    if (nread < 0) {
        uv_read_stop(s);
        worker_lost(w);         /* EOF: it died (or closed its pipe, which is the same to us) */
        return;
    }
    if (framer_feed(&w->fr, buf->base, (size_t)nread) < 0) {
        p->fail(p->ctx, "out of memory reading results");
        return;
    }
    p->ipc_bytes += (uint64_t)nread;
    const uint8_t *body;
    size_t len;
    int r;
    while ((r = framer_next(&w->fr, &body, &len)) == 1)
        if (take_result(w, body, len) < 0)
            return;
    if (r < 0)
        p->fail(p->ctx, "a worker sent an oversized frame");
}

/* Put slot w's pipe ends on the loop and start reading. */
static int attach_worker(struct bworker *w, char *err, size_t errlen)
{
    uv_loop_t *loop = w->pool->loop;
    framer_init(&w->fr);
    int rc;
    if ((rc = uv_pipe_init(loop, &w->to, 0)) < 0 || (rc = uv_pipe_open(&w->to, w->to_fd)) < 0
        || (rc = uv_pipe_init(loop, &w->from, 0)) < 0 || (rc = uv_pipe_open(&w->from, w->from_fd)) < 0) {
        snprintf(err, errlen, "uv_pipe_open() failed for worker %u: %s", w->slot, uv_strerror(rc));
        return -1;
    }
    w->open = 2;
    w->to_fd = w->from_fd = -1;         /* the handles own them now */
    w->to.data = w->from.data = w;
    uv_read_start((uv_stream_t *)&w->from, on_result_alloc, on_results);
    return 0;
}

int batchpool_attach(struct batchpool *p, uv_loop_t *loop, batchpool_result_fn fn, batchpool_fail_fn fail,
                     batchpool_note_fn note, void *ctx, char *err, size_t errlen)
{
    p->loop = loop, p->fn = fn, p->fail = fail, p->note = note, p->ctx = ctx;
    for (unsigned i = 0; i < p->o.workers; i++) {
        p->w[i].pool = p;
        if (attach_worker(&p->w[i], err, errlen) < 0)
            return -1;
    }
    return 0;
}

int batchpool_idle(const struct batchpool *p, unsigned max_inflight)
{
    int best = -1;
    for (unsigned i = 0; i < p->o.workers; i++)
        if (!p->w[i].dying && p->w[i].inflight < max_inflight
            && (best < 0 || p->w[i].inflight < p->w[best].inflight))
            best = (int)i;
    return best;
}

static void on_batch_written(uv_write_t *req, int status)
{
    struct sendreq *s = (struct sendreq *)req;
    struct bworker *w = req->data;
    s->writing = 0;
    if (s->answered) {
        sendreq_free(s);
        return;
    }
    if (status < 0)
        worker_lost(w);         /* EPIPE: it died; the batch stays queued for its successor */
}

/* Write s (already in w's queue) to w's pipe. 0, or -1 (the worker is lost). */
static int write_batch(struct bworker *w, struct sendreq *s)
{
    s->req.data = w;
    s->writing = 1;
    uv_buf_t ub = uv_buf_init((char *)s->b.data, (unsigned)s->b.len);
    if (uv_write(&s->req, (uv_stream_t *)&w->to, &ub, 1, on_batch_written) < 0) {
        s->writing = 0;
        return -1;
    }
    w->pool->ipc_bytes += s->b.len;
    return 0;
}

int batchpool_send(struct batchpool *p, int wi, uint64_t index, const struct sensor_record *r, size_t n)
{
    struct bworker *w = &p->w[wi];
    struct sendreq *s = calloc(1, sizeof *s);
    struct buf body = BUF_INIT;
    if (!s || batch_encode(&body, index, r, n) < 0 || frame_append(&s->b, body.data, body.len) < 0) {
        buf_free(&body);
        if (s)
            sendreq_free(s);
        errno = ENOMEM;
        return -1;
    }
    buf_free(&body);
    s->index = index;
    if (w->tail)
        w->tail->next = s;
    else
        w->head = s;
    w->tail = s;
    w->inflight++;
    if (write_batch(w, s) < 0)
        worker_lost(w);         /* queued: its successor gets it */
    return 0;
}

unsigned batchpool_workers(const struct batchpool *p) { return p->o.workers; }
uint64_t batchpool_ipc_bytes(const struct batchpool *p) { return p->ipc_bytes; }
unsigned batchpool_respawns(const struct batchpool *p) { return p->respawns; }
uint64_t batchpool_resent(const struct batchpool *p) { return p->resent; }

/* Reap slot w's dead process, start another, send it w's queue again. */
static void respawn(struct bworker *w)
{
    struct batchpool *p = w->pool;
    char err[160], note[320];
    int st = 0;
    pid_t old = w->pid;
    kill(old, SIGKILL);         /* EOF on its pipe but alive (it cannot be trusted): make sure */
    while (waitpid(old, &st, 0) < 0 && errno == EINTR)
        ;
    w->pid = 0;                 /* reaped: batchpool_free must not wait for it */
    framer_free(&w->fr);
    w->dying = 0;
    if (++w->fruitless > BATCHPOOL_RESPAWN_MAX) {
        snprintf(p->why, sizeof p->why, "worker %u died %d times in a row without "
                 "returning a batch; giving up", w->slot, BATCHPOOL_RESPAWN_MAX + 1);
        p->fail(p->ctx, p->why);
        return;
    }
    p->respawns++;
    if (spawn_worker(p, w->slot, err, sizeof err) < 0 || attach_worker(w, err, sizeof err) < 0) {
        snprintf(p->why, sizeof p->why, "respawning a worker: %s", err);
        p->fail(p->ctx, p->why);
        return;
    }
    snprintf(note, sizeof note, "worker %u (pid %d) %s %d with %u batch(es) in flight; respawned as "
             "pid %d and sent them again", w->slot, (int)old,
             WIFSIGNALED(st) ? "was killed by signal" : "exited with", WIFSIGNALED(st) ? WTERMSIG(st)
             : WEXITSTATUS(st), w->inflight, (int)w->pid);
    if (p->note)
        p->note(p->ctx, note);
    for (struct sendreq *s = w->head; s; s = s->next) {
        p->resent++;
        if (write_batch(w, s) < 0) {
            worker_lost(w);
            return;
        }
    }
}

static void on_pipe_closed(uv_handle_t *h)
{
    struct bworker *w = h->data;
    if (--w->open == 0 && w->dying && !w->pool->closing)
        respawn(w);
}

/* Worker w's pipe broke: close its handles; respawn() runs once both are closed
 * (libuv cancels its pending writes first: their batches stay queued). */
static void worker_lost(struct bworker *w)
{
    if (w->dying || w->pool->closing || w->open != 2)
        return;
    w->dying = 1;
    uv_close((uv_handle_t *)&w->to, on_pipe_closed);
    uv_close((uv_handle_t *)&w->from, on_pipe_closed);
}

void batchpool_close(struct batchpool *p)
{
    p->closing = 1;
    for (unsigned i = 0; i < p->o.workers; i++) {
        struct bworker *w = &p->w[i];
        if (w->open == 2) {
            uv_close((uv_handle_t *)&w->to, on_pipe_closed);
            uv_close((uv_handle_t *)&w->from, on_pipe_closed);
        }
    }
}

int batchpool_free(struct batchpool *p)
{
    int bad = 0;
    for (unsigned i = 0; i < p->o.workers; i++) {
        struct bworker *w = &p->w[i];
        if (w->to_fd >= 0)
            close(w->to_fd);
        if (w->from_fd >= 0)
            close(w->from_fd);
    }
    for (unsigned i = 0; i < p->o.workers; i++) {
        struct bworker *w = &p->w[i];
        while (w->head) {       /* batches never answered (a failed run) */
            struct sendreq *s = w->head;
            w->head = s->next;
            sendreq_free(s);
        }
        if (w->pid <= 0)
            continue;
        int st;
        while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
        framer_free(&w->fr);
    }
    free(p->scratch);
    free(p->w);
    free(p);
    return bad;
}
