/* board.h: the layout of the run's shared segment (segment.h): what the
 * supervisor and every worker see at the same addresses.
 *
 *   ring[i]   the record ring from the supervisor to worker i (recring.h)
 *   lane[i]   worker i's redo copy and counters, written by worker i only
 *   tails     worker i's consumed position, at tails + i * stride: 64 bytes
 *             apart (padded, the default) or 8 (--pad off: every worker's
 *             position on one cache line, false sharing on purpose)
 *   rows      the state table, one seqlocked row per key (statetab.h)
 *
 * Everything is allocated once, before the workers are forked; the supervisor
 * keeps struct board in its own memory and each worker inherits a copy. */
#ifndef P4_BOARD_H
#define P4_BOARD_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "param.h"
#include "recring.h"
#include "statetab.h"

/* Worker i's own part of the segment. */
struct lane {
    struct row redo;            /* the row about to be written, written before it (applier.h) */
    alignas(64) _Atomic uint32_t redo_idx;  /* which row redo is for */
    _Atomic uint64_t apply_ns;      /* sampled: ns spent applying 1 message in APPLY_SAMPLE */
    _Atomic uint64_t apply_samples;
    _Atomic uint64_t skipped;       /* records found applied already (a kill before consuming) */
    _Atomic uint64_t redone;        /* rows finished from the redo copy (a kill mid-write) */
};

struct board {
    void *base;                 /* the segment */
    size_t size;
    unsigned workers;
    uint64_t cap;               /* slots per ring */
    uint64_t nrows;             /* rows in the state table (--max-keys) */
    size_t stride;              /* bytes between two workers' tails */
    struct recring *ring[WORKERS_MAX];
    struct lane *lane[WORKERS_MAX];
    unsigned char *tails;
    struct row *rows;
};

/* Map a segment for `workers` rings of `cap` slots (a power of two), `nrows`
 * rows, tails padded to a line each or packed. Returns 0, or -1 with a reason
 * in err. */
int board_map(struct board *b, unsigned workers, uint64_t cap, uint64_t nrows, bool pad,
              char *err, size_t errlen);

/* Worker i's consumed position: how many records of ring i it has finished. */
_Atomic uint64_t *board_tail(const struct board *b, unsigned i);

void board_unmap(struct board *b);

#endif
