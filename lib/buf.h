/* buf.h: a growable byte buffer, the one place the kit grows memory by doubling. */
#ifndef KIT_BUF_H
#define KIT_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data;              /* owned; NULL until the first reserve */
    size_t len;                 /* bytes in use */
    size_t cap;                 /* bytes allocated */
};

#define BUF_INIT { NULL, 0, 0 }

/* Make room for `more` bytes past len. Returns 0, or -1 with errno ENOMEM. */
int buf_reserve(struct buf *b, size_t more);

/* Append n bytes. Returns 0, or -1 with ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);

/* Drop the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);

void buf_reset(struct buf *b);     /* len = 0, memory kept */
void buf_free(struct buf *b);      /* memory released; b is BUF_INIT again */

#endif
