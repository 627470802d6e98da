/* record.c: the nested record and the numeric array in raw, msgpack and JSON
 * (see record.h). The three encoders do the same job the seed's pickle.dumps()
 * does: walk a native structure and write bytes; the decoders rebuild it. The
 * difference in cost is the experiment: raw copies fixed-width numbers, msgpack
 * tags each value, JSON prints every double as up to 17 decimal digits and
 * parses them back. */
#include "record.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <msgpack.h>
#include <string.h>

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

static int bad(void)
{
    errno = EBADMSG;
    return -1;
}

/* ------------------------------------------------------------------ raw */

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_f64(uint8_t *p, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    put_le(p, bits, 8);
}

static double get_f64(const uint8_t *p)
{
    uint64_t bits = get_le(p, 8);
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
    put_le(p + 40, r->messages, 8);
    put_le(p + 48, r->data_count, 8);
    put_le(p + 56, r->invalid, 8);
    put_f64(p + 64, r->sum);
    put_f64(p + 72, r->min);
    put_f64(p + 80, r->max);
    put_f64(p + 88, r->last);
    put_f64(p + 96, r->feature_sum);
    put_le(p + 104, r->nrecent, 4);
    for (uint32_t i = 0; i < r->nrecent; i++)
        put_f64(p + RAW_NESTED_HEAD + 8 * i, r->recent[i]);
    out->len += n;
    return 0;
}

static int raw_nested_decode(const uint8_t *p, size_t len, struct nested *r)
{
    if (len < RAW_NESTED_HEAD || p[0] == 0 || p[0] > KEY_MAX)
        return bad();
    uint32_t n = (uint32_t)get_le(p + 104, 4);
    if (n > RECORD_RECENT || len != RAW_NESTED_HEAD + 8 * (size_t)n)
        return bad();
    memcpy(r->key, p + 1, p[0]);
    r->key[p[0]] = '\0';
    r->state = p[32];
    r->messages = get_le(p + 40, 8);
    r->data_count = get_le(p + 48, 8);
    r->invalid = get_le(p + 56, 8);
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
    put_le(p, a->n, 4);
    for (uint32_t i = 0; i < a->n; i++)
        put_f64(p + 4 + 8 * i, a->v[i]);
    out->len += n;
    return 0;
}

static int raw_array_decode(const uint8_t *p, size_t len, struct numarray *a)
{
    if (len < 4)
        return bad();
    uint32_t n = (uint32_t)get_le(p, 4);
    if (n > RECORD_ARRAY || len != 4 + 8 * (size_t)n)
        return bad();
    a->n = n;
    for (uint32_t i = 0; i < n; i++)
        a->v[i] = get_f64(p + 4 + 8 * i);
    return 0;
}

/* ------------------------------------------------------------------ msgpack */

static int mp_write(void *data, const char *p, size_t n)
{
    return buf_append(data, p, n);
}

static int mp_key(msgpack_packer *pk, const char *k)
{
    size_t n = strlen(k);
    return msgpack_pack_str(pk, n) | msgpack_pack_str_body(pk, k, n);
}

static int mp_nested_encode(const struct nested *r, struct buf *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, mp_write);
    /* Each pack call returns non-zero only when mp_write ran out of memory. */
    int rc = msgpack_pack_map(&pk, 4);
    rc |= mp_key(&pk, "key") | mp_key(&pk, r->key);
    rc |= mp_key(&pk, "state") | msgpack_pack_uint8(&pk, r->state);
    rc |= mp_key(&pk, "stats") | msgpack_pack_map(&pk, 8);
    rc |= mp_key(&pk, "messages") | msgpack_pack_uint64(&pk, r->messages);
    rc |= mp_key(&pk, "data_count") | msgpack_pack_uint64(&pk, r->data_count);
    rc |= mp_key(&pk, "invalid") | msgpack_pack_uint64(&pk, r->invalid);
    rc |= mp_key(&pk, "sum") | msgpack_pack_double(&pk, r->sum);
    rc |= mp_key(&pk, "min") | msgpack_pack_double(&pk, r->min);
    rc |= mp_key(&pk, "max") | msgpack_pack_double(&pk, r->max);
    rc |= mp_key(&pk, "last") | msgpack_pack_double(&pk, r->last);
    rc |= mp_key(&pk, "feature_sum") | msgpack_pack_double(&pk, r->feature_sum);
    rc |= mp_key(&pk, "recent") | msgpack_pack_array(&pk, r->nrecent);
    for (uint32_t i = 0; i < r->nrecent; i++)
        rc |= msgpack_pack_double(&pk, r->recent[i]);
    if (rc != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

static int mp_is(const msgpack_object *o, const char *k)
{
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(k) &&
           memcmp(o->via.str.ptr, k, o->via.str.size) == 0;
}

static int mp_u64(const msgpack_object *o, uint64_t *out)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return -1;
    *out = o->via.u64;
    return 0;
}

static int mp_f64(const msgpack_object *o, double *out)
{
    if (o->type != MSGPACK_OBJECT_FLOAT64 && o->type != MSGPACK_OBJECT_FLOAT32)
        return -1;
    *out = o->via.f64;
    return 0;
}

