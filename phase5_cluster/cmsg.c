/* cmsg.c: a batch is lib/frame.h frames of lib/codec.h's raw encoding; the
 * frame header is written in place, around the encoding, rather than through
 * frame_append, which would need the body in a buffer of its own first. */
#include <errno.h>
#include <string.h>

#include "cmsg.h"
#include "codec.h"
#include "le.h"

int cmsg_put(struct buf *b, const struct msg *m)
{
    size_t at = b->len;
    if (buf_reserve(b, FRAME_HDR) < 0)
        return -1;
    b->len += FRAME_HDR;
    if (codec_encode(CODEC_RAW, m, b) < 0) {
        int e = errno;
        b->len = at;
        errno = e;
        return -1;
    }
    le_put32(b->data + at, (uint32_t)(b->len - at - FRAME_HDR));
    return 0;
}
