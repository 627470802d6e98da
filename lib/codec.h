/* codec.h: turning a message (with its payload) into bytes and back: the kit's
 * "pickle". Three codecs, so the experiments can show what serialization costs:
 *   raw      a fixed little-endian binary layout, memcpy-cheap (no library needed);
 *   msgpack  msgpack-c, a map {"k","o","v","s","p"} (the Python pickle analogue);
 *   json     jansson, an object with the payload in base64.
 * Decoders reject truncated, corrupt or oversized input with -1 and errno
 * EBADMSG and never read outside [in, in+len). */
#ifndef KIT_CODEC_H
#define KIT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

enum codec { CODEC_RAW, CODEC_MSGPACK, CODEC_JSON, CODEC_COUNT };

/* Parse "raw", "msgpack" or "json". Returns 0, or -1 if unknown. */
int codec_parse(const char *s, enum codec *out);
const char *codec_name(enum codec c);

/* Append the encoding of m to out. Returns 0, or -1 with errno (ENOMEM). */
int codec_encode(enum codec c, const struct msg *m, struct buf *out);

/* Decode in[0..len) into *m. The payload points into `in` when the codec allows
 * it (raw, msgpack) or into `scratch` (json), so it lives as long as they do.
 * Returns 0, or -1 with errno EBADMSG and a reason in why (may be NULL). */
int codec_decode(enum codec c, const uint8_t *in, size_t len, struct msg *m,
                 struct buf *scratch, char *why, size_t whylen);

#endif
