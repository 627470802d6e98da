/* batchpool.c: the stateless fork pool of bin/batchpool (see batchpool.h).
 * Each worker has two pipes: batches in, results out. The IPC cost of one call
 * is: encode (msgpack), write a frame, a context switch, read and decode in the
 * worker, and the same back. It does not depend on the batch size, which is
 * why batching amortises it (the lecture's slide 7). */
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

struct bworker {
    struct batchpool *pool;
    pid_t pid;
    int to_fd, from_fd;         /* parent's ends until attached */
    uv_pipe_t to, from;         /* batches out, results in */
    struct framer fr;
    unsigned inflight;          /* batches sent, results not yet back */
    int open;                   /* handles to close */
};

struct batchpool {
    unsigned n;
    size_t max_batch;
    struct bworker *w;
    struct record_result *scratch;
    batchpool_result_fn fn;
    batchpool_fail_fn fail;
    void *ctx;
    uint64_t ipc_bytes;
    int closing;
};

struct sendreq {
    uv_write_t req;
    struct buf b;
};

/* What a worker needs: its two pipe ends and the batch limit. */
struct worker_fds {
    int in, out;
    size_t max_batch;
};

/* The worker (run by child_spawn): frames in, frames out, no state kept
 * between batches. Its exit status is 0 after EOF, 1 on any failure. */
static int batch_worker_main(void *arg)
{
    const struct worker_fds *f = arg;
    struct buf frame = BUF_INIT, reply = BUF_INIT;
    struct sensor_record *recs = malloc(f->max_batch * sizeof *recs);
    struct record_result *res = malloc(f->max_batch * sizeof *res);
    if (!recs || !res)
        return 1;
    for (;;) {
        int r = frame_read(f->in, &frame);
        if (r == 0)
            return 0;           /* the parent closed the pipe: done */
        uint64_t index;
        long n = r < 0 ? -1 : batch_decode(frame.data, frame.len, &index, recs, f->max_batch);
        if (n < 0)
            return 1;
        process_record_batch(recs, (size_t)n, res);
        buf_reset(&reply);
        if (results_encode(&reply, index, res, (size_t)n) < 0
            || frame_write(f->out, reply.data, reply.len) < 0)
            return 1;
    }
}

/* Start worker i: two pipes, a child that keeps only its own ends (child.h
 * closes the rest, so the other workers' pipes still see EOF). */
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
    struct worker_fds f = { a[0], b[1], p->max_batch };
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

struct batchpool *batchpool_spawn(unsigned workers, size_t max_batch, char *err, size_t errlen)
{
    struct batchpool *p = calloc(1, sizeof *p);
    if (!p || !(p->w = calloc(workers, sizeof *p->w))
        || !(p->scratch = malloc(max_batch * sizeof *p->scratch))) {
        snprintf(err, errlen, "out of memory for a pool of %u workers", workers);
        goto fail;
    }
    p->n = workers;
    p->max_batch = max_batch;
    for (unsigned i = 0; i < workers; i++)
        p->w[i].to_fd = p->w[i].from_fd = -1;
    for (unsigned i = 0; i < workers; i++)
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

static void on_results(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct bworker *w = s->data;
    struct batchpool *p = w->pool;
    if (nread < 0) {
        if (!p->closing && p->fail)
            p->fail(p->ctx, nread == UV_EOF ? "a worker died (its result pipe closed)"
                                            : "reading a worker's result pipe failed");
        uv_read_stop(s);
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
    while ((r = framer_next(&w->fr, &body, &len)) == 1) {
        uint64_t index;
        long n = results_decode(body, len, &index, p->scratch, p->max_batch);
        if (n < 0) {
            p->fail(p->ctx, "a worker sent a malformed result frame");
            return;
        }
        w->inflight--;
        p->fn(p->ctx, index, p->scratch, (size_t)n);
        if (p->closing)
            return;
    }
    if (r < 0)
        p->fail(p->ctx, "a worker sent an oversized frame");
}

int batchpool_attach(struct batchpool *p, uv_loop_t *loop, batchpool_result_fn fn,
                     batchpool_fail_fn fail, void *ctx, char *err, size_t errlen)
{
    p->fn = fn, p->fail = fail, p->ctx = ctx;
    for (unsigned i = 0; i < p->n; i++) {
        struct bworker *w = &p->w[i];
        w->pool = p;
        framer_init(&w->fr);
        int rc;
        if ((rc = uv_pipe_init(loop, &w->to, 0)) < 0 || (rc = uv_pipe_open(&w->to, w->to_fd)) < 0
            || (rc = uv_pipe_init(loop, &w->from, 0)) < 0 || (rc = uv_pipe_open(&w->from, w->from_fd)) < 0) {
            snprintf(err, errlen, "uv_pipe_open() failed for worker %u: %s", i, uv_strerror(rc));
            return -1;
        }
        w->open = 2;
        w->to_fd = w->from_fd = -1;         /* the handles own them now */
        w->to.data = w->from.data = w;
        uv_read_start((uv_stream_t *)&w->from, on_result_alloc, on_results);
    }
    return 0;
}

int batchpool_idle(const struct batchpool *p, unsigned max_inflight)
{
    int best = -1;
    for (unsigned i = 0; i < p->n; i++)
        if (p->w[i].inflight < max_inflight && (best < 0 || p->w[i].inflight < p->w[best].inflight))
            best = (int)i;
    return best;
}

static void on_batch_written(uv_write_t *req, int status)
{
    struct sendreq *s = (struct sendreq *)req;
    struct bworker *w = req->data;
    if (status < 0 && !w->pool->closing && w->pool->fail)
        w->pool->fail(w->pool->ctx, "writing a batch to a worker failed");
    buf_free(&s->b);
    free(s);
}

int batchpool_send(struct batchpool *p, int wi, uint64_t index, const struct sensor_record *r, size_t n)
{
    struct bworker *w = &p->w[wi];
    struct sendreq *s = calloc(1, sizeof *s);
    struct buf body = BUF_INIT;
    if (!s || batch_encode(&body, index, r, n) < 0 || frame_append(&s->b, body.data, body.len) < 0) {
        buf_free(&body);
        if (s)
            buf_free(&s->b);
        free(s);
        errno = ENOMEM;
        return -1;
    }
    buf_free(&body);
    p->ipc_bytes += s->b.len;
    s->req.data = w;
    uv_buf_t ub = uv_buf_init((char *)s->b.data, (unsigned)s->b.len);
    if (uv_write(&s->req, (uv_stream_t *)&w->to, &ub, 1, on_batch_written) < 0) {
        buf_free(&s->b);
        free(s);
        errno = EPIPE;
        return -1;
    }
    w->inflight++;
    return 0;
}

unsigned batchpool_workers(const struct batchpool *p) { return p->n; }
uint64_t batchpool_ipc_bytes(const struct batchpool *p) { return p->ipc_bytes; }

static void on_pipe_closed(uv_handle_t *h)
{
    struct bworker *w = h->data;
    w->open--;
}

void batchpool_close(struct batchpool *p)
{
    p->closing = 1;
    for (unsigned i = 0; i < p->n; i++) {
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
    for (unsigned i = 0; i < p->n; i++) {
        struct bworker *w = &p->w[i];
        if (w->to_fd >= 0)
            close(w->to_fd);
        if (w->from_fd >= 0)
            close(w->from_fd);
    }
    for (unsigned i = 0; i < p->n; i++) {
        struct bworker *w = &p->w[i];
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
