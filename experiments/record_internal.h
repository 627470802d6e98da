/* record_internal.h: what record.c shares with record_msgpack.c and
 * record_json.c. Not for use outside the record module. Encoders append to out
 * and return 0, or -1 with errno ENOMEM; decoders return 0, or -1 with errno
 * EBADMSG (record.h's contracts). */
#ifndef KIT_RECORD_INTERNAL_H
#define KIT_RECORD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "record.h"

int record_mp_nested_encode(const struct nested *r, struct buf *out);
int record_mp_nested_decode(const uint8_t *in, size_t len, struct nested *r);
int record_mp_array_encode(const struct numarray *a, struct buf *out);
int record_mp_array_decode(const uint8_t *in, size_t len, struct numarray *a);

int record_js_nested_encode(const struct nested *r, struct buf *out);
int record_js_nested_decode(const uint8_t *in, size_t len, struct nested *r);
int record_js_array_encode(const struct numarray *a, struct buf *out);
int record_js_array_decode(const uint8_t *in, size_t len, struct numarray *a);

#endif
