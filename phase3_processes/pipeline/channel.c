/* channel.c: a framed, non-blocking socketpair end on a libuv loop (see channel.h).
 *
 * The fd is polled with uv_poll_t and read/written here with plain read() and
 * write(), each call timed and added to c->io with the bytes it moved: what the
 * system calls cost this side, copy included (iocost.h splits the two). It is
 * CPU time (thread_cpu_ns), not wall time: on a machine with more runnable
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

static void channel_on_poll(uv_poll_t *h, int status, int events);

static void channel_set_events(struct channel *c)
{
    if (c->dead)
        return;
    unsigned ev = 0;
    if (!c->paused)
        ev |= UV_READABLE;
    if (channel_pending(c) > 0)
        ev |= UV_WRITABLE;
    if (ev == c->events)
        return;
    c->events = ev;
    if (ev)
        uv_poll_start(&c->poll, (int)ev, channel_on_poll);
    else
        uv_poll_stop(&c->poll);
}

static void channel_die(struct channel *c, int err)
{
    if (c->dead)
        return;
    c->dead = 1;
    c->events = 0;
    uv_poll_stop(&c->poll);
    if (c->on_dead)
        c->on_dead(c, err, c->data);
}

struct channel *channel_open(uv_loop_t *loop, int fd, channel_frame_fn on_frame, channel_dead_fn on_dead,
                       void *data)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return NULL;
    struct channel *c = calloc(1, sizeof *c);
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
    channel_set_events(c);
    return c;
}

struct buf *channel_outbuf(struct channel *c)
{
    return &c->out;
}

uint8_t *channel_put_begin(struct channel *c, uint8_t kind, size_t len)
{
    if (len + 1 > FRAME_MAX) {
        errno = EMSGSIZE;
        return NULL;
    }
    if (buf_reserve(&c->out, FRAME_HDR + 1 + len) < 0)
        return NULL;
    uint8_t *p = c->out.data + c->out.len;
    frame_hdr_put(p, len + 1);
    p[FRAME_HDR] = kind;
    c->out.len += FRAME_HDR + 1 + len;
    return p + FRAME_HDR + 1;
}

int channel_put(struct channel *c, uint8_t kind, const void *body, size_t len)
{
    uint8_t *p = channel_put_begin(c, kind, len);
    if (!p)
        return -1;
    if (len)
        memcpy(p, body, len);
    return 0;
}

size_t channel_pending(const struct channel *c)
{
    return c->out.len - c->out_off;
}

int channel_flush(struct channel *c)
{
    if (c->dead)
        return -1;
    while (c->out_off < c->out.len) {
        uint64_t t0 = thread_cpu_ns();
        ssize_t w = write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);
        iocost_add(&c->io, w > 0 ? (size_t)w : 0, thread_cpu_ns() - t0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            channel_die(c, -errno);    /* EPIPE, ECONNRESET: the peer is gone */
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
    channel_set_events(c);
    return 0;
}

/* Hand out complete frames until the owner says stop. 1: frames remain. */
static int channel_deliver(struct channel *c)
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
            channel_die(c, -errno);
            return -1;
        }
        if (c->on_frame(c, body, len, c->data) < 0)
            return c->dead ? -1 : 1;
    }
}

int channel_drain(struct channel *c)
{
    return channel_deliver(c);
}

/* One read pass: up to CHAN_READ_MAX bytes straight into the framer's buffer
 * (framer_space: the bytes are copied once, by the kernel). Returns 1 on
 * data, 0 if nothing was there, -1 if dead. */
static int channel_read_some(struct channel *c, int *eof)
{
    size_t total = 0;
    *eof = 0;
    while (total < CHAN_READ_MAX) {
        uint8_t *dst = framer_space(&c->in, CHAN_READ_CHUNK);
        if (!dst) {
            channel_die(c, -ENOMEM);
            return -1;
        }
        uint64_t t0 = thread_cpu_ns();
        ssize_t r = read(c->fd, dst, CHAN_READ_CHUNK);
        iocost_add(&c->io, r > 0 ? (size_t)r : 0, thread_cpu_ns() - t0);
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
        framer_commit(&c->in, (size_t)r);
        total += (size_t)r;
        if ((size_t)r < CHAN_READ_CHUNK)
            break;              /* the socket is probably empty: save a read() that says EAGAIN */
    }
    return total > 0;
}

static void channel_on_poll(uv_poll_t *h, int status, int events)
{
    struct channel *c = h->data;
    if (status < 0) {
        channel_die(c, status);
        return;
    }
    if (events & UV_WRITABLE) {
        if (channel_flush(c) < 0)
            return;
    }
    if ((events & (UV_READABLE | UV_DISCONNECT)) && !c->paused) {
        int eof;
        channel_read_some(c, &eof);
        if (c->dead)
            return;
        if (channel_deliver(c) < 0)
            return;
        if (eof)
            channel_die(c, eof > 0 ? 0 : eof);
    }
}

void channel_pause(struct channel *c, int paused)
{
    c->paused = paused;
    channel_set_events(c);
}

void channel_read_rest(struct channel *c)
{
    /* Deliver what is already there, with on_dead silenced: the owner is
     * accounting for this death already. */
    channel_dead_fn saved = c->on_dead;
    c->on_dead = NULL;
    c->dead = 0;
    int eof;
    while (channel_read_some(c, &eof) > 0 && !eof && !c->dead)
        ;
    channel_deliver(c);
    c->dead = 1;
    c->on_dead = saved;
    uv_poll_stop(&c->poll);
}

static void channel_on_close(uv_handle_t *h)
{
    struct channel *c = h->data;
    if (c->on_closed)
        c->on_closed(c);
    close(c->fd);               /* only now: libuv must not poll a closed fd */
    framer_free(&c->in);
    buf_free(&c->out);
    free(c);
}

void channel_close(struct channel *c)
{
    c->dead = 1;
    c->on_frame = NULL;
    c->on_dead = NULL;
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, channel_on_close);
}
