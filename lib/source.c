/* source.c: the built-in message source (SPEC §1).
 *
 * "Same flags and seed, same stream, on every machine" rules out rand() and
 * any library generator: the PRNG is xoshiro256** (Blackman & Vigna), seeded
 * through splitmix64 as its authors recommend, and everything drawn from it is
 * integer arithmetic or exact conversions, with one exception: the Zipf table
 * calls pow(), the one platform-dependent step. glibc's pow() is correctly
 * rounded in practice (it is documented to be accurate to < 1 ULP, and no
 * misrounded case is known), so on glibc the table, and with it the stream, is
 * the same everywhere; a libm with a sloppier pow() could move a draw that
 * lands within an ULP of a table boundary.
 *
 * Per message the source draws, in this order: the key, the op, and (DATA
 * only) the value. The payload comes from a second generator, so --payload
 * never changes the key/op/value stream that --emit prints. */
#include "source.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ PRNG */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);     /* never all zero: splitmix64 is a bijection */
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;     /* exact: 53 bits fit a double */
}

/* Rejection, as OpenBSD's arc4random_uniform: x % n is biased towards small
 * results unless x is drawn from a multiple of n, so draws below 2^64 mod n
 * are thrown away (for n <= 2^32 fewer than one in 2^32 of them). */
uint64_t rng_below(struct rng *r, uint64_t n)
{
    uint64_t threshold = -n % n;        /* = 2^64 mod n */
    for (;;) {
        uint64_t x = rng_next(r);
        if (x >= threshold)
            return x % n;
    }
}

/* ------------------------------------------------------------------ source */

/* The op mix, in percent, drawn independently of the key's state. DATA
 * dominates, as in the lecture's stream; the rest is enough for every valid
 * and invalid (op, state) pair to occur within 10 000 messages over 100 keys
 * (tests/test_source.c checks it). Because the draw ignores the state, a key
 * spends about half its time outside RUNNING, so about half the DATA messages
 * are invalid transitions (measured: 50.9 % valid over 10^6 messages, seed 1). */
static const struct { enum op op; unsigned pct; } op_mix[] = {
    { OP_DATA, 88 }, { OP_START, 5 }, { OP_PAUSE, 2 }, { OP_RESUME, 3 }, { OP_STOP, 2 },
};

#define VALUE_LO (-5000)        /* DATA value = n / 100 for n in [VALUE_LO, VALUE_HI] */
#define VALUE_HI 15000

struct source {
    struct source_opts o;
    struct rng rng;             /* key, op, value */
    struct rng payload_rng;     /* payload bytes only */
    uint64_t made;              /* messages made so far */
    unsigned width;             /* digits in a key name */
    double *cdf;                /* Zipf: cdf[i] = P(rank <= i+1); NULL when uniform */
    uint8_t *payload;           /* o.payload bytes, refreshed per message */
};

int dist_parse(const char *s, enum dist *out)
{
    if (strcmp(s, "uniform") == 0)
        *out = DIST_UNIFORM;
    else if (strcmp(s, "zipf") == 0)
        *out = DIST_ZIPF;
    else
        return -1;
    return 0;
}

const char *dist_name(enum dist d)
{
    return d == DIST_UNIFORM ? "uniform" : d == DIST_ZIPF ? "zipf" : "?";
}

unsigned source_key_width(uint32_t keys)
{
    unsigned w = 1;
    for (uint32_t top = keys > 0 ? keys - 1 : 0; top >= 10; top /= 10)
        w++;
    return w < SOURCE_KEY_DIGITS ? SOURCE_KEY_DIGITS : w;
}

/* Digits by hand: this runs once per message, and snprintf would be most of
 * the source's cost. */
static void key_format(uint32_t r, unsigned width, char *buf)
{
    buf[0] = 'k';
    for (unsigned i = width; i > 0; i--) {
        buf[i] = (char)('0' + r % 10);
        r /= 10;
    }
    buf[width + 1] = '\0';
}

void source_key_name_of(uint32_t keys, uint32_t r, char *buf)
{
    unsigned w = source_key_width(keys);
    unsigned need = source_key_width(r + 1);    /* a rank past keys-1 still prints whole */
    key_format(r, w > need ? w : need, buf);
}

