/* channel.h: one end of a supervisor<->worker socketpair on a libuv loop.
 *
 * Both sides of phase 3 talk through the same small object: a non-blocking
 * SOCK_STREAM fd watched by a uv_poll_t, an incremental framer for what comes
 * in (lib/frame.h) and an output buffer for what goes out. We read and write the
 * fd ourselves instead of using uv_pipe_t so that the time spent inside read()
 * and write() can be measured exactly: that is the "channel" part of the IPC
 * cost the summary reports (the copy into and out of the kernel, once per batch
 * of frames rather than once per message).
 *
 * Writes are batched by the caller: it appends any number of frames with
 * channel_put() and calls channel_flush() once; what the kernel does not take now is
 * kept and written when the socket becomes writable again. */
#ifndef P3_CHANNEL_H
#define P3_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "frame.h"
#include "iocost.h"

#define CHAN_READ_CHUNK (256u << 10)    /* bytes per read() call */
#define CHAN_READ_MAX   (1u << 20)      /* bytes read per poll callback, so one busy fd cannot starve the loop */

struct channel;

/* Called for every complete frame body (consumed: it will not be handed out
 * again). The body is valid until the callback returns. Return 0 to go on, -1
 * to stop after this frame (the channel keeps the rest for channel_drain()). */
typedef int (*channel_frame_fn)(struct channel *c, const uint8_t *body, size_t len, void *data);

/* Called once when the peer is gone (EOF, ECONNRESET, EPIPE) or the stream is
 * corrupt (err < 0 is a negated errno; 0 is a clean EOF). The channel has stopped
 * polling; the owner closes it with channel_close(). */
typedef void (*channel_dead_fn)(struct channel *c, int err, void *data);

struct channel {
    uv_poll_t poll;             /* watches fd; poll.data == this */
    int fd;                     /* owned: closed by channel_close */
    int dead;                   /* 1 once on_dead has been called */
    int paused;                 /* 1 while the owner asked not to read (channel_pause) */
    unsigned events;            /* UV_READABLE/UV_WRITABLE currently polled */
    struct framer in;           /* bytes received, cut into frames */
    struct buf out;             /* bytes queued for write(), from out_off on */
    size_t out_off;             /* first byte of out not yet written */
    channel_frame_fn on_frame;
    channel_dead_fn on_dead;
    void *data;                 /* the owner's context for the callbacks */
    struct iocost io;           /* every read() and write(): CPU time and bytes (io.ns: the total) */
    uint64_t writes, reads;     /* syscalls that moved bytes */
    uint64_t bytes_out, bytes_in;
    void (*on_closed)(struct channel *c);  /* optional: called after uv_close completes, then c is freed */
};

/* A channel on fd (made non-blocking here) on loop. Returns it (malloc'd), or
 * NULL with errno; fd is NOT closed on failure. Reading starts at once. */
struct channel *channel_open(uv_loop_t *loop, int fd, channel_frame_fn on_frame, channel_dead_fn on_dead,
                       void *data);

/* Queue one frame (kind byte + body) for writing. Returns 0, or -1 with errno. */
int channel_put(struct channel *c, uint8_t kind, const void *body, size_t len);

/* Queue one frame whose body the caller builds in place: returns a pointer to
 * `len` bytes after the kind byte (valid until the next put), or NULL on ENOMEM. */
uint8_t *channel_put_begin(struct channel *c, uint8_t kind, size_t len);

/* Append raw bytes that already hold whole frames (used by the encoder, which
 * writes the frame header itself to avoid a copy). */
struct buf *channel_outbuf(struct channel *c);

/* Write what is queued; keep the rest and poll for writability. Returns 0, or -1
 * when the peer is gone (on_dead has been called). */
int channel_flush(struct channel *c);

/* Bytes queued and not yet accepted by the kernel. */
size_t channel_pending(const struct channel *c);

/* Process frames already received but not yet handed out (after on_frame
 * returned -1). Returns 1 if frames are still pending, 0 if none, -1 if dead. */
int channel_drain(struct channel *c);

/* Stop or resume reading (writes continue). */
void channel_pause(struct channel *c, int paused);

/* Read whatever the peer left in the socket before it died, without waiting,
 * handing complete frames to on_frame. For a final accounting of acks. */
void channel_read_rest(struct channel *c);

/* Stop polling, close the fd and free c once libuv is done with the handle. */
void channel_close(struct channel *c);

#endif