static int mp_stats(const msgpack_object *m, struct nested *r)
{
    if (m->type != MSGPACK_OBJECT_MAP || m->via.map.size != 8)
        return -1;
    unsigned seen = 0;
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object *k = &m->via.map.ptr[i].key, *v = &m->via.map.ptr[i].val;
        int rc = -1;
        if (mp_is(k, "messages"))
            rc = mp_u64(v, &r->messages), seen |= 1;
        else if (mp_is(k, "data_count"))
            rc = mp_u64(v, &r->data_count), seen |= 2;
        else if (mp_is(k, "invalid"))
            rc = mp_u64(v, &r->invalid), seen |= 4;
        else if (mp_is(k, "sum"))
            rc = mp_f64(v, &r->sum), seen |= 8;
        else if (mp_is(k, "min"))
            rc = mp_f64(v, &r->min), seen |= 16;
        else if (mp_is(k, "max"))
            rc = mp_f64(v, &r->max), seen |= 32;
        else if (mp_is(k, "last"))
            rc = mp_f64(v, &r->last), seen |= 64;
        else if (mp_is(k, "feature_sum"))
            rc = mp_f64(v, &r->feature_sum), seen |= 128;
        if (rc < 0)
            return -1;
    }
    return seen == 255 ? 0 : -1;
}

static int mp_nested_fields(const msgpack_object *m, struct nested *r)
{
    if (m->type != MSGPACK_OBJECT_MAP || m->via.map.size != 4)
        return -1;
    unsigned seen = 0;
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object *k = &m->via.map.ptr[i].key, *v = &m->via.map.ptr[i].val;
        if (mp_is(k, "key")) {
            if (v->type != MSGPACK_OBJECT_STR || v->via.str.size == 0 ||
                v->via.str.size > KEY_MAX)
                return -1;
            memcpy(r->key, v->via.str.ptr, v->via.str.size);
            r->key[v->via.str.size] = '\0';
            seen |= 1;
        } else if (mp_is(k, "state")) {
            uint64_t s;
            if (mp_u64(v, &s) < 0 || s > UINT8_MAX)
                return -1;
            r->state = (uint8_t)s;
            seen |= 2;
        } else if (mp_is(k, "stats")) {
            if (mp_stats(v, r) < 0)
                return -1;
            seen |= 4;
        } else if (mp_is(k, "recent")) {
            if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size > RECORD_RECENT)
                return -1;
            r->nrecent = v->via.array.size;
            for (uint32_t j = 0; j < r->nrecent; j++)
                if (mp_f64(&v->via.array.ptr[j], &r->recent[j]) < 0)
                    return -1;
            seen |= 8;
        } else {
            return -1;
        }
    }
    return seen == 15 ? 0 : -1;
}

/* Unpack exactly one object filling in[0..len), then let fill() read it. */
static int mp_decode(const uint8_t *in, size_t len, int (*fill)(const msgpack_object *, void *),
                     void *dst)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int rc = -1;
    if (msgpack_unpack_next(&u, (const char *)in, len, &off) == MSGPACK_UNPACK_SUCCESS &&
        off == len)
        rc = fill(&u.data, dst);
    msgpack_unpacked_destroy(&u);
    return rc < 0 ? bad() : 0;
}

static int mp_fill_nested(const msgpack_object *o, void *dst)
{
    return mp_nested_fields(o, dst);
}

static int mp_fill_array(const msgpack_object *o, void *dst)
{
    struct numarray *a = dst;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > RECORD_ARRAY)
        return -1;
    a->n = o->via.array.size;
    for (uint32_t i = 0; i < a->n; i++)
        if (mp_f64(&o->via.array.ptr[i], &a->v[i]) < 0)
            return -1;
    return 0;
}

