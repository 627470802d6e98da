/* segment.h: one run's shared memory. An anonymous file (memfd_create) mapped
 * MAP_SHARED before the workers are forked, so parent and children see the same
 * pages at the same address; the file's descriptor is closed right after the
 * mapping is made. Nothing is ever named in /dev/shm: when the last process that
 * maps it exits (a SIGKILL included), the kernel frees it. */
#ifndef P4_SEGMENT_H
#define P4_SEGMENT_H

#include <stddef.h>

#define SEG_ALIGN 64            /* every part of the segment starts on its own cache line */

/* Round n up to a multiple of SEG_ALIGN. */
size_t seg_round(size_t n);

/* A zero-filled shared mapping of `size` bytes (pages are allocated when first
 * touched). Returns its address, or NULL with a reason in err
 * ("memfd_create() failed: ..."). */
void *seg_map(size_t size, const char *name, char *err, size_t errlen);

/* Unmap what seg_map returned (NULL is fine). */
void seg_unmap(void *base, size_t size);

#endif
