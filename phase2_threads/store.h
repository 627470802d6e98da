/* store.h: phase 2's shared state, one registry of per-key machines used by
 * every worker thread at once, under one of three lock disciplines:
 *   global    one mutex held for ALL of a message's handling, --work included:
 *             the GIL, in C. Threads take turns; two threads run like one;
 *   registry  one mutex around the registry's lookup/insert only; the work runs
 *             unlocked, and the key's update takes a key lock (store.c says
 *             which, and why one is needed at all);
 *   sharded   S registries, each behind its own mutex (lock striping): threads
 *             collide only when their keys fall in the same shard.
 * Every registry entry stays at one address for the run, so a keystate pointer
 * taken under the registry lock stays valid after it is released. */
#ifndef P2_STORE_H
#define P2_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "tlock.h"

enum lockmode { LOCK_GLOBAL, LOCK_REGISTRY, LOCK_SHARDED };

#define SHARDS_DEFAULT 64       /* --shards: stripes of the sharded registry */
#define SHARDS_MAX     4096
#define KEYLOCKS       256      /* key-lock stripes for --lock registry --queue shared */

/* What a shared queue did to the order of the keys, counted by one worker. */
struct orderbreaks {
    uint64_t messages;          /* messages applied after a later message of their key */
    uint64_t keys;              /* keys whose FIRST such message this worker applied: summed
                                 * over the workers, each broken key is counted once */
};

/* Parse "global", "registry" or "sharded". Returns 0, or -1 if unknown. */
int lockmode_parse(const char *s, enum lockmode *out);
const char *lockmode_name(enum lockmode m);

struct store;

/* A store for mode. owners > 0: per-thread queues, key k is only ever applied
 * by thread route_pick(modulo, owners); owners == 0: a shared queue, any
 * thread may apply any key. shards is used by LOCK_SHARDED. Returns NULL with errno. */
struct store *store_new(enum lockmode mode, unsigned shards, unsigned owners);

/* Apply m (burning `work` units first if it is a DATA) as worker `self`, taking
 * the mode's locks and counting into st. When m is older than the last message
 * applied to its key, adds 1 to ob->messages, and 1 to ob->keys if it is the
 * key's first such message. Returns 0, or -1 with ENOMEM. */
int store_apply(struct store *s, const struct msg *m, unsigned self, uint32_t work,
                struct lockstat *st, struct orderbreaks *ob, uint64_t *sink);

/* For the control thread, while workers run: the key's dump row into buf,
 * taken under the locks that guard it. Returns the length, or -1 if unknown. */
int store_get_row(struct store *s, const char *key, char *buf, size_t len, struct lockstat *st);

/* After every worker has stopped: keys, and the dump (SPEC §3) to path. */
size_t store_keys(struct store *s);
int store_dump(struct store *s, const char *path, char *err, size_t errlen);

void store_free(struct store *s);

#endif
