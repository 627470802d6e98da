/* channel.c: a framed, non-blocking socketpair end on a libuv loop (see channel.h).
 *
 * The fd is polled with uv_poll_t and read/written here with plain read() and
 * write(), each call timed: io_ns is what the kernel copy costs this side. It
 * is CPU time (thread_cpu_ns), not wall time: on a machine with more runnable
 * processes than cores a wall clock around a syscall also counts the time the
 * process sat preempted, which is not a cost of the channel. */
#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "param.h"
#include "timing.h"

static void chan_on_poll(uv_poll_t *h, int status, int events);

static void chan_set_events(struct chan *c)
{
    if (c->dead)
        return;
    unsigned ev = 0;
    if (!c->paused)
        ev |= UV_READABLE;
    if (chan_pending(c) > 0)
        ev |= UV_WRITABLE;
    if (ev == c->events)
        return;
    c->events = ev;
    if (ev)
        uv_poll_start(&c->poll, (int)ev, chan_on_poll);
    else
        uv_poll_stop(&c->poll);
}

static void chan_die(struct chan *c, int err)
{
    if (c->dead)
        return;
    c->dead = 1;
    c->events = 0;
    uv_poll_stop(&c->poll);
    if (c->on_dead)
        c->on_dead(c, err, c->data);
}

struct chan *chan_open(uv_loop_t *loop, int fd, chan_frame_fn on_frame, chan_dead_fn on_dead,
                       void *data)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return NULL;
    struct chan *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    c->on_frame = on_frame;
    c->on_dead = on_dead;
    c->data = data;
    framer_init(&c->in);
    c->out = (struct buf)BUF_INIT;
    int rc = uv_poll_init(loop, &c->poll, fd);
    if (rc < 0) {
        free(c);
        errno = -rc;
        return NULL;
    }
    c->poll.data = c;
    chan_set_events(c);
    return c;
}

struct buf *chan_outbuf(struct chan *c)
{
    return &c->out;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

uint8_t *chan_put_begin(struct chan *c, uint8_t kind, size_t len)
{
    if (len + 1 > FRAME_MAX) {
        errno = EMSGSIZE;
        return NULL;
    }
    if (buf_reserve(&c->out, FRAME_HDR + 1 + len) < 0)
        return NULL;
    uint8_t *p = c->out.data + c->out.len;
    put_le32(p, (uint32_t)(len + 1));
    p[FRAME_HDR] = kind;
    c->out.len += FRAME_HDR + 1 + len;
    return p + FRAME_HDR + 1;
}

int chan_put(struct chan *c, uint8_t kind, const void *body, size_t len)
{
    uint8_t *p = chan_put_begin(c, kind, len);
    if (!p)
        return -1;
    if (len)
        memcpy(p, body, len);
    return 0;
}

size_t chan_pending(const struct chan *c)
{
    return c->out.len - c->out_off;
}

int chan_flush(struct chan *c)
{
    if (c->dead)
        return -1;
    while (c->out_off < c->out.len) {
        uint64_t t0 = thread_cpu_ns();
        ssize_t w = write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);
        c->io_ns += thread_cpu_ns() - t0;
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            chan_die(c, -errno);    /* EPIPE, ECONNRESET: the peer is gone */
            return -1;
        }
        c->writes++;
        c->bytes_out += (uint64_t)w;
        c->out_off += (size_t)w;
    }
    if (c->out_off == c->out.len) {
        c->out.len = 0;         /* everything went: reuse the memory from the start */
        c->out_off = 0;
    }
    chan_set_events(c);
    return 0;
}

/* Hand out complete frames until the owner says stop. 1: frames remain. */
static int chan_deliver(struct chan *c)
{
    const uint8_t *body;
    size_t len;
    for (;;) {
        if (c->dead)
            return -1;
        int rc = framer_next(&c->in, &body, &len);
        if (rc == 0)
            return 0;
        if (rc < 0) {
            chan_die(c, -errno);
            return -1;
        }
        if (c->on_frame(c, body, len, c->data) < 0)
            return c->dead ? -1 : 1;
    }
}

int chan_drain(struct chan *c)
{
    return chan_deliver(c);
}

/* One read pass: up to CHAN_READ_MAX bytes straight into the framer's buffer
 * (the framer's compaction rule repeated here so the bytes are copied once, by
 * the kernel). Returns 1 on data, 0 if nothing was there, -1 if dead. */
static int chan_read_some(struct chan *c, int *eof)
{
    struct framer *f = &c->in;
    size_t total = 0;
    *eof = 0;
    while (total < CHAN_READ_MAX) {
        if (f->off == f->in.len) {
            f->in.len = 0;
            f->off = 0;
        } else if (f->off > 0 && f->off >= f->in.len / 2) {
            buf_consume(&f->in, f->off);
            f->off = 0;
        }
        if (buf_reserve(&f->in, CHAN_READ_CHUNK) < 0) {
            chan_die(c, -ENOMEM);
            return -1;
        }
        uint64_t t0 = thread_cpu_ns();
        ssize_t r = read(c->fd, f->in.data + f->in.len, CHAN_READ_CHUNK);
        c->io_ns += thread_cpu_ns() - t0;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            *eof = -errno;
            break;
        }
        if (r == 0) {
            *eof = 1;
            break;
        }
        c->reads++;
        c->bytes_in += (uint64_t)r;
        f->in.len += (size_t)r;
        total += (size_t)r;
        if ((size_t)r < CHAN_READ_CHUNK)
            break;              /* the socket is probably empty: save a read() that says EAGAIN */
    }
    return total > 0;
}

static void chan_on_poll(uv_poll_t *h, int status, int events)
{
    struct chan *c = h->data;
    if (status < 0) {
        chan_die(c, status);
        return;
    }
    if (events & UV_WRITABLE) {
        if (chan_flush(c) < 0)
            return;
    }
    if ((events & (UV_READABLE | UV_DISCONNECT)) && !c->paused) {
        int eof;
        chan_read_some(c, &eof);
        if (c->dead)
            return;
        if (chan_deliver(c) < 0)
            return;
        if (eof)
            chan_die(c, eof > 0 ? 0 : eof);
    }
}

void chan_pause(struct chan *c, int paused)
{
    c->paused = paused;
    chan_set_events(c);
}

void chan_read_rest(struct chan *c)
{
    /* Deliver what is already there, with on_dead silenced: the owner is
     * accounting for this death already. */
    chan_dead_fn saved = c->on_dead;
    c->on_dead = NULL;
    c->dead = 0;
    int eof;
    while (chan_read_some(c, &eof) > 0 && !eof && !c->dead)
        ;
    chan_deliver(c);
    c->dead = 1;
    c->on_dead = saved;
    uv_poll_stop(&c->poll);
}

static void chan_on_close(uv_handle_t *h)
{
    struct chan *c = h->data;
    if (c->on_closed)
        c->on_closed(c);
    close(c->fd);               /* only now: libuv must not poll a closed fd */
    framer_free(&c->in);
    buf_free(&c->out);
    free(c);
}

void chan_close(struct chan *c)
{
    c->dead = 1;
    c->on_frame = NULL;
    c->on_dead = NULL;
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, chan_on_close);
}
