/* recovery.h: what the supervisor keeps per worker slot so that a worker can
 * die at any moment without losing a message (--recovery on):
 *
 *   checkpoint  the slot's keys as of exactly `ckpt_applied` of its messages,
 *               sent by the worker (only the keys that changed each time) and
 *               committed only once complete: a worker that dies halfway
 *               through sending one leaves the previous one in force;
 *   replay log  every message frame routed to the slot after that boundary,
 *               byte for byte as it went down the channel, oldest first.
 *
 * Invariant: ckpt_applied + log_n == messages ever routed to the slot. So the
 * checkpoint followed by the log, in order, is every message of the slot
 * exactly once, and that is what a respawned worker gets. The whole design
 * (why exactly once holds, how memory is bounded) is at the top of recovery.c. */
#ifndef P3_RECOVERY_H
#define P3_RECOVERY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "registry.h"
#include "wire.h"

struct recovery {
    struct registry *ckpt;      /* the committed checkpoint: key -> state */
    uint64_t ckpt_applied;      /* slot messages inside it (all incarnations) */
    uint64_t ckpt_seq;          /* stream seq of the last of them (valid when ckpt_applied > 0) */
    struct buf staged;          /* rows of a checkpoint still arriving (struct keystate each) */
    struct buf log;             /* frames routed after the checkpoint, from log_off on */
    size_t log_off;             /* first live byte of log */
    uint64_t log_n;             /* frames in the log */
    uint64_t log_peak_n;        /* the most frames it ever held */
    size_t log_peak_bytes;      /* the most bytes it ever held */
};

/* An empty record (no checkpoint: a worker starts from nothing). 0, or -1 ENOMEM. */
int recovery_init(struct recovery *r);

/* Append one whole frame (header included) that was just routed to the slot.
 * Returns 0, or -1 with ENOMEM. */
int recovery_log(struct recovery *r, const uint8_t *frame, size_t len);

/* Bytes held in the log. */
size_t recovery_log_bytes(const struct recovery *r);

/* Stage the body of a CKPT_ROWS frame (whole keystates). 0, or -1 with errno
 * EBADMSG (not a whole number of rows) or ENOMEM. */
int recovery_stage(struct recovery *r, const uint8_t *rows, size_t len);

/* A CKPT_END: fold the staged rows into the checkpoint, move the boundary to
 * c->applied and drop the log's frames up to it. Returns the number of frames
 * dropped, or -1 with errno EBADMSG if c does not fit (a boundary outside the
 * log, a row count that is not what was staged) or ENOMEM; the record is then
 * unchanged. */
long recovery_commit(struct recovery *r, const struct wire_ckpt *c);

/* Forget staged rows (their worker died before CKPT_END). */
void recovery_abort(struct recovery *r);

/* Append every frame of the log to out (the replay for a respawned worker).
 * Returns 0, or -1 with ENOMEM. */
int recovery_replay(const struct recovery *r, struct buf *out);

void recovery_free(struct recovery *r);

#endif
