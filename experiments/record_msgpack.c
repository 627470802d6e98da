/* record_msgpack.c: the nested record and the numeric array in msgpack-c
 * (see record.h). A map of named fields, the shape pickle would give a dict;
 * decoding rebuilds the C struct and rejects anything that does not match. */
#include <errno.h>
#include <msgpack.h>
#include <string.h>

#include "record_internal.h"

static int mp_write(void *data, const char *p, size_t n)
{
    return buf_append(data, p, n);
}

static int mp_key(msgpack_packer *pk, const char *k)
{
    size_t n = strlen(k);
    return msgpack_pack_str(pk, n) | msgpack_pack_str_body(pk, k, n);
}

int record_mp_nested_encode(const struct nested *r, struct buf *out)
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
    if (rc < 0) {
        errno = EBADMSG;
        return -1;
    }
    return 0;
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

int record_mp_array_encode(const struct numarray *a, struct buf *out)
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

int record_mp_nested_decode(const uint8_t *in, size_t len, struct nested *r)
{
    return mp_decode(in, len, mp_fill_nested, r);
}

int record_mp_array_decode(const uint8_t *in, size_t len, struct numarray *a)
{
    return mp_decode(in, len, mp_fill_array, a);
}
