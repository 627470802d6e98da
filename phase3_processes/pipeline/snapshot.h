/* snapshot.h: the file format of a durable run's snapshot (--state-dir): what a
 * supervisor killed with SIGKILL needs to start again where it was.
 *
 * A snapshot is a consistent cut of the whole run: for every slot, its
 * committed checkpoint (the keys' states after exactly `applied` of the slot's
 * messages) and its replay log (every message frame routed to the slot after
 * those, byte for byte), plus the input position: how many input messages had
 * been routed. Checkpoint + log = every message routed to the slot (the
 * recovery invariant, recovery.c), so the cut holds at any moment between two
 * loop callbacks, whatever the workers are doing. Resuming = skip `position`
 * input messages, give each slot's new worker the checkpoint and replay its log.
 *
 * Layout, integers little-endian:
 *   "P3SNAP1\n"  u32 fingerprint length, fingerprint (the input and the flags
 *   it was made for, text)  u64 position  u64 number (1, 2, ...)  u32 workers
 *   per slot:  u64 applied  u64 last_seq  u64 rows  u64 log_n  u64 log_bytes
 *              rows x SNAPSHOT_ROW bytes  log_bytes bytes of log_n whole frames
 *   u64 FNV-1a 64 of every byte before it.
 * A torn or corrupt file fails the checksum or the structure: decoding says so
 * and the caller uses the previous snapshot. */
#ifndef P3_SNAPSHOT_H
#define P3_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "fsm.h"

#define SNAPSHOT_MAGIC "P3SNAP1\n"
#define SNAPSHOT_ROW   (KEY_MAX + 1 + 4 + 9 * 8)   /* one keystate: key, state, 9 numbers (108 bytes) */
#define SNAPSHOT_FP_MAX 4096                        /* longest fingerprint */

struct recovery;

/* One slot in a decoded snapshot; rows and log point into the decoded bytes. */
struct snapshot_slot {
    uint64_t applied;           /* slot messages inside the checkpoint */
    uint64_t last_seq;          /* stream seq of the last of them (valid when applied > 0) */
    uint64_t rows;              /* keystates in the checkpoint */
    uint64_t log_n;             /* frames in the log */
    const uint8_t *row;         /* rows x SNAPSHOT_ROW bytes (snapshot_row reads one) */
    const uint8_t *log;         /* log_bytes bytes of whole frames */
    size_t log_bytes;
};

struct snapshot {
    const char *fp;             /* fingerprint (not NUL-terminated: fp_len bytes) */
    size_t fp_len;
    uint64_t position;          /* input messages routed when it was taken */
    uint64_t number;            /* 1 for the run's first snapshot, then 2, ... */
    unsigned workers;
    struct snapshot_slot *slot; /* workers entries (malloc'd; snapshot_free) */
};

/* Append the snapshot of `workers` slots (recs[i]: slot i's checkpoint and
 * log) to out. Returns 0, or -1 with ENOMEM. */
int snapshot_encode(struct buf *out, const char *fp, uint64_t position, uint64_t number,
                    const struct recovery *const *recs, unsigned workers);

/* Decode and check n bytes at p (which must outlive *s). Returns 0, or -1 with
 * a one-line reason in err (bad magic, checksum mismatch, truncated, a row or
 * frame that cannot be) and *s empty. */
int snapshot_decode(const uint8_t *p, size_t n, struct snapshot *s, char *err, size_t errlen);

/* Row i of slot sl into *ks (checked by snapshot_decode). */
void snapshot_row(const struct snapshot_slot *sl, uint64_t i, struct keystate *ks);

void snapshot_free(struct snapshot *s);

/* The checksum that ends a snapshot: FNV-1a 64 of n bytes at p. */
uint64_t snapshot_checksum(const uint8_t *p, size_t n);

#endif
