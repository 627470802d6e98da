/* codec_internal.h: what codec.c (dispatch and raw), codec_msgpack.c and
 * codec_json.c share. Not for use outside the codec module. Encoders may assume
 * a message that passed codec_encode's checks; decoders follow codec_decode's
 * contract. */
#ifndef KIT_CODEC_INTERNAL_H
#define KIT_CODEC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

int codec_msgpack_encode(const struct msg *m, struct buf *out);
int codec_msgpack_decode(const uint8_t *in, size_t len, struct msg *m, struct buf *scratch,
                         char *why, size_t whylen);
int codec_json_encode(const struct msg *m, struct buf *out);
int codec_json_decode(const uint8_t *in, size_t len, struct msg *m, struct buf *scratch,
                      char *why, size_t whylen);

/* Write a reason into why (if given), set errno to EBADMSG, return -1. */
int codec_reject(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy a validated key into m. */
void codec_set_key(struct msg *m, const char *key, size_t len);

#endif
