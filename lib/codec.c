/* codec.c: codec dispatch and the raw codec (see codec.h).
 *
 * The raw layout is written byte by byte in little-endian order rather than by
 * memcpy of a struct: a struct has padding and the host's byte order, and the
 * reader may be another machine. The double travels as its IEEE-754 bits. */
#include "codec.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec_internal.h"
#include "le.h"
#include "param.h"

#define RAW_MAGIC     0xC1      /* layout version 1; msgpack never uses this byte */
#define RAW_HAS_VALUE 0x01      /* flags bit */

static const char *const codec_names[CODEC_COUNT] = {
    [CODEC_RAW] = "raw",
    [CODEC_MSGPACK] = "msgpack",
    [CODEC_JSON] = "json",
};

int codec_parse(const char *s, enum codec *out)
{
    for (int i = 0; i < CODEC_COUNT; i++)
        if (strcmp(s, codec_names[i]) == 0) {
            *out = (enum codec)i;
            return 0;
        }
    return -1;
}

const char *codec_name(enum codec c)
{
    return (unsigned)c < CODEC_COUNT ? codec_names[c] : "?";
}

int codec_reject(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
        /* A reason may quote the input (jansson's "near '...'" does), and it ends
         * up on a terminal or in a log: control bytes and non-ASCII become '?', as
         * in ctl.c, so hostile bytes cannot inject escape sequences or newlines
         * (found by tests/fuzz/fuzz_codec_json). */
        for (char *p = why; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                *p = '?';
    }
    errno = EBADMSG;
    return -1;
}

void codec_set_key(struct msg *m, const char *key, size_t len)
{
    memcpy(m->key, key, len);
    m->key[len] = '\0';
    m->key_len = (uint8_t)len;
}

static int raw_encode(const struct msg *m, struct buf *out)
{
    size_t n = CODEC_RAW_FIXED + m->key_len + (size_t)m->payload_len;
    if (buf_reserve(out, n) < 0)
        return -1;
    uint8_t *p = out->data + out->len;
    uint64_t bits = 0;
    if (m->has_value)
        memcpy(&bits, &m->value, sizeof bits);
    p[0] = RAW_MAGIC;
    p[1] = (uint8_t)m->op;
    p[2] = m->has_value ? RAW_HAS_VALUE : 0;
    p[3] = m->key_len;
    memcpy(p + 4, m->key, m->key_len);
    p += 4 + m->key_len;
    le_put64(p, bits);
    le_put64(p + 8, m->seq);
    le_put32(p + 16, m->payload_len);
    if (m->payload_len)
        memcpy(p + 20, m->payload, m->payload_len);
    out->len += n;
    return 0;
}

static int raw_decode(const uint8_t *in, size_t len, struct msg *m, char *why, size_t whylen)
{
    if (len < 4)
        return codec_reject(why, whylen, "truncated: %zu bytes, the raw header needs %d", len,
                            CODEC_RAW_FIXED);
    if (in[0] != RAW_MAGIC)
        return codec_reject(why, whylen, "bad magic byte 0x%02x (expected 0x%02x)", in[0], RAW_MAGIC);
    if (in[1] >= OP_COUNT)
        return codec_reject(why, whylen, "op %u out of range", in[1]);
    if (in[2] & ~RAW_HAS_VALUE)
        return codec_reject(why, whylen, "unknown flags 0x%02x", in[2]);
    size_t klen = in[3], head = CODEC_RAW_FIXED + klen;
    if (len < head)
        return codec_reject(why, whylen, "truncated: %zu bytes, the raw header needs %zu", len, head);
    if (!key_valid((const char *)in + 4, klen))
        return codec_reject(why, whylen, "invalid key (%zu bytes)", klen);
    const uint8_t *p = in + 4 + klen;
    uint64_t bits = le_get64(p);
    double v;
    memcpy(&v, &bits, sizeof v);
    bool has_value = in[2] & RAW_HAS_VALUE;
    if (has_value && !isfinite(v))
        return codec_reject(why, whylen, "value is not finite");
    if (!has_value && bits != 0)
        return codec_reject(why, whylen, "value bits set without the has_value flag");
    uint32_t plen = le_get32(p + 16);
    if (plen > PAYLOAD_MAX)
        return codec_reject(why, whylen, "payload of %u bytes exceeds %u", plen, PAYLOAD_MAX);
    if (len - head < plen)
        return codec_reject(why, whylen, "truncated: payload needs %u bytes, %zu left", plen,
                            len - head);
    if (len - head > plen)
        return codec_reject(why, whylen, "%zu trailing bytes after the payload", len - head - plen);
    codec_set_key(m, (const char *)in + 4, klen);
    m->op = (enum op)in[1];
    m->has_value = has_value;
    m->value = has_value ? v : 0.0;
    m->seq = le_get64(p + 8);
    m->payload_len = plen;
    m->payload = plen ? in + head : NULL;
    return 0;
}

/* Refuse to encode what no decoder would accept back. */
static int msg_encodable(const struct msg *m)
{
    return key_valid(m->key, m->key_len) && (unsigned)m->op < OP_COUNT &&
           (!m->has_value || isfinite(m->value)) && m->payload_len <= PAYLOAD_MAX &&
           (m->payload || m->payload_len == 0);
}

int codec_encode(enum codec c, const struct msg *m, struct buf *out)
{
    if ((unsigned)c >= CODEC_COUNT || !msg_encodable(m)) {
        errno = EINVAL;
        return -1;
    }
    switch (c) {
    case CODEC_MSGPACK:
        return codec_msgpack_encode(m, out);
    case CODEC_JSON:
        return codec_json_encode(m, out);
    case CODEC_RAW:
    default:
        return raw_encode(m, out);
    }
}

int codec_decode(enum codec c, const uint8_t *in, size_t len, struct msg *m,
                 struct buf *scratch, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    switch (c) {
    case CODEC_RAW:
        return raw_decode(in, len, m, why, whylen);
    case CODEC_MSGPACK:
        return codec_msgpack_decode(in, len, m, scratch, why, whylen);
    case CODEC_JSON:
        if (!scratch)
            break;
        return codec_json_decode(in, len, m, scratch, why, whylen);
    default:
        break;
    }
    errno = EINVAL;
    return -1;
}
