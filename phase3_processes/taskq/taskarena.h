/* taskarena.h: the shared argument arena of bin/taskq (MPOP's planned "argument
 * pool"): byte arguments too big for a slot's inline area live here, and the
 * slot carries their offset. A ring allocator in shared memory: ONE allocator
 * (the supervisor) bumps a free-running head; workers free a block by marking it
 * when its task is done; the allocator reclaims marked blocks in order from its
 * tail, so a block freed out of order waits for the ones before it. */
#ifndef KIT_TASKARENA_H
#define KIT_TASKARENA_H

#include <stddef.h>
#include <stdint.h>

#define TASKARENA_ALIGN 8       /* block sizes and offsets are multiples of this */

struct taskarena;               /* lives in shared memory; no pointers inside */

/* Bytes of shared memory an arena of cap data bytes needs. */
size_t taskarena_bytes(uint32_t cap);

/* Lay an arena out in mem (taskarena_bytes of zeroed shared memory); cap is
 * rounded down to TASKARENA_ALIGN. */
struct taskarena *taskarena_init(void *mem, uint32_t cap);

/* Allocator only: n bytes. Returns the offset of the bytes, or -1 with EAGAIN
 * (full until workers free something) or EMSGSIZE (n can never fit). */
int64_t taskarena_alloc(struct taskarena *a, uint32_t n);

/* The bytes at offset off (as returned by taskarena_alloc). */
uint8_t *taskarena_at(struct taskarena *a, uint32_t off);

/* Any process: the block at off is no longer needed. Idempotent, so the
 * supervisor may free again the blocks of tasks a dead worker had finished. */
void taskarena_free(struct taskarena *a, uint32_t off);

/* Data bytes held by blocks not yet reclaimed (allocator's view). */
uint64_t taskarena_in_use(const struct taskarena *a);

#endif
