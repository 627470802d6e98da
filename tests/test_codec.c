/* test_codec.c: the three codecs round-trip every message shape, and reject
 * every truncated, corrupt, mistyped or padded input with EBADMSG. */
#include <errno.h>
#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "kit_test.h"
#include "param.h"

static const char max_key[] = "abcdefghijklmnopqrstuvwxyz_.-09";   /* KEY_MAX characters */

static uint8_t *pattern(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + 3);
    return p;
}

static struct msg make_msg(const char *key, enum op op, bool has_value, double v, uint64_t seq,
                           const uint8_t *payload, uint32_t plen)
{
    struct msg m = { .op = op, .has_value = has_value, .value = has_value ? v : 0.0, .seq = seq,
                     .payload = payload, .payload_len = plen };
    msg_set_key(&m, key, strlen(key));
    return m;
}

/* Largest seq each codec carries (jansson's integers are signed). */
static uint64_t max_seq(enum codec c)
{
    return c == CODEC_JSON ? (uint64_t)INT64_MAX : UINT64_MAX;
}

static void assert_same(enum codec c, const struct msg *a, const struct msg *b)
{
    ck_assert_msg(strcmp(a->key, b->key) == 0 && a->key_len == b->key_len,
                  "%s: key: expected '%s' got '%s'", codec_name(c), a->key, b->key);
    ck_assert_msg(a->op == b->op, "%s: op: expected %d got %d", codec_name(c), a->op, b->op);
    ck_assert_msg(a->has_value == b->has_value, "%s: has_value: expected %d got %d", codec_name(c),
                  a->has_value, b->has_value);
    ck_assert_msg(memcmp(&a->value, &b->value, sizeof a->value) == 0,
                  "%s: value: expected %.17g got %.17g (bits differ)", codec_name(c), a->value, b->value);
    ck_assert_msg(a->seq == b->seq, "%s: seq: expected %llu got %llu", codec_name(c),
                  (unsigned long long)a->seq, (unsigned long long)b->seq);
    ck_assert_msg(a->payload_len == b->payload_len, "%s: payload_len: expected %u got %u",
                  codec_name(c), a->payload_len, b->payload_len);
    ck_assert_msg(a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0,
                  "%s: payload bytes differ", codec_name(c));
}

/* Decode must fail with EBADMSG and say why. */
static void assert_rejected(enum codec c, const uint8_t *in, size_t len, const char *what)
{
    struct msg m;
    struct buf scratch = BUF_INIT;
    char why[200] = "";
    errno = 0;
    int rc = codec_decode(c, in, len, &m, &scratch, why, sizeof why);
    ck_assert_msg(rc == -1 && errno == EBADMSG, "%s: %s: expected -1/EBADMSG, got %d errno %d",
                  codec_name(c), what, rc, errno);
    ck_assert_msg(why[0] != '\0', "%s: %s: rejected without a reason", codec_name(c), what);
    buf_free(&scratch);
}

START_TEST(test_roundtrip_sizes)
{
    static const size_t sizes[] = { 0, 1, 100, 1024, 65536, 1u << 20 };
    for (int c = 0; c < CODEC_COUNT; c++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            uint8_t *p = pattern(sizes[i]);
            struct msg in = make_msg(max_key, (enum op)(i % OP_COUNT), i % 2 == 0, -1234.5625,
                                     max_seq((enum codec)c) - i, p, (uint32_t)sizes[i]);
            struct buf out = BUF_INIT, scratch = BUF_INIT;
            ck_assert_int_eq(codec_encode((enum codec)c, &in, &out), 0);
            struct msg got;
            char why[200] = "";
            int rc = codec_decode((enum codec)c, out.data, out.len, &got, &scratch, why, sizeof why);
            ck_assert_msg(rc == 0, "%s payload %zu: decode failed: %s", codec_name((enum codec)c),
                          sizes[i], why);
            assert_same((enum codec)c, &in, &got);
            if (c == CODEC_RAW)
                ck_assert_uint_eq(out.len, CODEC_RAW_FIXED + strlen(max_key) + sizes[i]);
            /* The payload is borrowed from the input where the codec allows it. */
            if (sizes[i] && c != CODEC_JSON)
                ck_assert_msg(got.payload >= out.data && got.payload + got.payload_len <= out.data + out.len,
                              "%s: payload not borrowed from the input", codec_name((enum codec)c));
            if (sizes[i] == 0)
                ck_assert_ptr_null(got.payload);
            buf_free(&out);
            buf_free(&scratch);
            free(p);
        }
}
END_TEST

