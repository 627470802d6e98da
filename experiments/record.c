/* record.c: the nested record and the numeric array: samples, equality, the raw
 * layout, and the dispatch to record_msgpack.c and record_json.c (see record.h).
 * The three encoders do the job the seed's pickle.dumps() does: walk a native
 * structure and write bytes; the decoders rebuild it. The difference in cost is
 * the experiment: raw copies fixed-width numbers, msgpack tags each value, JSON
 * prints every double as up to 17 decimal digits and parses them back. */
#include "record.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "le.h"
#include "record_internal.h"
#include "source.h"

#define RAW_KEY_BYTES   32      /* key length byte + KEY_MAX bytes, zero padded */
#define RAW_NESTED_HEAD 108     /* bytes before the nested record's recent[] */

/* ------------------------------------------------------------------ samples */

void nested_sample(struct nested *r)
{
    memset(r, 0, sizeof *r);
    strcpy(r->key, "k0042");
    r->state = 1;               /* RUNNING */
    r->messages = 1234;
    r->data_count = 1100;
    r->invalid = 17;
    r->sum = 12345.67;
    r->min = -49.5;
    r->max = 149.99;
    r->last = 57.25;
    r->feature_sum = 987.654321;
    r->nrecent = RECORD_RECENT;
    for (uint32_t i = 0; i < RECORD_RECENT; i++)
        r->recent[i] = (double)((int)i * 731 % 20000 - 5000) / 100.0;  /* like the source's values */
}

void numarray_sample(struct numarray *a)
{
    struct rng g;
    rng_seed(&g, 42);
    a->n = RECORD_ARRAY;
    for (uint32_t i = 0; i < RECORD_ARRAY; i++)
        a->v[i] = rng_unit(&g) * 200.0 - 50.0;     /* full 53-bit mantissas */
}

int nested_equal(const struct nested *a, const struct nested *b)
{
    return strcmp(a->key, b->key) == 0 && a->state == b->state &&
           a->messages == b->messages && a->data_count == b->data_count &&
           a->invalid == b->invalid && memcmp(&a->sum, &b->sum, sizeof a->sum) == 0 &&
           memcmp(&a->min, &b->min, sizeof a->min) == 0 &&
           memcmp(&a->max, &b->max, sizeof a->max) == 0 &&
           memcmp(&a->last, &b->last, sizeof a->last) == 0 &&
           memcmp(&a->feature_sum, &b->feature_sum, sizeof a->feature_sum) == 0 &&
           a->nrecent == b->nrecent &&
           memcmp(a->recent, b->recent, a->nrecent * sizeof a->recent[0]) == 0;
}

int numarray_equal(const struct numarray *a, const struct numarray *b)
{
    return a->n == b->n && memcmp(a->v, b->v, a->n * sizeof a->v[0]) == 0;
}

static int bad_record(void)
{
    errno = EBADMSG;
    return -1;
}

/* ------------------------------------------------------------------ raw */

static void put_f64(uint8_t *p, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    le_put64(p, bits);
}

