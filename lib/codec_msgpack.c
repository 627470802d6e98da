/* codec_msgpack.c: the msgpack codec (see codec.h), on msgpack-c.
 *
 * Decoding is two passes. msgpack_scan() first walks the bytes without building
 * anything, checking that every length stays inside the input and that exactly
 * one object fills it. Only then does msgpack_unpack_next() build the objects.
 * The first pass is there because msgpack-c sizes its allocation for an array or
 * map from the count in the header: five corrupt bytes announcing a 4-billion
 * element array would ask malloc for ~100 GB. A length read off the wire must
 * never size an allocation before it is checked against what actually arrived.
 * (Strings and bins are not copied: their objects point into the input, which is
 * why the payload can be borrowed.) */
#include <errno.h>
#include <math.h>
#include <msgpack.h>
#include <string.h>

#include "codec.h"
#include "codec_internal.h"
#include "param.h"

static int buf_write_cb(void *data, const char *p, size_t n)
{
    return buf_append(data, p, n);
}

int codec_msgpack_encode(const struct msg *m, struct buf *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, buf_write_cb);
    size_t before = out->len;
    int rc = msgpack_pack_map(&pk, 5);
    rc |= msgpack_pack_str_with_body(&pk, "k", 1);
    rc |= msgpack_pack_str_with_body(&pk, m->key, m->key_len);
    rc |= msgpack_pack_str_with_body(&pk, "o", 1);
    rc |= msgpack_pack_unsigned_int(&pk, (unsigned)m->op);
    rc |= msgpack_pack_str_with_body(&pk, "v", 1);
    rc |= m->has_value ? msgpack_pack_double(&pk, m->value) : msgpack_pack_nil(&pk);
    rc |= msgpack_pack_str_with_body(&pk, "s", 1);
    rc |= msgpack_pack_uint64(&pk, m->seq);
    rc |= msgpack_pack_str_with_body(&pk, "p", 1);
    rc |= msgpack_pack_bin_with_body(&pk, m->payload_len ? m->payload : (const void *)"", m->payload_len);
    if (rc != 0) {
        out->len = before;      /* no half-written encoding left behind */
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Walk one complete msgpack object at in[0..len), containers included. Returns
 * the number of bytes it spans, or 0 if it is truncated or malformed. Every
 * array or map count is checked against the bytes left (each element needs at
 * least one), which bounds what msgpack-c will allocate by a small multiple of len. */
static size_t msgpack_scan(const uint8_t *in, size_t len)
{
    size_t off = 0;
    uint64_t pending = 1;       /* objects still to walk */
    while (pending > 0) {
        pending--;
        if (off >= len)
            return 0;
        uint8_t t = in[off++];
        uint64_t body = 0, items = 0;   /* bytes of data that follow; child objects */
        int lenbytes = 0;               /* size of an explicit length field */
        if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
            /* fixint, nil, bool: nothing follows */
        } else if (t <= 0x8f) {
            items = 2u * (t & 0x0f);
        } else if (t <= 0x9f) {
            items = t & 0x0f;
        } else if (t <= 0xbf) {
            body = t & 0x1f;
        } else {
            switch (t) {
            case 0xc4: case 0xd9: lenbytes = 1; break;          /* bin8, str8 */
            case 0xc5: case 0xda: lenbytes = 2; break;          /* bin16, str16 */
            case 0xc6: case 0xdb: lenbytes = 4; break;          /* bin32, str32 */
            case 0xc7: lenbytes = 1; body = 1; break;           /* ext8 (+ type byte) */
            case 0xc8: lenbytes = 2; body = 1; break;
            case 0xc9: lenbytes = 4; body = 1; break;
            case 0xca: body = 4; break;                         /* float32 */
            case 0xcb: body = 8; break;                         /* float64 */
            case 0xcc: case 0xd0: body = 1; break;              /* (u)int8 */
            case 0xcd: case 0xd1: body = 2; break;
            case 0xce: case 0xd2: body = 4; break;
            case 0xcf: case 0xd3: body = 8; break;
            case 0xd4: body = 2; break;                         /* fixext 1..16 (+ type) */
            case 0xd5: body = 3; break;
            case 0xd6: body = 5; break;
            case 0xd7: body = 9; break;
            case 0xd8: body = 17; break;
            case 0xdc: case 0xdd: case 0xde: case 0xdf: {       /* array16/32, map16/32 */
                int n = (t & 1) ? 4 : 2;
                if (len - off < (size_t)n)
                    return 0;
                items = be(in + off, n) * (t >= 0xde ? 2 : 1);
                off += (size_t)n;
                break;
            }
            default:
                return 0;       /* 0xc1, never used */
            }
            if (lenbytes) {
                if (len - off < (size_t)lenbytes)
                    return 0;
                body += be(in + off, lenbytes);
                off += (size_t)lenbytes;
            }
        }
        if (body > len - off || items > len - off)
            return 0;
        off += (size_t)body;
        pending += items;
    }
    return off;
}