START_TEST(test_roundtrip_values)
{
    static const double values[] = { 0.0, -0.0, 3.0, 12.5, -1e-300, 5e-324, 1.7976931348623157e308,
                                     0.1, 1e17, 123456789012345678.0 };
    for (int c = 0; c < CODEC_COUNT; c++)
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
            for (int op = 0; op < OP_COUNT; op++) {
                struct msg in = make_msg("k", (enum op)op, true, values[i], i, NULL, 0);
                struct buf out = BUF_INIT, scratch = BUF_INIT;
                ck_assert_int_eq(codec_encode((enum codec)c, &in, &out), 0);
                struct msg got;
                ck_assert_int_eq(codec_decode((enum codec)c, out.data, out.len, &got, &scratch, NULL, 0), 0);
                assert_same((enum codec)c, &in, &got);
                buf_free(&out);
                buf_free(&scratch);
            }
}
END_TEST

START_TEST(test_encode_appends)
{
    /* Encoding appends: two messages back to back in one buffer. */
    struct msg a = make_msg("a", OP_START, false, 0, 1, NULL, 0);
    struct buf out = BUF_INIT;
    ck_assert_int_eq(codec_encode(CODEC_RAW, &a, &out), 0);
    size_t first = out.len;
    ck_assert_int_eq(codec_encode(CODEC_RAW, &a, &out), 0);
    ck_assert_uint_eq(out.len, 2 * first);
    ck_assert_mem_eq(out.data, out.data + first, first);
    buf_free(&out);
}
END_TEST

