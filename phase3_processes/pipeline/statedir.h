/* statedir.h: the snapshots of a durable run on disk (--state-dir DIR).
 *
 * Each snapshot is DIR/snap-NUMBER, written atomically: DIR/snap-NUMBER.tmp
 * is written and fsync()ed, renamed over its final name, and DIR itself is
 * fsync()ed so that the rename is on disk too. Whatever moment a crash picks,
 * DIR holds complete snapshots (and maybe a .tmp, ignored and replaced). The
 * two newest are kept: if the newest turns out torn or corrupt (a disk, a
 * hand), the one before it is used. */
#ifndef P3_STATEDIR_H
#define P3_STATEDIR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define STATEDIR_KEEP 2         /* snapshots kept: the newest and the one before */

/* Create DIR if missing (0700). Returns 0, or -1 with a reason in err. */
int statedir_open(const char *dir, char *err, size_t errlen);

/* Write snapshot `number` (n bytes at p) atomically, then remove those older
 * than the STATEDIR_KEEP newest. Returns 0, or -1 with a reason in err (the
 * previous snapshots are then untouched). */
int statedir_save(const char *dir, uint64_t number, const void *p, size_t n, char *err, size_t errlen);

/* The snapshot numbers in DIR, newest first, into nums[0..max). Returns how
 * many (0: none, or no DIR), or -1 with a reason in err. */
int statedir_list(const char *dir, uint64_t *nums, int max, char *err, size_t errlen);

/* Read snapshot `number` whole into out (replacing its contents). Returns 0,
 * or -1 with a reason in err. */
int statedir_read(const char *dir, uint64_t number, struct buf *out, char *err, size_t errlen);

/* Move snapshot `number` aside as DIR/snap-NUMBER.bad (unusable: kept for a
 * look, out of the way of the next resume and of the pruning). 0 or -1. */
int statedir_discard(const char *dir, uint64_t number);

#endif
