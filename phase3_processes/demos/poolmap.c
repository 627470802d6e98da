/* poolmap.c: the fork pool behind bin/poolmap (see poolmap.h).
 *
 * Per worker two pipes: chunks in, mapped chunks out. A frame (lib/frame.h) is
 * an 8-byte start index and the int64 values. The parent poll()s the result
 * pipes and gives each worker its next chunk as soon as it returns one: dynamic
 * scheduling, so an unlucky chunk full of big primes does not hold everyone up. */
#include "poolmap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "frame.h"
#include "param.h"

/* What a mapping worker needs: the function and its two pipe ends. */
struct mapper {
    poolmap_fn fn;
    int in, out;                        /* chunks in, mapped chunks out */
};

/* A mapping worker (run by child_spawn): chunks in, mapped chunks out, until EOF. */
static int mapper_main(void *arg)
{
    const struct mapper *m = arg;
    struct buf f = BUF_INIT;
    int r;
    while ((r = frame_read(m->in, &f)) == 1 && f.len >= 8 && (f.len - 8) % 8 == 0) {
        int64_t *v = (int64_t *)(void *)(f.data + 8);   /* buf data is malloc-aligned */
        for (size_t i = 0; i < (f.len - 8) / 8; i++)
            v[i] = m->fn(v[i]);
        if (frame_write(m->out, f.data, f.len) < 0)
            break;
    }
    buf_free(&f);
    return r == 0 ? 0 : 1;      /* 0: EOF, the parent is done; else a bad frame or write */
}

/* Start worker w running fn(arg), keeping only the fds in keep (child.h closes
 * the rest: the older workers' parent ends, so their pipes still see EOF).
 * Returns its pid, or -1 with a reason in err. */
static pid_t start_worker(unsigned w, child_fn fn, void *arg, const int *keep, unsigned nkeep,
                          char *err, size_t errlen)
{
    struct child_opts o = { .keep = keep, .nkeep = nkeep };
    pid_t pid = child_spawn(&o, fn, arg);
    if (pid < 0)
        snprintf(err, errlen, "fork() failed spawning worker %u: %s", w, strerror(errno));
    return pid;
}

/* Close the write ends (EOF: the workers leave), reap every worker (killed
 * first when the run failed), close the read ends. */
static void stop_workers(const int *to, const int *from, const pid_t *pid, unsigned n, int kill_them)
{
    for (unsigned w = 0; to && w < n; w++)
        close(to[w]);
    for (unsigned w = 0; w < n; w++) {
        if (kill_them)
            kill(pid[w], SIGKILL);
        while (waitpid(pid[w], NULL, 0) < 0 && errno == EINTR)
            ;
        close(from[w]);
    }
}

static int send_chunk(int fd, const int64_t *in, size_t n, size_t start, size_t chunk, struct buf *b)
{
    size_t len = n - start < chunk ? n - start : chunk;
    uint64_t s = start;
    buf_reset(b);
    if (buf_append(b, &s, 8) < 0 || buf_append(b, in + start, len * 8) < 0)
        return -1;
    return frame_write(fd, b->data, b->len);
}

/* The parent's side of poolmap_run once the workers run: hand out chunks,
 * put each mapped chunk at its place, give its worker the next. Returns 0 when
 * all n results came back, or -1 with a reason in err. */
