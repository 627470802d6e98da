/* frame.c: length-prefixed frames over a byte stream (see frame.h).
 *
 * A pipe or socket is a byte stream: one write() may arrive as several read()s
 * and several writes as one read. The 4-byte length prefix puts the message
 * boundaries back; everything below exists because read() and write() may move
 * fewer bytes than asked, and may be interrupted by a signal (EINTR). */
#include "frame.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "le.h"
#include "param.h"

int fd_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int fd_read_all(int fd, void *p, size_t n)
{
    uint8_t *c = p;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, c + got, n - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0) {
            if (got == 0)
                return 0;
            errno = EPROTO;
            return -1;
        }
        got += (size_t)r;
    }
    return 1;
}

int frame_write(int fd, const void *body, size_t len)
{
    if (len > FRAME_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    uint8_t hdr[FRAME_HDR];
    frame_hdr_put(hdr, len);
    /* One writev() sends header and body in one system call without copying the
     * body next to the header first; two write()s would cost a second syscall
     * (and, on a pipe, could wake the reader for a 4-byte read). */
    struct iovec iov[2] = {
        { .iov_base = hdr, .iov_len = FRAME_HDR },
        { .iov_base = (void *)body, .iov_len = len },
    };
    size_t total = FRAME_HDR + len;
    ssize_t w;
    do
        w = writev(fd, iov, len ? 2 : 1);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return -1;
    if ((size_t)w == total)
        return 0;
    /* A partial write (full pipe, signal): finish with plain writes. */
    size_t done = (size_t)w;
    if (done < FRAME_HDR) {
        if (fd_write_all(fd, hdr + done, FRAME_HDR - done) < 0)
            return -1;
        done = FRAME_HDR;
    }
    return fd_write_all(fd, (const uint8_t *)body + (done - FRAME_HDR), total - done);
}

int frame_read(int fd, struct buf *body)
{
    uint8_t hdr[FRAME_HDR];
    int rc = fd_read_all(fd, hdr, FRAME_HDR);
    if (rc <= 0)
        return rc;              /* 0: clean EOF between frames; -1: errno set (EPROTO mid-header) */
    size_t len = frame_hdr_get(hdr);
    if (len > FRAME_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    buf_reset(body);
    if (buf_reserve(body, len) < 0)
        return -1;
    if (len == 0)
        return 1;
    rc = fd_read_all(fd, body->data, len);
    if (rc == 0) {              /* EOF right after the header: still a truncated frame */
        errno = EPROTO;
        return -1;
    }
    if (rc < 0)
        return -1;
    body->len = len;
    return 1;
}

void frame_hdr_put(uint8_t *p, size_t len)
{
    le_put32(p, (uint32_t)len);
}

size_t frame_hdr_get(const uint8_t *p)
{
    return le_get32(p);
}

int frame_append(struct buf *out, const void *body, size_t len)
{
    if (len > FRAME_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    if (buf_reserve(out, FRAME_HDR + len) < 0)
        return -1;
    frame_hdr_put(out->data + out->len, len);
    out->len += FRAME_HDR;
    return buf_append(out, body, len);  /* cannot fail now: the room is reserved */
}

void framer_init(struct framer *f)
{
    f->in = (struct buf)BUF_INIT;
    f->off = 0;
}

uint8_t *framer_space(struct framer *f, size_t n)
{
    /* Frames handed out by framer_next die here, so this is where consumed bytes
     * can go. Moving the tail to the front only once the consumed part is at
     * least half the buffer keeps the copying O(1) per byte on average while
     * memory stays bounded by about twice the largest frame plus one feed. */
    if (f->off == f->in.len) {
        f->in.len = 0;
        f->off = 0;
    } else if (f->off > 0 && f->off >= f->in.len / 2) {
        buf_consume(&f->in, f->off);
        f->off = 0;
    }
    if (buf_reserve(&f->in, n) < 0)
        return NULL;
    return f->in.data + f->in.len;
}

void framer_commit(struct framer *f, size_t n)
{
    f->in.len += n;
}

int framer_feed(struct framer *f, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    uint8_t *dst = framer_space(f, n);
    if (!dst)
        return -1;
    memcpy(dst, p, n);
    framer_commit(f, n);
    return 0;
}

int framer_next(struct framer *f, const uint8_t **body, size_t *len)
{
    size_t avail = f->in.len - f->off;
    if (avail < FRAME_HDR)
        return 0;
    size_t n = frame_hdr_get(f->in.data + f->off);
    if (n > FRAME_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    if (avail - FRAME_HDR < n)
        return 0;
    *body = f->in.data + f->off + FRAME_HDR;
    *len = n;
    f->off += FRAME_HDR + n;
    return 1;
}

void framer_free(struct framer *f)
{
    buf_free(&f->in);
    f->off = 0;
}
