/* keyidx.h: the supervisor's key -> row index map. A row index is handed out on
 * a key's first sight, in order (0, 1, 2, ...), and never changes, so a record
 * can carry 4 bytes instead of the key. Open addressing, linear probing, grows
 * at 70 % load. Not thread-safe: the caller locks (main.c's keys_lock). */
#ifndef P4_KEYIDX_H
#define P4_KEYIDX_H

#include <stddef.h>
#include <stdint.h>

struct keyidx;

/* An empty map, or NULL on ENOMEM. */
struct keyidx *keyidx_new(void);

/* The index of key[0..len) (len <= KEY_MAX), or -1 if it was never added. */
int64_t keyidx_find(const struct keyidx *k, const char *key, size_t len);

/* Add key[0..len) (not present) with index keyidx_count(k). Returns that index,
 * or -1 with ENOMEM. */
int64_t keyidx_add(struct keyidx *k, const char *key, size_t len);

/* Keys added so far. */
uint64_t keyidx_count(const struct keyidx *k);

void keyidx_free(struct keyidx *k);

#endif
