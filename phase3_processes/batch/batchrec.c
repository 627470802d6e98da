/* batchrec.c: the records, slide 9's batch function, and their msgpack form. */
#include "batchrec.h"

#include <errno.h>
#include <math.h>
#include <msgpack.h>
#include <string.h>

#include "fsm.h"

void sensor_init(struct sensor *s, uint64_t seed)
{
    rng_seed(&s->rng, seed);
    s->next_id = 0;
}

void sensor_next(struct sensor *s, struct sensor_record *r)
{
    r->id = s->next_id++;
    r->value = -10.0 + 120.0 * rng_unit(&s->rng);
}

void process_record_batch(const struct sensor_record *in, size_t n, struct record_result *out)
{
    /* EXERCISE(batch-process): lecture 36, slide 9: for each record, normalized =
     * (value - 20) / 60 and feature = sqrt(|normalized|) * log(|value| + 1); out[i]
     * carries the id, the value and both. The stub copies id and value only. */
    /* STUB: for (size_t i = 0; i < n; i++) */
    /* STUB:     out[i] = (struct record_result){ in[i].id, in[i].value, 0, 0 }; */
    for (size_t i = 0; i < n; i++) {
        double v = in[i].value, norm = (v - 20.0) / 60.0;
        out[i] = (struct record_result){ in[i].id, v, norm, sqrt(fabs(norm)) * log(fabs(v) + 1.0) };
    }
    /* END EXERCISE */
}

uint64_t batch_work(const struct sensor_record *in, size_t n, uint32_t work)
{
    uint64_t x = 0;
    for (size_t i = 0; work && i < n; i++)
        x ^= work_burn(work, in[i].id);
    return x;
}

static int batch_buf_write(void *data, const char *p, size_t n)
{
    return buf_append(data, p, n);
}

int batch_encode(struct buf *out, uint64_t index, const struct sensor_record *r, size_t n)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, batch_buf_write);
    int rc = msgpack_pack_array(&pk, 2) | msgpack_pack_uint64(&pk, index)
             | msgpack_pack_array(&pk, (uint32_t)(2 * n));
    for (size_t i = 0; i < n && !rc; i++)
        rc |= msgpack_pack_uint64(&pk, r[i].id) | msgpack_pack_double(&pk, r[i].value);
    return rc ? -1 : 0;
}

int results_encode(struct buf *out, uint64_t index, const struct record_result *r, size_t n)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, batch_buf_write);
    int rc = msgpack_pack_array(&pk, 2) | msgpack_pack_uint64(&pk, index)
             | msgpack_pack_array(&pk, (uint32_t)(4 * n));
    for (size_t i = 0; i < n && !rc; i++)
        rc |= msgpack_pack_uint64(&pk, r[i].id) | msgpack_pack_double(&pk, r[i].value)
              | msgpack_pack_double(&pk, r[i].normalized) | msgpack_pack_double(&pk, r[i].feature);
    return rc ? -1 : 0;
}

/* Unpack [index, [flat...]] with `width` fields per record; calls put for each. */
static long decode(const uint8_t *in, size_t len, uint64_t *index, size_t width, size_t max,
                   void (*put)(void *dst, size_t i, const msgpack_object *f), void *dst)
{
    /* The frames come from our own workers, but check every type and count
     * anyway: a decoder never trusts its input's shape. A count larger than the
     * bytes could hold is refused before msgpack-c allocates for it. */
    if (len < 3 || len > (size_t)BATCH_MAX * 40 + 64)
        goto bad;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    if (msgpack_unpack_next(&u, (const char *)in, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len)
        goto bad_u;
    const msgpack_object *o = &u.data;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2
        || o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER
        || o->via.array.ptr[1].type != MSGPACK_OBJECT_ARRAY)
        goto bad_u;
    const msgpack_object_array *a = &o->via.array.ptr[1].via.array;
    if (a->size % width || a->size / width > max)
        goto bad_u;
    *index = o->via.array.ptr[0].via.u64;
    size_t n = a->size / width;
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *f = a->ptr + i * width;
        if (f[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            goto bad_u;
        for (size_t j = 1; j < width; j++)
            if (f[j].type != MSGPACK_OBJECT_FLOAT64 && f[j].type != MSGPACK_OBJECT_FLOAT32)
                goto bad_u;
        put(dst, i, f);
    }
    msgpack_unpacked_destroy(&u);
    return (long)n;
bad_u:
    msgpack_unpacked_destroy(&u);
bad:
    errno = EBADMSG;
    return -1;
}

static void put_rec(void *dst, size_t i, const msgpack_object *f)
{
    ((struct sensor_record *)dst)[i] = (struct sensor_record){ f[0].via.u64, f[1].via.f64 };
}

static void put_res(void *dst, size_t i, const msgpack_object *f)
{
    ((struct record_result *)dst)[i] =
        (struct record_result){ f[0].via.u64, f[1].via.f64, f[2].via.f64, f[3].via.f64 };
}

long batch_decode(const uint8_t *in, size_t len, uint64_t *index, struct sensor_record *recs, size_t max)
{
    return decode(in, len, index, 2, max, put_rec, recs);
}

long results_decode(const uint8_t *in, size_t len, uint64_t *index, struct record_result *res, size_t max)
{
    return decode(in, len, index, 4, max, put_res, res);
}

uint64_t results_checksum(uint64_t h, const struct record_result *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t w[3];
        w[0] = r[i].id;
        memcpy(&w[1], &r[i].normalized, 8);
        memcpy(&w[2], &r[i].feature, 8);
        const uint8_t *b = (const uint8_t *)w;
        for (size_t k = 0; k < sizeof w; k++)
            h = (h ^ b[k]) * 1099511628211ull;
    }
    return h;
}
