/* wire.c: building and checking phase 3's frames (see wire.h). */
#include "wire.h"

#include <errno.h>
#include <string.h>

#include "channel.h"
#include "frame.h"
#include "param.h"

long wire_put_msg(struct channel *c, enum codec codec, const struct msg *m)
{
    struct buf *out = channel_outbuf(c);
    size_t start = out->len;
    if (buf_reserve(out, FRAME_HDR + 1) < 0)
        return -1;
    out->len += FRAME_HDR + 1;
    out->data[start + FRAME_HDR] = WIRE_MSG;
    /* The codec appends the encoding right behind the header; the length is
     * patched in afterwards, so the encoded bytes are never copied again. */
    if (codec_encode(codec, m, out) < 0) {
        out->len = start;
        return -1;
    }
    size_t body = out->len - start - FRAME_HDR;
    if (body > FRAME_MAX) {
        out->len = start;
        errno = EMSGSIZE;
        return -1;
    }
    frame_hdr_put(out->data + start, body);
    return (long)(FRAME_HDR + body);
}

int wire_put(struct channel *c, enum wire_kind kind, const void *p, size_t n)
{
    return channel_put(c, (uint8_t)kind, p, n);
}

int wire_get_fixed(const uint8_t *body, size_t len, void *out, size_t n)
{
    if (len != n + 1) {
        errno = EBADMSG;
        return -1;
    }
    memcpy(out, body + 1, n);
    return 0;
}