static int mp_array_encode(const struct numarray *a, struct buf *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, mp_write);
    int rc = msgpack_pack_array(&pk, a->n);
    for (uint32_t i = 0; i < a->n; i++)
        rc |= msgpack_pack_double(&pk, a->v[i]);
    if (rc != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ json */

static int js_write(const char *p, size_t n, void *data)
{
    return buf_append(data, p, n);
}

/* Dump (and free) a built tree into out. */
static int js_dump(json_t *root, struct buf *out)
{
    if (!root) {
        errno = ENOMEM;
        return -1;
    }
    /* 17 significant digits: every double reads back bit for bit. */
    int rc = json_dump_callback(root, js_write, out, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (rc < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

static int js_nested_encode(const struct nested *r, struct buf *out)
{
    json_t *o = json_object(), *st = json_object(), *rec = json_array();
    if (!o || !st || !rec) {
        json_decref(o), json_decref(st), json_decref(rec);
        errno = ENOMEM;
        return -1;
    }
    json_object_set_new(st, "messages", json_integer((json_int_t)r->messages));
    json_object_set_new(st, "data_count", json_integer((json_int_t)r->data_count));
    json_object_set_new(st, "invalid", json_integer((json_int_t)r->invalid));
    json_object_set_new(st, "sum", json_real(r->sum));
    json_object_set_new(st, "min", json_real(r->min));
    json_object_set_new(st, "max", json_real(r->max));
    json_object_set_new(st, "last", json_real(r->last));
    json_object_set_new(st, "feature_sum", json_real(r->feature_sum));
    for (uint32_t i = 0; i < r->nrecent; i++)
        json_array_append_new(rec, json_real(r->recent[i]));
    json_object_set_new(o, "key", json_string(r->key));
    json_object_set_new(o, "state", json_integer(r->state));
    json_object_set_new(o, "stats", st);
    json_object_set_new(o, "recent", rec);
    return js_dump(o, out);
}

static int js_u64(json_t *o, const char *k, uint64_t *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int js_f64(json_t *v, double *out)
{
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

static int js_nested_fields(json_t *o, struct nested *r)
{
    json_t *key = json_object_get(o, "key"), *st = json_object_get(o, "stats");
    json_t *rec = json_object_get(o, "recent");
    uint64_t state;
    if (!json_is_object(o) || json_object_size(o) != 4 || !json_is_string(key) ||
        json_string_length(key) == 0 || json_string_length(key) > KEY_MAX ||
        !json_is_object(st) || json_object_size(st) != 8 || !json_is_array(rec) ||
        json_array_size(rec) > RECORD_RECENT || js_u64(o, "state", &state) < 0 ||
        state > UINT8_MAX)
        return -1;
    memcpy(r->key, json_string_value(key), json_string_length(key) + 1);
    r->state = (uint8_t)state;
    if (js_u64(st, "messages", &r->messages) < 0 || js_u64(st, "data_count", &r->data_count) < 0 ||
        js_u64(st, "invalid", &r->invalid) < 0 ||
        js_f64(json_object_get(st, "sum"), &r->sum) < 0 ||
        js_f64(json_object_get(st, "min"), &r->min) < 0 ||
        js_f64(json_object_get(st, "max"), &r->max) < 0 ||
        js_f64(json_object_get(st, "last"), &r->last) < 0 ||
        js_f64(json_object_get(st, "feature_sum"), &r->feature_sum) < 0)
        return -1;
    r->nrecent = (uint32_t)json_array_size(rec);
    for (uint32_t i = 0; i < r->nrecent; i++)
        if (js_f64(json_array_get(rec, i), &r->recent[i]) < 0)
            return -1;
    return 0;
}

static int js_array_encode(const struct numarray *a, struct buf *out)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; arr && i < a->n; i++)
        json_array_append_new(arr, json_real(a->v[i]));
    return js_dump(arr, out);
}

static int js_array_fill(json_t *arr, struct numarray *a)
{
    if (!json_is_array(arr) || json_array_size(arr) > RECORD_ARRAY)
        return -1;
    a->n = (uint32_t)json_array_size(arr);
    for (uint32_t i = 0; i < a->n; i++)
        if (js_f64(json_array_get(arr, i), &a->v[i]) < 0)
            return -1;
    return 0;
}

/* Parse in[0..len) and let fill() read the tree. */
static int js_decode(const uint8_t *in, size_t len, int (*fill)(json_t *, void *), void *dst)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)in, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = root ? fill(root, dst) : -1;
    json_decref(root);
    return rc < 0 ? bad() : 0;
}

static int js_fill_nested(json_t *o, void *dst) { return js_nested_fields(o, dst); }
static int js_fill_array(json_t *o, void *dst) { return js_array_fill(o, dst); }

/* ------------------------------------------------------------------ dispatch */

int nested_encode(enum codec c, const struct nested *r, struct buf *out)
{
    if (r->nrecent > RECORD_RECENT || strlen(r->key) == 0 || strlen(r->key) > KEY_MAX) {
        errno = EINVAL;
        return -1;
    }
    switch (c) {
    case CODEC_RAW: return raw_nested_encode(r, out);
    case CODEC_MSGPACK: return mp_nested_encode(r, out);
    case CODEC_JSON: return js_nested_encode(r, out);
    default: errno = EINVAL; return -1;
    }
}

int nested_decode(enum codec c, const uint8_t *in, size_t len, struct nested *r)
{
    switch (c) {
    case CODEC_RAW: return raw_nested_decode(in, len, r);
    case CODEC_MSGPACK: return mp_decode(in, len, mp_fill_nested, r);
    case CODEC_JSON: return js_decode(in, len, js_fill_nested, r);
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
    case CODEC_MSGPACK: return mp_array_encode(a, out);
    case CODEC_JSON: return js_array_encode(a, out);
    default: errno = EINVAL; return -1;
    }
}

int numarray_decode(enum codec c, const uint8_t *in, size_t len, struct numarray *a)
{
    switch (c) {
    case CODEC_RAW: return raw_array_decode(in, len, a);
    case CODEC_MSGPACK: return mp_decode(in, len, mp_fill_array, a);
    case CODEC_JSON: return js_decode(in, len, js_fill_array, a);
    default: errno = EINVAL; return -1;
    }
}
