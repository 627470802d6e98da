/* source.h: the built-in message source (SPEC §1), seeded and identical on every
 * machine: a small PRNG of our own (xoshiro256** seeded by splitmix64), never rand().
 *
 * Keys are "k0000".."k(K-1)" (zero-padded to one width per source, at least 4
 * digits, so that bytewise order = numeric order),
 * chosen uniformly or by a Zipf law of exponent s over ranks 1..K (rank 1 = k0000
 * is the hottest). Ops are mostly DATA with START/PAUSE/RESUME/STOP mixed in, drawn
 * independently of the key's state, so every valid and invalid transition occurs.
 * DATA values are n/100 for an integer n in [-5000, 15000], which print and read
 * back exactly. The payload is payload_len deterministic bytes per message. */
#ifndef KIT_SOURCE_H
#define KIT_SOURCE_H

#include <stdint.h>

#include "msg.h"

#define SOURCE_KEY_DIGITS 4     /* least digits in a key name: k0000..k9999 */

enum dist { DIST_UNIFORM, DIST_ZIPF };

struct source_opts {
    uint64_t messages;          /* how many to make; 0 = endless */
    uint32_t keys;              /* distinct keys, >= 1 */
    enum dist dist;
    double zipf_s;              /* Zipf exponent, > 0 (used when dist == DIST_ZIPF) */
    uint64_t seed;
    uint32_t payload;           /* payload bytes per message, <= PAYLOAD_MAX */
};

/* Parse "uniform" or "zipf". Returns 0, or -1 if unknown. */
int dist_parse(const char *s, enum dist *out);
const char *dist_name(enum dist d);

/* Create a source. Returns NULL with errno (EINVAL for bad options, ENOMEM). */
struct source *source_new(const struct source_opts *o);

/* Fill *m with the next message (m->payload points into the source, valid until
 * the next call). Returns 1, or 0 when the requested count is reached. */
int source_next(struct source *s, struct msg *m);

/* Digits in the key names of a source of `keys` keys: those of keys-1, at least
 * SOURCE_KEY_DIGITS, so that every key of one source has the same width. */
unsigned source_key_width(uint32_t keys);

/* The key of rank r (0-based) in a source of `keys` keys: 'k' and r zero-padded
 * to source_key_width(keys) digits. buf has >= KEY_MAX+1 bytes. */
void source_key_name_of(uint32_t keys, uint32_t r, char *buf);

/* The same for a source of at most 10000 keys (every default): "k%04u". */
void source_key_name(uint32_t r, char *buf);

void source_free(struct source *s);

/* The PRNG, exposed for the experiments and tests that need reproducible numbers. */
struct rng { uint64_t s[4]; };
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_unit(struct rng *r);          /* uniform in [0, 1), 53 random bits */
uint64_t rng_below(struct rng *r, uint64_t n); /* uniform in [0, n), unbiased; n > 0 */

#endif
