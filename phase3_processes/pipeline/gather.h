/* gather.h: the end of a phase-3 run: every worker's registry arrives as rows,
 * and they become one dump. With a routing policy that keeps each key on one
 * worker every key arrives once, and the dump equals the single-process
 * reference byte for byte. With roundrobin a key arrives from several workers,
 * each holding a different partial state machine: the rows are merged (counts
 * and sums added, state from the latest message) and the keys counted as split,
 * and the result is NOT the reference: that is the lesson. */
#ifndef P3_GATHER_H
#define P3_GATHER_H

#include <stddef.h>
#include <sys/types.h>

#include "fsm.h"

struct gather;

/* An empty collection, or NULL on ENOMEM. */
struct gather *gather_new(void);

/* Add one worker's row for a key. Returns 0, or -1 with ENOMEM. */
int gather_add(struct gather *g, const struct keystate *ks, unsigned slot, pid_t pid);

/* Forget every row sent by pid (a worker that died halfway through its
 * report: half a registry would be worse than none). */
void gather_drop(struct gather *g, pid_t pid);

/* Before gather_finish: the row that worker `slot` (process pid) sent for key.
 * Returns 1 and fills *out, or 0 if that worker had no such key. A linear scan:
 * it serves the few GETs that arrive while the run drains, after the key's
 * worker has reported and left. */
int gather_find(const struct gather *g, const char *key, unsigned slot, pid_t pid, struct keystate *out);

/* Sort by key and merge duplicates. Sets the distinct key count and how many of
 * them came from more than one worker. Returns 0, or -1 with ENOMEM. */
int gather_finish(struct gather *g, size_t *keys, size_t *split);

/* After gather_finish: write the dump (SPEC §3) to path ("-" = stdout).
 * Returns 0, or -1 with a reason in err. */
int gather_write_dump(const struct gather *g, const char *path, char *err, size_t errlen);

/* After gather_finish: write "key,worker,pid" for every (key, worker) pair that
 * held state, sorted by key then worker. Returns 0, or -1 with a reason in err. */
int gather_write_owners(const struct gather *g, const char *path, char *err, size_t errlen);

/* Fold src into dst (same key, two workers): counts and sums add, min/max
 * combine, state and last come from whichever applied the later message. */
void gather_merge(struct keystate *dst, const struct keystate *src);

void gather_free(struct gather *g);

#endif
