/* record.h: the two richer payloads of the serialization experiment, each in
 * the three encodings of lib/codec.h (the flat message itself goes through
 * lib/codec.h directly):
 *
 *   nested  a key's summary as a map with a sub-map and a list, the shape of a
 *           Python dict the seed would pickle:
 *             {"key": "k0042", "state": "RUNNING",
 *              "stats": {"messages", "data_count", "invalid", "sum", "min",
 *                        "max", "last", "feature_sum"},
 *              "recent": [RECORD_RECENT doubles]}
 *   array   RECORD_ARRAY doubles, the "large numpy array" of the seed.
 *
 * raw is a fixed little-endian layout written field by field (nested: key length
 * + 31 key bytes, state byte, 3 x u64, 5 x f64, u32 count + the doubles; array:
 * u32 count + the doubles); msgpack and json go through msgpack-c and jansson.
 * Decoders rebuild the C struct, as unpickling rebuilds the object, and reject
 * anything that does not match with -1 and errno EBADMSG. */
#ifndef KIT_RECORD_H
#define KIT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "codec.h"
#include "param.h"

#define RECORD_RECENT 16        /* values in the nested record's "recent" list */
#define RECORD_ARRAY  1000      /* doubles in the numeric array */

struct nested {
    char key[KEY_MAX + 1];
    uint8_t state;              /* enum of lib/fsm.h's states, as a small integer */
    uint64_t messages, data_count, invalid;
    double sum, min, max, last, feature_sum;
    uint32_t nrecent;           /* <= RECORD_RECENT */
    double recent[RECORD_RECENT];
};

struct numarray {
    uint32_t n;                 /* <= RECORD_ARRAY */
    double v[RECORD_ARRAY];
};

/* Deterministic sample values (the same on every run). */
void nested_sample(struct nested *r);
void numarray_sample(struct numarray *a);

/* Append the encoding of r (a) to out. Returns 0, or -1 with errno (ENOMEM). */
int nested_encode(enum codec c, const struct nested *r, struct buf *out);
int numarray_encode(enum codec c, const struct numarray *a, struct buf *out);

/* Decode in[0..len) into *r (*a). Returns 0, or -1 with errno EBADMSG. */
int nested_decode(enum codec c, const uint8_t *in, size_t len, struct nested *r);
int numarray_decode(enum codec c, const uint8_t *in, size_t len, struct numarray *a);

/* True if the two are field-for-field equal (doubles bit for bit). */
int nested_equal(const struct nested *a, const struct nested *b);
int numarray_equal(const struct numarray *a, const struct numarray *b);

#endif