static int scatter_gather(const int64_t *in, int64_t *out, size_t n, size_t chunk, unsigned workers,
                          const int *to, const int *from, char *err, size_t errlen)
{
    struct buf b = BUF_INIT;
    size_t next = 0, done_elems = 0;
    unsigned busy = 0;
    int working[WORKERS_MAX] = { 0 }, rc = -1;
    for (unsigned w = 0; w < workers && next < n; w++, next += chunk) {
        if (send_chunk(to[w], in, n, next, chunk, &b) < 0)
            goto io;
        working[w] = 1, busy++;
    }
    struct pollfd pfd[WORKERS_MAX];
    while (busy) {
        for (unsigned w = 0; w < workers; w++)
            pfd[w] = (struct pollfd){ .fd = working[w] ? from[w] : -1, .events = POLLIN };
        if (poll(pfd, workers, -1) < 0) {
            if (errno == EINTR)
                continue;
            goto io;
        }
        for (unsigned w = 0; w < workers; w++) {
            if (!working[w] || !(pfd[w].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (frame_read(from[w], &b) != 1 || b.len < 8)
                goto died;
            uint64_t start;
            memcpy(&start, b.data, 8);
            size_t len = (b.len - 8) / 8;
            if (start >= n || len > n - start)
                goto died;
            memcpy(out + start, b.data + 8, len * 8);
            done_elems += len;
            working[w] = 0, busy--;
            if (next < n) {
                if (send_chunk(to[w], in, n, next, chunk, &b) < 0)
                    goto io;
                next += chunk;
                working[w] = 1, busy++;
            }
        }
    }
    rc = done_elems == n ? 0 : -1;
    if (rc < 0)
        snprintf(err, errlen, "only %zu of %zu results came back", done_elems, n);
    goto out;
io:
    snprintf(err, errlen, "pipe I/O with a worker failed: %s", strerror(errno));
    goto out;
died:
    snprintf(err, errlen, "a worker died or sent a malformed chunk");
out:
    buf_free(&b);
    return rc;
}

int poolmap_run(poolmap_fn fn, const int64_t *in, int64_t *out, size_t n, unsigned workers,
                size_t chunk, char *err, size_t errlen)
{
    if (workers == 0) {                 /* the sequential reference */
        for (size_t i = 0; i < n; i++)
            out[i] = fn(in[i]);
        return 0;
    }
    if (chunk == 0)
        chunk = 1;
    if (workers > WORKERS_MAX)
        workers = WORKERS_MAX;
    int to[WORKERS_MAX], from[WORKERS_MAX];
    pid_t pid[WORKERS_MAX];
    unsigned started = 0;
    int rc = -1;
    for (; started < workers; started++) {
        int a[2], c[2];
        if (pipe2(a, O_CLOEXEC) < 0) {
            snprintf(err, errlen, "pipe() failed spawning worker %u: %s", started, strerror(errno));
            goto out;
        }
        if (pipe2(c, O_CLOEXEC) < 0) {
            snprintf(err, errlen, "pipe() failed spawning worker %u: %s", started, strerror(errno));
            close(a[0]), close(a[1]);
            goto out;
        }
        struct mapper m = { fn, a[0], c[1] };
        pid_t p = start_worker(started, mapper_main, &m, (int[]){ a[0], c[1] }, 2, err, errlen);
        close(a[0]), close(c[1]);
        if (p < 0) {
            close(a[1]), close(c[0]);
            goto out;
        }
        to[started] = a[1], from[started] = c[0], pid[started] = p;
    }
    rc = scatter_gather(in, out, n, chunk, workers, to, from, err, errlen);
out:
    stop_workers(to, from, pid, started, rc < 0);
    return rc;
}

/* ------------------------------------------------------------ byte ranges */

/* floor(len * w / workers), without overflow. */
static size_t cut(size_t len, unsigned w, unsigned workers)
{
    return len / workers * w + len % workers * w / workers;
}

/* Worker w of poolmap_ranges: its range, its result down the pipe. */
struct ranger {
    poolmap_range_fn fn;
    const char *data;
    size_t len, begin, end, result_size;
    int out;
};

static int ranger_main(void *arg)
{
    const struct ranger *r = arg;
    unsigned char res[POOLMAP_RESULT_MAX];
    if (r->fn(r->data, r->len, r->begin, r->end, res) < 0)
        return 1;
    /* At most PIPE_BUF bytes: one write, all or nothing. */
    return write(r->out, res, r->result_size) == (ssize_t)r->result_size ? 0 : 1;
}

int poolmap_ranges(poolmap_range_fn fn, const char *data, size_t len, unsigned workers,
                   void *results, size_t result_size, char *err, size_t errlen)
{
    if (result_size > POOLMAP_RESULT_MAX) {
        snprintf(err, errlen, "a range result of %zu bytes is over %d", result_size, POOLMAP_RESULT_MAX);
        return -1;
    }
    if (workers == 0) {                 /* the sequential reference: the same function */
        if (fn(data, len, 0, len, results) < 0) {
            snprintf(err, errlen, "the range function failed");
            return -1;
        }
        return 0;
    }
    if (workers > WORKERS_MAX)
        workers = WORKERS_MAX;
    int from[WORKERS_MAX];
    pid_t pid[WORKERS_MAX];
    unsigned started = 0;
    int rc = -1;
    for (; started < workers; started++) {
        int c[2];
        if (pipe2(c, O_CLOEXEC) < 0) {
            snprintf(err, errlen, "pipe() failed spawning worker %u: %s", started, strerror(errno));
            goto out;
        }
        /* Range w is [w*len/W, (w+1)*len/W): equal bytes, so about equal
         * lines; the function moves each cut to a line boundary. */
        struct ranger r = { fn, data, len, cut(len, started, workers), cut(len, started + 1, workers),
                            result_size, c[1] };
        pid_t p = start_worker(started, ranger_main, &r, &c[1], 1, err, errlen);
        close(c[1]);
        if (p < 0) {
            close(c[0]);
            goto out;
        }
        from[started] = c[0], pid[started] = p;
    }
    rc = 0;
    for (unsigned w = 0; w < workers; w++) {
        ssize_t k;
        while ((k = read(from[w], (char *)results + (size_t)w * result_size, result_size)) < 0 &&
               errno == EINTR)
            ;
        if (k != (ssize_t)result_size && rc == 0) {
            snprintf(err, errlen, "worker %u died or failed before sending its result%s%s", w,
                     k < 0 ? ": " : "", k < 0 ? strerror(errno) : "");
            rc = -1;
        }
    }
out:
    stop_workers(NULL, from, pid, started, rc < 0);
    return rc;
}
