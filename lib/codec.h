/* codec.h: turning a message (with its payload) into bytes and back: the kit's
 * "pickle". Three codecs, so the experiments can show what serialization costs:
 *   raw      a fixed little-endian binary layout, memcpy-cheap (no library needed):
 *              u8 magic 0xC1 (layout version 1)  u8 op  u8 flags (bit 0: has_value)
 *              u8 key_len  key bytes  f64 value  u64 seq  u32 payload_len  payload
 *            (24 + key_len + payload_len bytes; value is all-zero bits without one);
 *   msgpack  msgpack-c, a map of 5 {"k": str, "o": uint op, "v": float64 or nil,
 *            "s": uint seq, "p": bin} (the Python pickle analogue);
 *   json     jansson, {"key":"k1","op":"DATA","value":12.5,"seq":7,"payload":"<base64>"}
 *            with "value": null when there is none.
 * Decoders are strict: wrong types, missing, duplicate or unknown fields, trailing
 * bytes, invalid keys, non-finite values and payloads over PAYLOAD_MAX are all
 * rejected with -1 and errno EBADMSG, and they never read outside [in, in+len). */
#ifndef KIT_CODEC_H
#define KIT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

#define CODEC_RAW_FIXED 24      /* bytes of a raw encoding besides key and payload */

enum codec { CODEC_RAW, CODEC_MSGPACK, CODEC_JSON, CODEC_COUNT };

/* Parse "raw", "msgpack" or "json". Returns 0, or -1 if unknown. */
int codec_parse(const char *s, enum codec *out);
const char *codec_name(enum codec c);      /* "?" for a value out of range */

/* Append the encoding of m to out (what out held before is kept). Returns 0, or
 * -1 with errno: ENOMEM; EINVAL if m breaks the msg.h contract (invalid key, op
 * out of range, non-finite value, payload over PAYLOAD_MAX) or c is unknown;
 * ERANGE for json with seq >= 2^63 (jansson's integers are signed 64-bit). */
int codec_encode(enum codec c, const struct msg *m, struct buf *out);

/* Decode in[0..len) into *m. The payload points into `in` (raw, msgpack) or into
 * `scratch` (json, whose base64 must be decoded; its old contents are replaced),
 * so it lives as long as they do; it is NULL when payload_len is 0. scratch may
 * be NULL for raw and msgpack. Returns 0, or -1 with errno EBADMSG and a reason
 * in why[0..whylen) (why may be NULL); ENOMEM or EINVAL (unknown codec, no
 * scratch for json) are the only other errnos. */
int codec_decode(enum codec c, const uint8_t *in, size_t len, struct msg *m,
                 struct buf *scratch, char *why, size_t whylen);

#endif
