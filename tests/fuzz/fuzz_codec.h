/* fuzz_codec.h: the checks shared by fuzz_codec_raw, fuzz_codec_msgpack and
 * fuzz_codec_json (each a three-line file that names its codec).
 *
 * codec_decode gets arbitrary bytes. Rejected: errno EBADMSG (or ENOMEM) and a
 * printable reason. Accepted: the message obeys msg.h, its payload lies inside
 * the input (raw, msgpack) or the scratch buffer (json), and it survives the
 * round trip: encode -> decode gives the same message bit for bit (the value's
 * bits, so -0.0 stays -0.0), and encoding that again gives the same bytes. For
 * raw, whose layout has exactly one encoding per message, the re-encoding must
 * be the input itself. Every message raw accepts is also sent through the other
 * two codecs: raw is easy for the fuzzer to hit, so this is how msgpack's and
 * json's encoders see arbitrary keys, value bits, seqs and payloads. */
#ifndef KIT_FUZZ_CODEC_H
#define KIT_FUZZ_CODEC_H

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "fuzz.h"
#include "msg.h"
#include "param.h"

static inline int fuzz_same_msg(const struct msg *a, const struct msg *b)
{
    return a->key_len == b->key_len && strcmp(a->key, b->key) == 0 && a->op == b->op &&
           a->has_value == b->has_value && memcmp(&a->value, &b->value, sizeof a->value) == 0 &&
           a->seq == b->seq && a->payload_len == b->payload_len &&
           (a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

static inline void fuzz_check_msg(enum codec c, const struct msg *m, const uint8_t *in, size_t len,
                                  const struct buf *scratch)
{
    FUZZ_CHECK(key_valid(m->key, m->key_len) && strlen(m->key) == m->key_len,
               "%s: key '%s' (len %u)", codec_name(c), m->key, m->key_len);
    FUZZ_CHECK((unsigned)m->op < OP_COUNT, "%s: op %d", codec_name(c), (int)m->op);
    FUZZ_CHECK(isfinite(m->value), "%s: value not finite", codec_name(c));
    FUZZ_CHECK(m->has_value || m->value == 0.0, "%s: no value, yet %g", codec_name(c), m->value);
    FUZZ_CHECK(m->payload_len <= PAYLOAD_MAX, "%s: payload %u", codec_name(c), m->payload_len);
    FUZZ_CHECK((m->payload == NULL) == (m->payload_len == 0), "%s: payload %p with %u bytes",
               codec_name(c), (const void *)m->payload, m->payload_len);
    if (m->payload_len) {
        const uint8_t *lo = c == CODEC_JSON ? scratch->data : in;
        size_t n = c == CODEC_JSON ? scratch->len : len;
        FUZZ_CHECK(m->payload >= lo && m->payload + m->payload_len <= lo + n,
                   "%s: payload outside its buffer", codec_name(c));
    }
}

/* Encode m, decode it back, encode again: same message, same bytes. m's payload
 * must not live in *scratch (it is overwritten). Returns nothing; aborts on a
 * broken round trip. */
static inline void fuzz_round_trip(enum codec c, const struct msg *m, struct buf *scratch)
{
    struct buf e1 = BUF_INIT, e2 = BUF_INIT;
    struct msg m2;
    char why[256];

    if (codec_encode(c, m, &e1) < 0) {
        /* The one documented refusal for a decodable message: json's signed seq. */
        FUZZ_CHECK(c == CODEC_JSON && errno == ERANGE && m->seq > (uint64_t)INT64_MAX,
                   "%s: encode failed: %s", codec_name(c), strerror(errno));
        buf_free(&e1);
        return;
    }
    FUZZ_CHECK(codec_decode(c, e1.data, e1.len, &m2, scratch, why, sizeof why) == 0,
               "%s: own encoding rejected: %s", codec_name(c), why);
    fuzz_check_msg(c, &m2, e1.data, e1.len, scratch);
    FUZZ_CHECK(fuzz_same_msg(m, &m2), "%s: round trip changed the message (key %s, value %a/%a, seq %llu/%llu)",
               codec_name(c), m->key, m->value, m2.value, (unsigned long long)m->seq,
               (unsigned long long)m2.seq);
    FUZZ_CHECK(codec_encode(c, &m2, &e2) == 0, "%s: re-encode failed", codec_name(c));
    FUZZ_CHECK(e1.len == e2.len && memcmp(e1.data, e2.data, e1.len) == 0,
               "%s: encoding is not a fixed point", codec_name(c));
    buf_free(&e1);
    buf_free(&e2);
}

static inline int fuzz_codec(enum codec c, const uint8_t *data, size_t size)
{
    struct buf scratch = BUF_INIT, keep = BUF_INIT, scratch2 = BUF_INIT;
    struct msg m;
    char why[256];

    memset(why, 0x55, sizeof why);
    errno = 0;
    if (codec_decode(c, data, size, &m, &scratch, why, sizeof why) < 0) {
        FUZZ_CHECK(errno == EBADMSG || errno == ENOMEM, "%s: errno %d", codec_name(c), errno);
        if (errno == EBADMSG)
            FUZZ_CHECK(why[0] && fuzz_printable(why, sizeof why), "%s: reason not printable",
                       codec_name(c));
        buf_free(&scratch);
        return 0;
    }
    fuzz_check_msg(c, &m, data, size, &scratch);

    /* Own the payload, so that round trips may reuse scratch. */
    FUZZ_CHECK(buf_append(&keep, m.payload, m.payload_len) == 0, "buf_append");
    m.payload = m.payload_len ? keep.data : NULL;

    if (c == CODEC_RAW) {
        struct buf e = BUF_INIT;
        FUZZ_CHECK(codec_encode(c, &m, &e) == 0, "raw: encode failed");
        FUZZ_CHECK(e.len == size && memcmp(e.data, data, size) == 0,
                   "raw: re-encoding differs from the input (%zu vs %zu bytes)", e.len, size);
        buf_free(&e);
        for (int k = 0; k < CODEC_COUNT; k++)
            fuzz_round_trip((enum codec)k, &m, &scratch2);
    } else {
        fuzz_round_trip(c, &m, &scratch2);
    }
    buf_free(&scratch);
    buf_free(&scratch2);
    buf_free(&keep);
    return 0;
}

#endif
