/* cmsg.c: batch records, a u32 length and lib/codec.h's raw encoding. */
#include <errno.h>
#include <string.h>

#include "cmsg.h"
#include "codec.h"
#include "le.h"

int cmsg_put(struct buf *b, const struct msg *m)
{
    size_t at = b->len;
    if (buf_reserve(b, 4) < 0)
        return -1;
    b->len += 4;
    if (codec_encode(CODEC_RAW, m, b) < 0) {
        int e = errno;
        b->len = at;
        errno = e;
        return -1;
    }
    le_put32(b->data + at, (uint32_t)(b->len - at - 4));
    return 0;
}

int cmsg_next(const uint8_t *batch, size_t len, size_t *off, struct msg *m)
{
    if (*off == len)
        return 0;
    if (len - *off < 4)
        goto bad;
    uint32_t n = le_get32(batch + *off);
    if (n > len - *off - 4)
        goto bad;
    if (codec_decode(CODEC_RAW, batch + *off + 4, n, m, NULL, NULL, 0) < 0)
        goto bad;
    *off += 4 + (size_t)n;
    return 1;
bad:
    errno = EBADMSG;
    return -1;
}
