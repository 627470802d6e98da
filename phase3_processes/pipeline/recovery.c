/* recovery.c: a slot's checkpoint and replay log (see recovery.h).
 *
 * The log is one byte buffer of whole frames, exactly the bytes that went down
 * the channel, so a replay is a single copy into the new channel's output and
 * costs no second encoding. Frames carry their own length, so trimming walks
 * the headers; the consumed front is dropped once it is half the buffer (the
 * framer's rule), which keeps the cost per byte constant.
 *
 * Zero-loss recovery (--recovery on, the default): a worker may be SIGKILLed at
 * any moment and every message is still applied exactly once. Three pieces:
 *   checkpoint   every --checkpoint-every messages routed to a slot, or every
 *                --checkpoint-ms, or when its replay log fills, the supervisor
 *                asks the worker (CKPT_REQ, on the query channel so it does not
 *                queue behind data). At the end of its current slice the worker
 *                sends the rows of the keys it changed since its last checkpoint
 *                and CKPT_END{applied = A}: "these rows are my keys after exactly
 *                A messages of this slot". The supervisor stages the rows and
 *                folds them into the slot's checkpoint only when CKPT_END
 *                arrives (recovery_commit below), so a worker killed halfway through
 *                sending leaves the previous checkpoint in force.
 *   replay log   every frame routed to a slot is also copied, as is, into the
 *                slot's log; a committed checkpoint drops the log's first
 *                A - A_previous frames.
 *   respawn      a worker that dies is reaped, whatever it sent before dying is
 *                read (a CKPT_END among it still commits), the staged rows are
 *                dropped, and a new worker is forked into the same slot. Being
 *                a fork of the supervisor it inherits the checkpoint in its copy
 *                of memory and copies the rows into its registry; then the whole
 *                log is written to it, before any new message. Also while
 *                draining: the pill follows the replay.
 * Why exactly once. Invariant: checkpoint messages + log frames = messages
 * routed to the slot, in order (A is counted in whole messages, the worker
 * checkpoints only between two messages, and the channel is FIFO). The new
 * worker starts from the state after messages 0..A-1 and is sent A.. in order,
 * so each message takes effect once: messages the dead worker had applied after
 * its checkpoint are rolled back with it and applied again, never added twice.
 * A second guard in the worker: a message whose seq is not after its key's
 * last_seq was already applied and is skipped (counted as dups; 0 when the
 * boundary is exact, which the tests check).
 * Memory stays bounded: a log holds at most --replay-max messages and about
 * --replay-max-bytes bytes; a full log stops the pump exactly like the credit
 * window (back-pressure: input waits, nothing is dropped) and asks for a
 * checkpoint, which empties the log of everything the worker has applied. The
 * checkpoint itself is one row per key the slot ever saw. The price, reported
 * in the summary: one extra copy of every frame, and the checkpoints' bytes
 * and time. --recovery off keeps the old lesson: a death loses the worker's
 * state and what was in flight, and the summary counts it. */
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
        size_t body = frame_hdr_get(p);
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
