/* wire.h: what the supervisor and a worker say to each other.
 *
 * Every frame (lib/frame.h) starts with one kind byte. Messages travel encoded
 * with the run's --codec (the lesson: a message must be serialized to cross a
 * process boundary). The small control frames (acks, queries, reports) are
 * fixed C structs copied as bytes: both ends are the same binary on the same
 * machine (the worker is a fork of the supervisor, never exec'd), so layout
 * and byte order agree by construction; this would not hold across machines.
 *
 * Two socketpairs per worker:
 *   data   down: MSG* then PILL             up: ACK*, CKPT_ROWS* CKPT_END (a checkpoint),
 *                                               then REPORT, ROW*, END
 *   query  down: GET, PING, CKPT_REQ        up: ANSWER, PONG
 * Queries have their own socketpair so they do not wait behind up to
 * --queue-depth messages already queued on the data channel; the worker polls
 * both and processes data in slices, so a query waits at most one slice. */
#ifndef P3_WIRE_H
#define P3_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "fsm.h"
#include "iocost.h"
#include "msg.h"

struct channel;

enum wire_kind {
    WIRE_MSG = 'M',             /* down: kind + codec-encoded message */
    WIRE_PILL = 'P',            /* down: poison pill; struct wire_pill */
    WIRE_ACK = 'A',             /* up: struct wire_ack */
    WIRE_REPORT = 'F',          /* up: struct wire_report, after the pill */
    WIRE_ROW = 'K',             /* up: struct keystate, one per key, after REPORT if asked */
    WIRE_END = 'E',             /* up: the report is complete; the worker exits next */
    WIRE_GET = 'G',             /* query down: struct wire_get */
    WIRE_ANSWER = 'R',          /* query up: struct wire_answer */
    WIRE_PING = 'p',            /* query down: uint64_t send time (ns) */
    WIRE_PONG = 'o',            /* query up: the same uint64_t, echoed at once */
    WIRE_CKPT_REQ = 'C',        /* query down: checkpoint at the end of this slice (no body) */
    WIRE_CKPT_ROWS = 'k',       /* up: n whole struct keystate, the keys changed since the last checkpoint */
    WIRE_CKPT_END = 'c',        /* up: struct wire_ckpt; the checkpoint is complete (commit it) */
};

#define WIRE_CKPT_ROWS_MAX 1024 /* keystates per CKPT_ROWS frame (~112 KiB) */

struct wire_pill {
    uint8_t want_rows;          /* 1: send every key's state before END */
};

/* Cumulative counts for this worker incarnation: the supervisor's credit
 * (back-pressure) is sent - acked, in messages and in bytes. */
struct wire_ack {
    uint64_t msgs;              /* messages applied so far */
    uint64_t bytes;             /* frame bytes (header included) of those messages */
    uint64_t last_seq;          /* seq of the last message applied (UINT64_MAX: none) */
    uint64_t keys;              /* keys in this worker's registry */
};

/* The end of a checkpoint: the rows sent since the last CKPT_END are the state
 * of every key this worker changed since its previous checkpoint, after exactly
 * `applied` messages of its slot (counted over all incarnations). */
struct wire_ckpt {
    uint64_t applied;           /* slot messages applied, all incarnations: the replay boundary */
    uint64_t last_seq;          /* stream seq of the last of them (valid when applied > 0) */
    uint64_t rows;              /* keystates in the CKPT_ROWS frames before this one */
    uint64_t build_ns;          /* worker time copying those rows into frames */
};

/* What a worker measured about itself, sent once after the pill. */
struct wire_report {
    uint64_t msgs;              /* messages applied */
    uint64_t keys;              /* keys in the registry */
    uint64_t cpu_ns;            /* user + system CPU of the worker process */
    uint64_t decode_ns;         /* time inside codec_decode, all messages */
    struct iocost read_io;      /* read() on the data channel: time (read_io.ns) and bytes */
    uint64_t reads;             /* read() calls that returned bytes */
    uint64_t apply_ns;          /* time applying messages (state machine + --work) */
    uint64_t maxrss_kib;        /* peak resident memory (getrusage) */
    uint64_t queries;           /* GETs answered */
    uint64_t checkpoints;       /* checkpoints sent by this incarnation */
    uint64_t dups;              /* messages skipped as already applied (seq <= the key's last_seq) */
};

struct wire_get {
    uint64_t id;                /* correlation id chosen by the supervisor */
    char key[KEY_MAX + 1];
};

struct wire_answer {
    uint64_t id;                /* the GET's id */
    uint8_t found;              /* 0: the worker has never seen the key */
    struct keystate ks;         /* valid when found */
};

/* Append a MSG frame holding m encoded with codec straight into c's output
 * buffer (no intermediate copy). Returns the frame's size in bytes (header
 * included), or -1 with errno. */
long wire_put_msg(struct channel *c, enum codec codec, const struct msg *m);

/* Queue a fixed-size frame: kind + a copy of n bytes at p. 0 or -1 with errno. */
int wire_put(struct channel *c, enum wire_kind kind, const void *p, size_t n);

/* Copy a fixed-size frame body (after the kind byte) into out if its size is
 * exactly n. Returns 0, or -1 with errno EBADMSG. */
int wire_get_fixed(const uint8_t *body, size_t len, void *out, size_t n);

#endif
