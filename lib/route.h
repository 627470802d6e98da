/* route.h: which worker owns a key. Four policies, one lesson each:
 *   modulo      hash(key) % N: stable and cheap, but changing N moves most keys;
 *   consistent  a hash ring with RING_VNODES virtual nodes per worker: adding a
 *               worker moves only about 1/(N+1) of the keys, all to the new worker;
 *   map         an explicit key -> worker table, filled on first sight with the
 *               worker that owns the fewest keys (or loaded from a file);
 *   roundrobin  message i goes to worker i % N: even load, and WRONG for state,
 *               because a key's messages are split across workers. Kept to show it.
 * The hash is FNV-1a 64 finished with a splitmix64 mix: the same on every machine. */
#ifndef KIT_ROUTE_H
#define KIT_ROUTE_H

#include <stddef.h>
#include <stdint.h>

enum route { ROUTE_MODULO, ROUTE_CONSISTENT, ROUTE_MAP, ROUTE_ROUNDROBIN, ROUTE_COUNT };

struct router;

/* Parse a policy name. Returns 0, or -1 if unknown. */
int route_parse(const char *s, enum route *out);
const char *route_name(enum route r);       /* "?" for a value out of range */

/* True if the policy keeps every key on one worker (so per-key order holds). */
int route_keeps_order(enum route r);

/* A router for `workers` workers (1..WORKERS_MAX). Returns NULL with errno
 * (EINVAL for a bad kind or count, ENOMEM). */
struct router *router_new(enum route kind, unsigned workers);

/* Load "key,worker" lines into a map router (blank lines and lines starting with
 * '#' are skipped; a key may appear once). Loaded keys count towards each
 * worker's load for later first-sight picks. Returns 0, or -1 with errno and a
 * reason in err ("map.csv:3: worker 9 out of range 0..3"); other kinds: EINVAL. */
int router_load_map(struct router *r, const char *path, char *err, size_t errlen);

/* The worker (0..workers-1) for this message's key. The map and roundrobin
 * policies remember what they picked, so call it once per message. The map
 * policy routes a key it cannot remember (not a valid key, or no memory to grow
 * its table) by modulo instead, so the call never fails. */
unsigned route_pick(struct router *r, const char *key, size_t len);

/* The worker that owns key, changing nothing (for queries, which must not make
 * the map policy pick an owner): modulo and consistent give what route_pick
 * gives; map gives the worker it remembers (an invalid key: its modulo worker),
 * or -1 with errno ENOENT for a key it never picked nor loaded; roundrobin gives
 * no key an owner: -1 with errno EINVAL. */
int route_peek(const struct router *r, const char *key, size_t len);

unsigned router_workers(const struct router *r);
void router_free(struct router *r);             /* NULL is fine */

/* The kit's stable 64-bit string hash. */
uint64_t route_hash(const char *key, size_t len);

#endif
