/* applier.h: a worker's loop: take the records of its ring in order and apply
 * each to its key's row in the shared state table.
 *
 * Exactly once, whatever instant a SIGKILL lands. Per record at position pos:
 *   1. read the row; if its `applied` already passes the record's seq, the record
 *      was applied by a predecessor killed before step 4: skip to 4;
 *   2. compute the new row in private memory and write it to the lane's redo
 *      copy first (seqlocked, with redo_idx naming the row);
 *   3. write the row (seqlocked);
 *   4. tail = pos + 1, then release the slot to the supervisor.
 * A replacement worker (same slot, same ring, same lane) starts with recovery:
 * if the redo copy is complete and its row is odd (killed in step 3) or behind
 * it, the redo copy is written to the row; if the slot before tail still holds
 * its record (killed in step 4), it is released. Then it continues at tail, and
 * step 1 catches the record applied but not consumed. The row's seq tells a
 * write under way (odd) from a finished one; the row's `applied` tells an
 * applied record from a pending one; the redo copy finishes a torn row. */
#ifndef P4_APPLIER_H
#define P4_APPLIER_H

#include <stdint.h>
#include <sys/types.h>

#include "board.h"

#define APPLY_SAMPLE 64         /* time one message in this many (two clock reads) */

struct applier {
    const struct board *board;
    unsigned index;             /* the worker's slot */
    uint32_t work;              /* --work units per DATA message */
    pid_t parent;               /* exit if getppid() stops being this */
};

/* Recover what a killed predecessor left (above). Returns the rows finished from
 * the redo copy (0 or 1). */
int applier_recover(const struct applier *a);

/* Recover, then apply records until the end-of-stream record. Returns 0 after
 * it, 1 if the supervisor died (the worker then just exits). */
int applier_run(const struct applier *a);

#endif