/* Check the map against the schema and fill *m. */
static int msgpack_fill(const msgpack_object *root, const uint8_t *in, size_t len, struct msg *m,
                        struct buf *scratch, char *why, size_t whylen)
{
    static const char names[] = "kovsp";
    if (root->type != MSGPACK_OBJECT_MAP)
        return codec_reject(why, whylen, "not a map (msgpack type %d)", (int)root->type);
    if (root->via.map.size != 5)
        return codec_reject(why, whylen, "map has %u fields, expected 5", root->via.map.size);
    unsigned seen = 0;
    struct msg r = { .op = OP_DATA };
    for (uint32_t i = 0; i < 5; i++) {
        const msgpack_object *k = &root->via.map.ptr[i].key, *v = &root->via.map.ptr[i].val;
        const char *hit = k->type == MSGPACK_OBJECT_STR && k->via.str.size == 1
                              ? memchr(names, k->via.str.ptr[0], 5) : NULL;
        if (!hit)
            return codec_reject(why, whylen, "unknown field in map entry %u", i);
        unsigned bit = 1u << (hit - names);
        if (seen & bit)
            return codec_reject(why, whylen, "field '%c' appears twice", *hit);
        seen |= bit;
        switch (*hit) {
        case 'k':
            if (v->type != MSGPACK_OBJECT_STR || !key_valid(v->via.str.ptr, v->via.str.size))
                return codec_reject(why, whylen, "'k' is not a valid key string");
            codec_set_key(&r, v->via.str.ptr, v->via.str.size);
            break;
        case 'o':
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 >= OP_COUNT)
                return codec_reject(why, whylen, "'o' is not an op number 0..%d", OP_COUNT - 1);
            r.op = (enum op)v->via.u64;
            break;
        case 'v':
            if (v->type == MSGPACK_OBJECT_NIL) {
                r.has_value = false;
                r.value = 0.0;
            } else if (v->type == MSGPACK_OBJECT_FLOAT64 && isfinite(v->via.f64)) {
                r.has_value = true;
                r.value = v->via.f64;
            } else {
                return codec_reject(why, whylen, "'v' is not a finite float64 or nil");
            }
            break;
        case 's':
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                return codec_reject(why, whylen, "'s' is not an unsigned integer");
            r.seq = v->via.u64;
            break;
        case 'p':
            if (v->type != MSGPACK_OBJECT_BIN)
                return codec_reject(why, whylen, "'p' is not bin");
            if (v->via.bin.size > PAYLOAD_MAX)
                return codec_reject(why, whylen, "payload of %u bytes exceeds %u", v->via.bin.size,
                                    PAYLOAD_MAX);
            r.payload_len = v->via.bin.size;
            r.payload = (const uint8_t *)v->via.bin.ptr;
            /* msgpack-c points bin objects into the input (unpack.c's bin callback);
             * should a future version copy them into its zone, which dies with the
             * unpacked object, copy into scratch instead of dangling. */
            if (r.payload_len && !(r.payload >= in && r.payload + r.payload_len <= in + len)) {
                if (!scratch) {
                    errno = EINVAL;
                    return -1;
                }
                buf_reset(scratch);
                if (buf_append(scratch, r.payload, r.payload_len) < 0)
                    return -1;
                r.payload = scratch->data;
            }
            if (!r.payload_len)
                r.payload = NULL;
            break;
        }
    }
    *m = r;
    return 0;
}

int codec_msgpack_decode(const uint8_t *in, size_t len, struct msg *m, struct buf *scratch,
                         char *why, size_t whylen)
{
    size_t span = msgpack_scan(in, len);
    if (span == 0)
        return codec_reject(why, whylen, "truncated or malformed msgpack (%zu bytes)", len);
    if (span != len)
        return codec_reject(why, whylen, "%zu trailing bytes after the msgpack map", len - span);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    msgpack_unpack_return ret = msgpack_unpack_next(&u, (const char *)in, len, &off);
    int rc;
    if (ret == MSGPACK_UNPACK_NOMEM_ERROR) {
        errno = ENOMEM;
        rc = -1;
    } else if (ret != MSGPACK_UNPACK_SUCCESS || off != len) {
        rc = codec_reject(why, whylen, "msgpack-c rejected the input (code %d)", (int)ret);
    } else {
        rc = msgpack_fill(&u.data, in, len, m, scratch, why, whylen);
    }
    int e = errno;
    msgpack_unpacked_destroy(&u);
    errno = e;
    return rc;
}