static double get_f64(const uint8_t *p)
{
    uint64_t bits = le_get64(p);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static int raw_nested_encode(const struct nested *r, struct buf *out)
{
    size_t n = RAW_NESTED_HEAD + 8 * (size_t)r->nrecent;
    if (buf_reserve(out, n) < 0)
        return -1;
    uint8_t *p = out->data + out->len;
    memset(p, 0, RAW_NESTED_HEAD);
    size_t klen = strlen(r->key);
    p[0] = (uint8_t)klen;
    memcpy(p + 1, r->key, klen);
    p[32] = r->state;
    le_put64(p + 40, r->messages);
    le_put64(p + 48, r->data_count);
    le_put64(p + 56, r->invalid);
    put_f64(p + 64, r->sum);
    put_f64(p + 72, r->min);
    put_f64(p + 80, r->max);
    put_f64(p + 88, r->last);
    put_f64(p + 96, r->feature_sum);
    le_put32(p + 104, r->nrecent);
    for (uint32_t i = 0; i < r->nrecent; i++)
        put_f64(p + RAW_NESTED_HEAD + 8 * i, r->recent[i]);
    out->len += n;
    return 0;
}

static int raw_nested_decode(const uint8_t *p, size_t len, struct nested *r)
{
    if (len < RAW_NESTED_HEAD || p[0] == 0 || p[0] > KEY_MAX)
        return bad_record();
    uint32_t n = le_get32(p + 104);
    if (n > RECORD_RECENT || len != RAW_NESTED_HEAD + 8 * (size_t)n)
        return bad_record();
    memcpy(r->key, p + 1, p[0]);
    r->key[p[0]] = '\0';
    r->state = p[32];
    r->messages = le_get64(p + 40);
    r->data_count = le_get64(p + 48);
    r->invalid = le_get64(p + 56);
    r->sum = get_f64(p + 64);
    r->min = get_f64(p + 72);
    r->max = get_f64(p + 80);
    r->last = get_f64(p + 88);
    r->feature_sum = get_f64(p + 96);
    r->nrecent = n;
    for (uint32_t i = 0; i < n; i++)
        r->recent[i] = get_f64(p + RAW_NESTED_HEAD + 8 * i);
    return 0;
}

static int raw_array_encode(const struct numarray *a, struct buf *out)
{
    size_t n = 4 + 8 * (size_t)a->n;
    if (buf_reserve(out, n) < 0)
        return -1;
    uint8_t *p = out->data + out->len;
    le_put32(p, a->n);
    for (uint32_t i = 0; i < a->n; i++)
        put_f64(p + 4 + 8 * i, a->v[i]);
    out->len += n;
    return 0;
}

static int raw_array_decode(const uint8_t *p, size_t len, struct numarray *a)
{
    if (len < 4)
        return bad_record();
    uint32_t n = le_get32(p);
    if (n > RECORD_ARRAY || len != 4 + 8 * (size_t)n)
        return bad_record();
    a->n = n;
    for (uint32_t i = 0; i < n; i++)
        a->v[i] = get_f64(p + 4 + 8 * i);
    return 0;
}

/* ------------------------------------------------------------------ dispatch */

int nested_encode(enum codec c, const struct nested *r, struct buf *out)
{
    if (r->nrecent > RECORD_RECENT || strlen(r->key) == 0 || strlen(r->key) > KEY_MAX) {
        errno = EINVAL;
        return -1;
    }
    switch (c) {
    case CODEC_RAW: return raw_nested_encode(r, out);
    case CODEC_MSGPACK: return record_mp_nested_encode(r, out);
    case CODEC_JSON: return record_js_nested_encode(r, out);
    default: errno = EINVAL; return -1;
    }
}

int nested_decode(enum codec c, const uint8_t *in, size_t len, struct nested *r)
{
    switch (c) {
    case CODEC_RAW: return raw_nested_decode(in, len, r);
    case CODEC_MSGPACK: return record_mp_nested_decode(in, len, r);
    case CODEC_JSON: return record_js_nested_decode(in, len, r);
    default: errno = EINVAL; return -1;
    }
}

int numarray_encode(enum codec c, const struct numarray *a, struct buf *out)
{
    if (a->n > RECORD_ARRAY) {
        errno = EINVAL;
        return -1;
    }
    switch (c) {
    case CODEC_RAW: return raw_array_encode(a, out);
    case CODEC_MSGPACK: return record_mp_array_encode(a, out);
    case CODEC_JSON: return record_js_array_encode(a, out);
    default: errno = EINVAL; return -1;
    }
}

int numarray_decode(enum codec c, const uint8_t *in, size_t len, struct numarray *a)
{
    switch (c) {
    case CODEC_RAW: return raw_array_decode(in, len, a);
    case CODEC_MSGPACK: return record_mp_array_decode(in, len, a);
    case CODEC_JSON: return record_js_array_decode(in, len, a);
    default: errno = EINVAL; return -1;
    }
}