START_TEST(test_encode_invalid)
{
    struct buf out = BUF_INIT;
    struct msg m = make_msg("k1", OP_DATA, true, 1.0, 0, NULL, 0);
    for (int c = 0; c < CODEC_COUNT; c++) {
        struct msg bad = m;
        bad.value = NAN;
        errno = 0;
        ck_assert_int_eq(codec_encode((enum codec)c, &bad, &out), -1);
        ck_assert_int_eq(errno, EINVAL);
        bad = m;
        bad.key[0] = ' ';
        ck_assert_int_eq(codec_encode((enum codec)c, &bad, &out), -1);
        ck_assert_int_eq(errno, EINVAL);
        bad = m;
        bad.op = OP_COUNT;
        ck_assert_int_eq(codec_encode((enum codec)c, &bad, &out), -1);
        ck_assert_int_eq(errno, EINVAL);
        bad = m;
        bad.payload = (const uint8_t *)"x";
        bad.payload_len = PAYLOAD_MAX + 1;
        ck_assert_int_eq(codec_encode((enum codec)c, &bad, &out), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_uint_eq(out.len, 0);
    }
    m.seq = (uint64_t)INT64_MAX + 1;
    errno = 0;
    ck_assert_int_eq(codec_encode(CODEC_JSON, &m, &out), -1);
    ck_assert_int_eq(errno, ERANGE);
    ck_assert_int_eq(codec_encode((enum codec)CODEC_COUNT, &m, &out), -1);
    ck_assert_int_eq(errno, EINVAL);
    buf_free(&out);
}
END_TEST

START_TEST(test_every_truncation)
{
    uint8_t *p = pattern(10);
    struct msg in = make_msg("sensor.7", OP_DATA, true, 21.25, 42, p, 10);
    for (int c = 0; c < CODEC_COUNT; c++) {
        struct buf out = BUF_INIT;
        ck_assert_int_eq(codec_encode((enum codec)c, &in, &out), 0);
        for (size_t n = 0; n < out.len; n++) {
            /* A copy of exactly n bytes, so ASan sees any read past the end. */
            uint8_t *cut = malloc(n ? n : 1);
            memcpy(cut, out.data, n);
            char what[64];
            snprintf(what, sizeof what, "prefix of %zu/%zu bytes", n, out.len);
            assert_rejected((enum codec)c, cut, n, what);
            free(cut);
        }
        buf_free(&out);
    }
    free(p);
}
END_TEST

START_TEST(test_trailing_garbage)
{
    struct msg in = make_msg("k", OP_STOP, false, 0, 7, (const uint8_t *)"ab", 2);
    for (int c = 0; c < CODEC_COUNT; c++) {
        struct buf out = BUF_INIT;
        ck_assert_int_eq(codec_encode((enum codec)c, &in, &out), 0);
        ck_assert_int_eq(buf_append(&out, "x", 1), 0);
        assert_rejected((enum codec)c, out.data, out.len, "one trailing byte");
        buf_free(&out);
    }
}
END_TEST

/* A decoded message must satisfy msg.h whatever bytes it came from. */
static void assert_valid_or_rejected(enum codec c, const uint8_t *in, size_t len, size_t i)
{
    struct msg m;
    struct buf scratch = BUF_INIT;
    errno = 0;
    if (codec_decode(c, in, len, &m, &scratch, NULL, 0) == 0) {
        ck_assert_msg(key_valid(m.key, m.key_len) && strlen(m.key) == m.key_len,
                      "%s: byte %zu flipped: invalid key accepted", codec_name(c), i);
        ck_assert_msg((unsigned)m.op < OP_COUNT, "%s: byte %zu: op %d accepted", codec_name(c), i, m.op);
        ck_assert_msg(isfinite(m.value) && (m.has_value || m.value == 0.0),
                      "%s: byte %zu: value %g accepted", codec_name(c), i, m.value);
        ck_assert_msg(m.payload_len <= PAYLOAD_MAX, "%s: byte %zu: payload_len", codec_name(c), i);
        if (m.payload_len) {
            bool in_input = m.payload >= in && m.payload + m.payload_len <= in + len;
            bool in_scratch = m.payload >= scratch.data && m.payload + m.payload_len <= scratch.data + scratch.len;
            ck_assert_msg(in_input || in_scratch, "%s: byte %zu: payload points outside", codec_name(c), i);
        }
    } else {
        ck_assert_msg(errno == EBADMSG, "%s: byte %zu: expected EBADMSG, got errno %d", codec_name(c), i, errno);
    }
    buf_free(&scratch);
}

START_TEST(test_corrupt_bytes)
{
    uint8_t *p = pattern(5);
    struct msg in = make_msg("key-1", OP_RESUME, true, -3.5, 99, p, 5);
    static const uint8_t flips[] = { 0xff, 0x01, 0x80, 0x20 };
    for (int c = 0; c < CODEC_COUNT; c++) {
        struct buf out = BUF_INIT;
        ck_assert_int_eq(codec_encode((enum codec)c, &in, &out), 0);
        uint8_t *copy = malloc(out.len);
        for (size_t i = 0; i < out.len; i++)
            for (size_t f = 0; f < sizeof flips; f++) {
                memcpy(copy, out.data, out.len);
                copy[i] ^= flips[f];
                assert_valid_or_rejected((enum codec)c, copy, out.len, i);
            }
        free(copy);
        buf_free(&out);
    }
    free(p);
}
END_TEST

START_TEST(test_raw_fields)
{
    struct msg in = make_msg("k", OP_DATA, false, 0, 1, NULL, 0);
    struct buf out = BUF_INIT;
    ck_assert_int_eq(codec_encode(CODEC_RAW, &in, &out), 0);
    uint8_t b[64];
    size_t n = out.len;
    memcpy(b, out.data, n);
    b[1] = OP_COUNT;
    assert_rejected(CODEC_RAW, b, n, "op out of range");
    memcpy(b, out.data, n);
    b[2] = 0x02;
    assert_rejected(CODEC_RAW, b, n, "unknown flag");
    memcpy(b, out.data, n);
    b[5] = 1;                   /* value bits without has_value */
    assert_rejected(CODEC_RAW, b, n, "value without flag");
    memcpy(b, out.data, n);
    b[2] = 1;
    memcpy(b + 5, &(uint64_t){ 0x7ff0000000000000ull }, 8);  /* +inf, LE on x86 and arm */
    assert_rejected(CODEC_RAW, b, n, "infinite value");
    memcpy(b, out.data, n);
    b[3] = 0;                   /* empty key */
    assert_rejected(CODEC_RAW, b, n, "empty key");
    memcpy(b, out.data, n);
    memcpy(b + n - 4, &(uint32_t){ PAYLOAD_MAX + 1 }, 4);
    assert_rejected(CODEC_RAW, b, n, "payload over PAYLOAD_MAX");
    buf_free(&out);
}
END_TEST

/* ---- hand-made msgpack inputs */

static int pk_write(void *data, const char *p, size_t n)
{
    return buf_append(data, p, n);
}

enum mp_bad { MP_OK, MP_K_INT, MP_O_STR, MP_O_RANGE, MP_V_INT, MP_V_F32, MP_V_NAN, MP_V_INF,
              MP_S_NEG, MP_P_STR, MP_MISSING, MP_DUP, MP_UNKNOWN, MP_ARRAY, MP_BAD_KEY, MP_COUNT };

static void mp_build(struct buf *b, enum mp_bad bad)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, pk_write);
    if (bad == MP_ARRAY) {
        msgpack_pack_array(&pk, 5);
        for (int i = 0; i < 5; i++)
            msgpack_pack_int(&pk, i);
        return;
    }
    msgpack_pack_map(&pk, bad == MP_MISSING ? 4 : 5);
    msgpack_pack_str_with_body(&pk, "k", 1);
    if (bad == MP_K_INT)
        msgpack_pack_int(&pk, 3);
    else if (bad == MP_BAD_KEY)
        msgpack_pack_str_with_body(&pk, "a b", 3);
    else
        msgpack_pack_str_with_body(&pk, "k1", 2);
    msgpack_pack_str_with_body(&pk, "o", 1);
    if (bad == MP_O_STR)
        msgpack_pack_str_with_body(&pk, "DATA", 4);
    else
        msgpack_pack_unsigned_int(&pk, bad == MP_O_RANGE ? OP_COUNT : OP_DATA);
    msgpack_pack_str_with_body(&pk, "v", 1);
    switch (bad) {
    case MP_V_INT: msgpack_pack_int(&pk, 12); break;
    case MP_V_F32: msgpack_pack_float(&pk, 1.5f); break;
    case MP_V_NAN: msgpack_pack_double(&pk, NAN); break;
    case MP_V_INF: msgpack_pack_double(&pk, -INFINITY); break;
    default: msgpack_pack_double(&pk, 1.5); break;
    }
    msgpack_pack_str_with_body(&pk, bad == MP_DUP ? "v" : bad == MP_UNKNOWN ? "x" : "s", 1);
    if (bad == MP_S_NEG)
        msgpack_pack_int64(&pk, -1);
    else
        msgpack_pack_uint64(&pk, 5);
    if (bad != MP_MISSING) {
        msgpack_pack_str_with_body(&pk, "p", 1);
        if (bad == MP_P_STR)
            msgpack_pack_str_with_body(&pk, "xy", 2);
        else
            msgpack_pack_bin_with_body(&pk, "xy", 2);
    }
}

