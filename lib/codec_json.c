/* codec_json.c: the JSON codec (see codec.h), on jansson.
 *
 * JSON has no bytes type, so the payload travels as base64: a third larger, and
 * a pass over every byte each way. That, and building a tree of json_t nodes
 * for five fields, is what the serialization experiment measures against raw. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec_internal.h"
#include "param.h"

/* Base64 (RFC 4648, standard alphabet, '=' padding) is written here because
 * jansson has none and 40 lines do not justify another library dependency. */
static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encode n bytes into out, which has room for 4 * ceil(n / 3) characters. */
static size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 63];
        *o++ = b64_alphabet[(v >> 6) & 63];
        *o++ = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 63];
        *o++ = b64_alphabet[(v >> 6) & 63];
        *o++ = '=';
    }
    return (size_t)(o - out);
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Strict decode: length a multiple of 4, alphabet only, '=' only as the last one
 * or two characters, and unused bits of the last group zero (so every byte
 * string has exactly one accepted encoding). Returns the decoded length into
 * out (room for 3 * n / 4 bytes), or -1 if malformed. */
static long b64_decode(const char *in, size_t n, uint8_t *out)
{
    if (n % 4)
        return -1;
    size_t pad = n && in[n - 1] == '=' ? (in[n - 2] == '=' ? 2 : 1) : 0;
    uint8_t *o = out;
    for (size_t i = 0; i < n; i += 4) {
        bool last = i + 4 == n;
        int v[4];
        for (int j = 0; j < 4; j++) {
            v[j] = b64_value(in[i + j]);
            if (v[j] < 0 && !(last && j >= 4 - (int)pad))
                return -1;
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12;
        if (last && pad == 2) {
            if (w & 0xffff)
                return -1;
            *o++ = (uint8_t)(w >> 16);
            break;
        }
        w |= (uint32_t)v[2] << 6;
        if (last && pad == 1) {
            if (w & 0xff)
                return -1;
            *o++ = (uint8_t)(w >> 16);
            *o++ = (uint8_t)(w >> 8);
            break;
        }
        w |= (uint32_t)v[3];
        *o++ = (uint8_t)(w >> 16);
        *o++ = (uint8_t)(w >> 8);
        *o++ = (uint8_t)w;
    }
    return (long)(o - out);
}

static int buf_dump_cb(const char *p, size_t n, void *data)
{
    return buf_append(data, p, n);
}

int codec_json_encode(const struct msg *m, struct buf *out)
{
    if (m->seq > (uint64_t)INT64_MAX) {
        errno = ERANGE;
        return -1;
    }
    char *b64 = malloc(4 * ((m->payload_len + 2) / 3) + 1);
    json_t *o = json_object();
    if (!b64 || !o)
        goto nomem;
    size_t blen = b64_encode(m->payload, m->payload_len, b64);
    /* json_object_set_new steals the value (and frees it if it fails), so a
     * NULL from a constructor just makes the set fail. */
    int rc = json_object_set_new(o, "key", json_stringn_nocheck(m->key, m->key_len));
    rc |= json_object_set_new(o, "op", json_string_nocheck(op_name(m->op)));
    rc |= json_object_set_new(o, "value", m->has_value ? json_real(m->value) : json_null());
    rc |= json_object_set_new(o, "seq", json_integer((json_int_t)m->seq));
    rc |= json_object_set_new(o, "payload", json_stringn_nocheck(b64, blen));
    if (rc)
        goto nomem;
    size_t before = out->len;
    if (json_dump_callback(o, buf_dump_cb, out, JSON_COMPACT | JSON_REAL_PRECISION(17)) < 0) {
        out->len = before;
        goto nomem;
    }
    free(b64);
    json_decref(o);
    return 0;
nomem:
    free(b64);
    json_decref(o);
    errno = ENOMEM;
    return -1;
}

static int json_fill(json_t *root, struct msg *m, struct buf *scratch, char *why, size_t whylen)
{
    if (!json_is_object(root))
        return codec_reject(why, whylen, "not a JSON object");
    if (json_object_size(root) != 5)
        return codec_reject(why, whylen, "object has %zu fields, expected 5 (key, op, value, seq, payload)",
                            json_object_size(root));
    json_t *key = json_object_get(root, "key"), *op = json_object_get(root, "op");
    json_t *value = json_object_get(root, "value"), *seq = json_object_get(root, "seq");
    json_t *payload = json_object_get(root, "payload");
    if (!key || !op || !value || !seq || !payload)
        return codec_reject(why, whylen, "missing field: expected key, op, value, seq, payload");
    struct msg r = { .op = OP_DATA };
    if (!json_is_string(key) || !key_valid(json_string_value(key), json_string_length(key)))
        return codec_reject(why, whylen, "\"key\" is not a valid key string");
    codec_set_key(&r, json_string_value(key), json_string_length(key));
    if (!json_is_string(op) || op_parse(json_string_value(op), json_string_length(op), &r.op) < 0)
        return codec_reject(why, whylen, "\"op\" is not an op name");
    if (json_is_null(value)) {
        r.has_value = false;
    } else if (json_is_number(value) && isfinite(json_number_value(value))) {
        r.has_value = true;
        r.value = json_number_value(value);
    } else {
        return codec_reject(why, whylen, "\"value\" is not a finite number or null");
    }
    if (!json_is_integer(seq) || json_integer_value(seq) < 0)
        return codec_reject(why, whylen, "\"seq\" is not a non-negative integer");
    r.seq = (uint64_t)json_integer_value(seq);
    if (!json_is_string(payload))
        return codec_reject(why, whylen, "\"payload\" is not a base64 string");
    size_t blen = json_string_length(payload);
    if (blen / 4 * 3 > PAYLOAD_MAX + 2)
        return codec_reject(why, whylen, "payload exceeds %u bytes", PAYLOAD_MAX);
    buf_reset(scratch);
    if (buf_reserve(scratch, blen / 4 * 3 + 1) < 0)
        return -1;
    long n = b64_decode(json_string_value(payload), blen, scratch->data);
    if (n < 0)
        return codec_reject(why, whylen, "\"payload\" is not strict base64");
    if ((unsigned long)n > PAYLOAD_MAX)
        return codec_reject(why, whylen, "payload of %ld bytes exceeds %u", n, PAYLOAD_MAX);
    scratch->len = (size_t)n;
    r.payload_len = (uint32_t)n;
    r.payload = n ? scratch->data : NULL;
    *m = r;
    return 0;
}

int codec_json_decode(const uint8_t *in, size_t len, struct msg *m, struct buf *scratch,
                      char *why, size_t whylen)
{
    json_error_t jerr;
    /* REJECT_DUPLICATES: {"seq":1,"seq":2} is an error, not "last one wins".
     * json_loadb also rejects anything after the value but whitespace. */
    json_t *root = json_loadb((const char *)in, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return codec_reject(why, whylen, "bad JSON at byte %d: %s", jerr.position, jerr.text);
    int rc = json_fill(root, m, scratch, why, whylen);
    int e = errno;
    json_decref(root);
    errno = e;
    return rc;
}
