/* msg.h: the message, the unit every phase moves around (SPEC §1). */
#ifndef KIT_MSG_H
#define KIT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "param.h"

enum op { OP_START, OP_DATA, OP_PAUSE, OP_RESUME, OP_STOP, OP_COUNT };

struct msg {
    char key[KEY_MAX + 1];      /* NUL-terminated, 1..KEY_MAX valid characters */
    uint8_t key_len;            /* strlen(key) */
    enum op op;
    bool has_value;             /* false when the value field was empty */
    double value;               /* finite; 0 when !has_value */
    uint64_t seq;               /* position in the stream, from 0 */
    const uint8_t *payload;     /* opaque bytes, borrowed from whoever filled the msg */
    uint32_t payload_len;       /* 0 when there is no payload */
};

/* The op's upper-case name ("DATA"); "?" for a value out of range. */
const char *op_name(enum op op);

/* Parse an op name of n bytes. Returns 0 and sets *out, or -1 if unknown. */
int op_parse(const char *s, size_t n, enum op *out);

/* True if s[0..n) is a valid key: 1..KEY_MAX bytes of [A-Za-z0-9_.-]. */
bool key_valid(const char *s, size_t n);

/* Set m->key from s[0..n), which must be a valid key. */
void msg_set_key(struct msg *m, const char *s, size_t n);

/* Format m as a SPEC §1 line "key,op,value\n" into buf (the value in the
 * shortest form that reads back as the same double; empty when !has_value).
 * Returns the length written (excluding the NUL), or -1 with ENOBUFS if buf is
 * too small (KEY_MAX + 40 bytes always suffice). */
int msg_format(const struct msg *m, char *buf, size_t len);

#endif