START_TEST(test_msgpack_schema)
{
    static const char *const names[MP_COUNT] = {
        "ok", "k is an int", "o is a string", "o out of range", "v is an int", "v is float32",
        "v is NaN", "v is -inf", "s is negative", "p is a str", "a field missing", "a field twice",
        "an unknown field", "an array, not a map", "an invalid key",
    };
    struct buf b = BUF_INIT;
    mp_build(&b, MP_OK);
    struct msg m;
    char why[200];
    ck_assert_msg(codec_decode(CODEC_MSGPACK, b.data, b.len, &m, NULL, why, sizeof why) == 0,
                  "hand-made msgpack rejected: %s", why);
    ck_assert_str_eq(m.key, "k1");
    ck_assert(m.value == 1.5 && m.seq == 5 && m.payload_len == 2);
    for (int bad = MP_OK + 1; bad < MP_COUNT; bad++) {
        buf_reset(&b);
        mp_build(&b, (enum mp_bad)bad);
        assert_rejected(CODEC_MSGPACK, b.data, b.len, names[bad]);
    }
    buf_free(&b);
}
END_TEST

START_TEST(test_msgpack_huge_counts)
{
    /* Headers announcing billions of elements must be refused before msgpack-c
     * sizes an allocation from them. */
    static const uint8_t array32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01 };
    static const uint8_t map32[] = { 0xdf, 0x7f, 0xff, 0xff, 0xff };
    static const uint8_t nested[] = { 0x85, 0xa1, 'k', 0xdd, 0x10, 0x00, 0x00, 0x00 };
    static const uint8_t bin32[] = { 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00 };
    static const uint8_t never[] = { 0xc1 };
    assert_rejected(CODEC_MSGPACK, array32, sizeof array32, "array32 of 4G elements");
    assert_rejected(CODEC_MSGPACK, map32, sizeof map32, "map32 of 2G pairs");
    assert_rejected(CODEC_MSGPACK, nested, sizeof nested, "nested array of 256M elements");
    assert_rejected(CODEC_MSGPACK, bin32, sizeof bin32, "bin32 of 4 GiB");
    assert_rejected(CODEC_MSGPACK, never, sizeof never, "byte 0xc1");
}
END_TEST

