/* registry.h: key -> state machine, a hash table that grows without a fixed key
 * limit. Entries are allocated one by one, so a pointer to a keystate stays valid
 * for the registry's life (phase 2 locks rely on that). Not thread-safe. */
#ifndef KIT_REGISTRY_H
#define KIT_REGISTRY_H

#include <stddef.h>

#include "fsm.h"

struct registry;

/* An empty registry, or NULL on ENOMEM. */
struct registry *registry_new(void);

/* The machine for key[0..len), created (IDLE) on first sight. NULL with errno
 * ENOMEM, or EINVAL if len > KEY_MAX. */
struct keystate *registry_get(struct registry *r, const char *key, size_t len);

/* The machine for key[0..len), or NULL if the key was never seen. */
struct keystate *registry_find(const struct registry *r, const char *key, size_t len);

/* Insert a copy of ks (replacing any machine with the same key). 0 or -1 ENOMEM. */
int registry_put(struct registry *r, const struct keystate *ks);

size_t registry_count(const struct registry *r);

/* Every machine, sorted by key bytewise: returns a malloc'd array of n pointers
 * into the registry (the caller frees the array, not the entries), or NULL with
 * *n = 0: errno 0 when the registry is empty, ENOMEM otherwise. */
struct keystate **registry_sorted(const struct registry *r, size_t *n);

/* Call fn for every machine in unspecified order; stops at the first non-zero
 * return of fn and returns it (0 if fn always returned 0). */
int registry_each(const struct registry *r, int (*fn)(struct keystate *, void *), void *arg);

void registry_free(struct registry *r);

#endif