void source_key_name(uint32_t r, char *buf)
{
    source_key_name_of(10000, r, buf);
}

/* Weights 1/r^s for r = 1..K, summed in rank order (so the sum, too, is the
 * same everywhere), then normalised into a cumulative table. */
static double *zipf_table(uint32_t keys, double s)
{
    double *cdf = malloc((size_t)keys * sizeof *cdf);
    if (!cdf)
        return NULL;
    double total = 0.0;
    for (uint32_t r = 1; r <= keys; r++) {
        total += 1.0 / pow((double)r, s);
        cdf[r - 1] = total;
    }
    for (uint32_t i = 0; i < keys; i++)
        cdf[i] /= total;
    cdf[keys - 1] = 1.0;        /* already so (x/x), but make the search's end certain */
    return cdf;
}

/* The first rank whose cumulative probability exceeds u: inverse-CDF sampling
 * by binary search, O(log K) per draw. */
static uint32_t zipf_draw(const double *cdf, uint32_t keys, double u)
{
    uint32_t lo = 0, hi = keys - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (u < cdf[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

struct source *source_new(const struct source_opts *o)
{
    if (o->keys < 1 || o->payload > PAYLOAD_MAX ||
        (o->dist != DIST_UNIFORM && o->dist != DIST_ZIPF) ||
        (o->dist == DIST_ZIPF && !(o->zipf_s > 0 && isfinite(o->zipf_s)))) {
        errno = EINVAL;
        return NULL;
    }
    struct source *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->o = *o;
    s->width = source_key_width(o->keys);
    rng_seed(&s->rng, o->seed);
    rng_seed(&s->payload_rng, o->seed ^ 0x7061796c6f6164ULL);     /* "payload" */
    if (o->dist == DIST_ZIPF && !(s->cdf = zipf_table(o->keys, o->zipf_s)))
        goto fail;
    if (o->payload) {
        if (!(s->payload = malloc(o->payload)))
            goto fail;
        /* Filled once; each message then gets a fresh 8-byte head (below), so
         * messages differ while a large payload costs nothing to make. */
        for (uint32_t i = 0; i < o->payload; i++)
            s->payload[i] = (uint8_t)(rng_next(&s->payload_rng) >> 56);
    }
    return s;
fail:
    source_free(s);
    errno = ENOMEM;
    return NULL;
}

static enum op op_draw(struct rng *r)
{
    unsigned x = (unsigned)rng_below(r, 100);
    for (size_t i = 0; i < sizeof op_mix / sizeof op_mix[0]; i++) {
        if (x < op_mix[i].pct)
            return op_mix[i].op;
        x -= op_mix[i].pct;
    }
    return OP_DATA;             /* not reached: the percentages add up to 100 */
}

int source_next(struct source *s, struct msg *m)
{
    if (s->o.messages && s->made >= s->o.messages)
        return 0;
    uint32_t rank = s->cdf ? zipf_draw(s->cdf, s->o.keys, rng_unit(&s->rng))
                           : (uint32_t)rng_below(&s->rng, s->o.keys);
    key_format(rank, s->width, m->key);
    m->key_len = (uint8_t)(s->width + 1);
    m->op = op_draw(&s->rng);
    m->has_value = m->op == OP_DATA;
    m->value = m->has_value
        ? (double)((int64_t)rng_below(&s->rng, VALUE_HI - VALUE_LO + 1) + VALUE_LO) / 100.0
        : 0.0;
    m->seq = s->made++;
    if (s->o.payload) {
        uint64_t head = rng_next(&s->payload_rng);
        for (uint32_t i = 0; i < 8 && i < s->o.payload; i++)   /* little-endian, by hand */
            s->payload[i] = (uint8_t)(head >> (8 * i));
    }
    m->payload = s->payload;
    m->payload_len = s->o.payload;
    return 1;
}

void source_free(struct source *s)
{
    if (!s)
        return;
    int saved = errno;
    free(s->cdf);
    free(s->payload);
    free(s);
    errno = saved;
}
