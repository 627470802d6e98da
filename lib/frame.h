/* frame.h: length-prefixed frames over a byte stream (pipe, socketpair, socket).
 * A frame is a 4-byte little-endian body length, then the body; a body longer
 * than FRAME_MAX is an error on both sides. The blocking helpers survive partial
 * reads and writes and EINTR; they are for blocking fds (on a non-blocking one,
 * EAGAIN in the middle would leave half a frame behind). The framer is the same
 * decoder for non-blocking readers (libuv) that receive bytes in arbitrary pieces. */
#ifndef KIT_FRAME_H
#define KIT_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define FRAME_HDR 4             /* bytes of length prefix */

/* Write all n bytes of p to fd, retrying partial writes and EINTR.
 * Returns 0, or -1 with errno. */
int fd_write_all(int fd, const void *p, size_t n);

/* Read exactly n bytes. Returns 1, 0 on EOF before the first byte, or -1 with
 * errno (EPROTO for EOF in the middle). */
int fd_read_all(int fd, void *p, size_t n);

/* Write one frame (one writev() of header and body when the fd takes it all).
 * Returns 0, or -1 with errno (EMSGSIZE if len > FRAME_MAX, nothing written). */
int frame_write(int fd, const void *body, size_t len);

/* Read one frame into body (replacing its contents). Returns 1, 0 on a clean EOF
 * between frames, or -1 with errno (EPROTO truncated, EMSGSIZE too long). */
int frame_read(int fd, struct buf *body);

/* Store the header of a frame whose body is len bytes (len <= FRAME_MAX) at
 * p[0..FRAME_HDR-1]: the one place a frame header is encoded. For callers that
 * build a body in place and patch its length in afterwards. */
void frame_hdr_put(uint8_t *p, size_t len);

/* The body length announced by the header at p[0..FRAME_HDR-1] (not checked
 * against FRAME_MAX: that is the caller's business). */
size_t frame_hdr_get(const uint8_t *p);

/* Append a frame (header + body) to out, for callers that batch their writes.
 * Returns 0, or -1 with errno (EMSGSIZE, ENOMEM). */
int frame_append(struct buf *out, const void *body, size_t len);

/* Incremental decoder. Consumed bytes are dropped on the next feed once they
 * are at least half the buffer, so memory stays within about twice the largest
 * frame plus the largest feed. */
struct framer {
    struct buf in;              /* bytes received and not yet consumed */
    size_t off;                 /* start of the next frame in in.data */
};

void framer_init(struct framer *f);

/* Add received bytes. Returns 0, or -1 with ENOMEM. */
int framer_feed(struct framer *f, const void *p, size_t n);

/* For a reader that receives straight into the framer (one copy, by the
 * kernel): room for n more bytes at the end of the received bytes, consumed
 * bytes dropped first by framer_feed's rule. Returns where they go, or NULL
 * with ENOMEM; framer_commit then counts the ones actually written. */
uint8_t *framer_space(struct framer *f, size_t n);

/* Count n bytes written at framer_space()'s pointer (n <= what it reserved). */
void framer_commit(struct framer *f, size_t n);

/* Take the next complete frame: returns 1 with *body and *len set (body points
 * into the framer, valid until the next feed or free), 0 if more bytes are
 * needed, -1 with EMSGSIZE if the announced length exceeds FRAME_MAX (the stream
 * cannot be resynchronised after that: close it). */
int framer_next(struct framer *f, const uint8_t **body, size_t *len);

void framer_free(struct framer *f);

#endif