/* ---- hand-made JSON inputs */

START_TEST(test_json_schema)
{
    static const struct { const char *text, *what; } bad[] = {
        { "[1,2,3]", "an array" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":1}", "payload missing" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":1,\"payload\":\"\",\"x\":1}", "an extra field" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":1,\"seq\":2}", "a duplicate field" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"sequence\":1,\"payload\":\"\"}", "an unknown field" },
        { "{\"key\":\"k k\",\"op\":\"DATA\",\"value\":1,\"seq\":1,\"payload\":\"\"}", "an invalid key" },
        { "{\"key\":7,\"op\":\"DATA\",\"value\":1,\"seq\":1,\"payload\":\"\"}", "a numeric key" },
        { "{\"key\":\"k\",\"op\":\"data\",\"value\":1,\"seq\":1,\"payload\":\"\"}", "a lower-case op" },
        { "{\"key\":\"k\",\"op\":1,\"value\":1,\"seq\":1,\"payload\":\"\"}", "a numeric op" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":\"1\",\"seq\":1,\"payload\":\"\"}", "a string value" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1e999,\"seq\":1,\"payload\":\"\"}", "value 1e999" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":NaN,\"seq\":1,\"payload\":\"\"}", "value NaN" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":-1,\"payload\":\"\"}", "a negative seq" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":1.0,\"payload\":\"\"}", "a real seq" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":1,\"payload\":null}", "a null payload" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":1,\"payload\":\"QQ\"}", "base64 without padding" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":1,\"payload\":\"QR==\"}", "base64 with stray bits" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":1,\"payload\":\"Q===\"}", "base64 with 3 pads" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":1,\"payload\":\"QQ==QQ==\"}", "base64 padding inside" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":1,\"payload\":\"QU!D\"}", "base64 bad character" },
        { "{\"key\":\"k\",\"op\":\"DATA\",\"value\":1,\"seq\":1,\"payload\":\"\"} x", "trailing garbage" },
        { "", "empty input" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_rejected(CODEC_JSON, (const uint8_t *)bad[i].text, strlen(bad[i].text), bad[i].what);

    /* What other producers may write and we accept: an integer value, null, spaces. */
    const char *ok = " { \"payload\" : \"QUJD\", \"seq\": 3, \"value\": 12, \"op\": \"PAUSE\", \"key\": \"k.9\" } ";
    struct msg m;
    struct buf scratch = BUF_INIT;
    char why[200];
    ck_assert_msg(codec_decode(CODEC_JSON, (const uint8_t *)ok, strlen(ok), &m, &scratch, why, sizeof why) == 0,
                  "valid JSON rejected: %s", why);
    ck_assert_str_eq(m.key, "k.9");
    ck_assert(m.op == OP_PAUSE && m.has_value && m.value == 12.0 && m.seq == 3);
    ck_assert_uint_eq(m.payload_len, 3);
    ck_assert_mem_eq(m.payload, "ABC", 3);
    ok = "{\"key\":\"k\",\"op\":\"START\",\"value\":null,\"seq\":0,\"payload\":\"\"}";
    ck_assert_int_eq(codec_decode(CODEC_JSON, (const uint8_t *)ok, strlen(ok), &m, &scratch, NULL, 0), 0);
    ck_assert(!m.has_value && m.value == 0.0 && m.payload_len == 0 && m.payload == NULL);
    /* json needs somewhere to put the decoded payload */
    errno = 0;
    ck_assert_int_eq(codec_decode(CODEC_JSON, (const uint8_t *)ok, strlen(ok), &m, NULL, NULL, 0), -1);
    ck_assert_int_eq(errno, EINVAL);
    buf_free(&scratch);
}
END_TEST

START_TEST(test_json_base64_lengths)
{
    /* Every payload length mod 3 and every byte value survive base64. */
    for (uint32_t n = 0; n < 300; n++) {
        uint8_t p[300];
        for (uint32_t i = 0; i < n; i++)
            p[i] = (uint8_t)(255 - i);
        struct msg in = make_msg("b", OP_DATA, true, 1, n, p, n), got;
        struct buf out = BUF_INIT, scratch = BUF_INIT;
        ck_assert_int_eq(codec_encode(CODEC_JSON, &in, &out), 0);
        ck_assert_int_eq(codec_decode(CODEC_JSON, out.data, out.len, &got, &scratch, NULL, 0), 0);
        assert_same(CODEC_JSON, &in, &got);
        buf_free(&out);
        buf_free(&scratch);
    }
}
END_TEST

/* A reason may quote the input (jansson's "near '...'"); it goes to terminals
 * and logs, so it must be printable ASCII whatever the bytes were. Regression:
 * tests/fuzz/fuzz_codec_json found a control byte copied into the reason. */
START_TEST(test_reason_printable)
{
    static const char *const bad[] = {
        "{\"key\":\"k1\",\"op\":\"%STOP\",\"va|ue\":null,\"seq\"\021:-0,]payload\":\"\"}",
        "\033[2J{\"key\":\"k1\"}",
        "{\"key\":\"k\xc3\xa9\",\"op\":\"DATA\"}\n\x7f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct msg m;
        struct buf scratch = BUF_INIT;
        char why[200] = "";
        ck_assert_int_eq(codec_decode(CODEC_JSON, (const uint8_t *)bad[i], strlen(bad[i]), &m,
                                      &scratch, why, sizeof why), -1);
        ck_assert_msg(why[0] != '\0', "case %zu: expected a reason", i);
        for (const char *p = why; *p; p++)
            ck_assert_msg((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f,
                          "case %zu: expected a printable reason, got byte 0x%02x in '%s'", i,
                          (unsigned char)*p, why);
        buf_free(&scratch);
    }
}
END_TEST

START_TEST(test_names)
{
    enum codec c;
    for (int i = 0; i < CODEC_COUNT; i++) {
        ck_assert_int_eq(codec_parse(codec_name((enum codec)i), &c), 0);
        ck_assert_int_eq(c, i);
    }
    ck_assert_int_eq(codec_parse("pickle", &c), -1);
    ck_assert_str_eq(codec_name(CODEC_COUNT), "?");
}
END_TEST

static Suite *codec_suite(void)
{
    const struct kit_case cases[] = {
        { "roundtrip_sizes", test_roundtrip_sizes, 60 }, { "roundtrip_values", test_roundtrip_values, 10 },
        { "encode_appends", test_encode_appends, 10 }, { "encode_invalid", test_encode_invalid, 10 },
        { "every_truncation", test_every_truncation, 30 }, { "trailing_garbage", test_trailing_garbage, 10 },
        { "corrupt_bytes", test_corrupt_bytes, 30 }, { "raw_fields", test_raw_fields, 10 },
        { "msgpack_schema", test_msgpack_schema, 10 }, { "msgpack_huge_counts", test_msgpack_huge_counts, 10 },
        { "json_schema", test_json_schema, 10 }, { "json_base64_lengths", test_json_base64_lengths, 10 },
        { "names", test_names, 10 }, { "reason_printable", test_reason_printable, 10 },
    };
    return kit_suite("codec", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(codec_suite)
