/* recovery.c: a slot's checkpoint and replay log (see recovery.h).
 *
 * The log is one byte buffer of whole frames, exactly the bytes that went down
 * the channel, so a replay is a single copy into the new channel's output and
 * costs no second encoding. Frames carry their own length, so trimming walks
 * the headers; the consumed front is dropped once it is half the buffer (the
 * framer's rule), which keeps the cost per byte constant. */
#include "recovery.h"

#include <errno.h>
#include <string.h>

#include "frame.h"

int recovery_init(struct recovery *r)
{
    memset(r, 0, sizeof *r);
    r->staged = (struct buf)BUF_INIT;
    r->log = (struct buf)BUF_INIT;
    r->ckpt = registry_new();
    return r->ckpt ? 0 : -1;
}

int recovery_log(struct recovery *r, const uint8_t *frame, size_t len)
{
    if (r->log_off > 0 && r->log_off >= r->log.len / 2) {
        buf_consume(&r->log, r->log_off);
        r->log_off = 0;
    }
    if (buf_append(&r->log, frame, len) < 0)
        return -1;
    r->log_n++;
    if (r->log_n > r->log_peak_n)
        r->log_peak_n = r->log_n;
    if (recovery_log_bytes(r) > r->log_peak_bytes)
        r->log_peak_bytes = recovery_log_bytes(r);
    return 0;
}

size_t recovery_log_bytes(const struct recovery *r)
{
    return r->log.len - r->log_off;
}

int recovery_stage(struct recovery *r, const uint8_t *rows, size_t len)
{
    if (len % sizeof(struct keystate) != 0) {
        errno = EBADMSG;
        return -1;
    }
    return buf_append(&r->staged, rows, len);
}

/* The byte offset just past the first n frames of the log, or -1 if the log
 * holds fewer (or a header is inconsistent, which would be our own bug). */
static long log_skip(const struct recovery *r, uint64_t n)
{
    size_t off = r->log_off;
    for (uint64_t i = 0; i < n; i++) {
        if (r->log.len - off < FRAME_HDR)
            return -1;
        const uint8_t *p = r->log.data + off;
        size_t body = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
        if (r->log.len - off - FRAME_HDR < body)
            return -1;
        off += FRAME_HDR + body;
    }
    return (long)off;
}

long recovery_commit(struct recovery *r, const struct wire_ckpt *c)
{
    size_t nrows = r->staged.len / sizeof(struct keystate);
    if (c->applied < r->ckpt_applied || c->applied - r->ckpt_applied > r->log_n || c->rows != nrows) {
        errno = EBADMSG;
        return -1;
    }
    uint64_t drop = c->applied - r->ckpt_applied;
    long off = log_skip(r, drop);
    if (off < 0) {
        errno = EBADMSG;
        return -1;
    }
    for (size_t i = 0; i < nrows; i++) {
        struct keystate ks;
        memcpy(&ks, r->staged.data + i * sizeof ks, sizeof ks);
        ks.key[KEY_MAX] = '\0';
        if (registry_put(r->ckpt, &ks) < 0)
            return -1;          /* rows before i are in, the boundary unmoved: a replay over
                                 * them is still applied once (the workers' per-key seq guard),
                                 * and the supervisor gives up on ENOMEM anyway */
    }
    buf_reset(&r->staged);
    r->log_off = (size_t)off;
    r->log_n -= drop;
    if (r->log_n == 0) {
        r->log.len = 0;         /* empty: reuse the memory from the start */
        r->log_off = 0;
    }
    r->ckpt_applied = c->applied;
    if (c->applied > 0)
        r->ckpt_seq = c->last_seq;
    return (long)drop;
}

void recovery_abort(struct recovery *r)
{
    buf_reset(&r->staged);
}

int recovery_replay(const struct recovery *r, struct buf *out)
{
    size_t n = recovery_log_bytes(r);
    return n ? buf_append(out, r->log.data + r->log_off, n) : 0;
}

void recovery_free(struct recovery *r)
{
    registry_free(r->ckpt);
    r->ckpt = NULL;
    buf_free(&r->staged);
    buf_free(&r->log);
}
