/* stream.h: one message stream, from a file (--input, "-" = stdin) or from the
 * built-in source. Malformed lines are reported on stderr as "INPUT:LINE: reason",
 * counted and skipped (SPEC §1); they are never handed to the caller. */
#ifndef KIT_STREAM_H
#define KIT_STREAM_H

#include <stdint.h>
#include <stdio.h>

#include "msg.h"
#include "source.h"

struct stream_opts {
    const char *input;          /* file name, "-" for stdin, NULL for the built-in source */
    struct source_opts src;     /* used when input == NULL */
    FILE *report;               /* where rejects are reported; NULL = stderr */
};

/* Open a stream. Returns NULL with a one-line reason in err (e.g. "cannot open
 * 'x.txt': No such file or directory"). */
struct stream *stream_open(const struct stream_opts *o, char *err, size_t errlen);

/* Next valid message: returns 1 and fills *m (seq numbers the valid messages from
 * 0; the payload is borrowed until the next call), 0 at the end, -1 on a read
 * error with errno set. */
int stream_next(struct stream *s, struct msg *m);

uint64_t stream_delivered(const struct stream *s);  /* valid messages returned so far */
uint64_t stream_rejected(const struct stream *s);   /* malformed lines so far */
const char *stream_name(const struct stream *s);     /* "INPUT" as used in reports, or "built-in" */

/* Called on the reading thread just before a read would wait for the writer. */
typedef void (*stream_wait_fn)(void *arg);

/* Make waits on this stream visible and cancellable, for a reader thread
 * (lib/inbox.h). Call it before the first stream_next. An input that can make
 * a reader wait (a pipe, a terminal, a socket: stdin fed by another program)
 * is then read through poll(): fn(arg) is called on the reading thread just
 * before a read would block (so a reader can hand on what it has first), and
 * stream_interrupt() ends such a wait. Regular files and the built-in source
 * never wait for anyone: nothing changes for them. fn may be NULL. Returns 0,
 * or -1 with errno (EBUSY after the first read; EMFILE, ENOMEM). */
int stream_make_interruptible(struct stream *s, stream_wait_fn fn, void *arg);

/* From any thread (async-signal-safe): on an interruptible stream, a
 * stream_next waiting for input returns -1 with errno ECANCELED, and so does
 * every later one that needs to read (lines already buffered may still come).
 * A no-op for a stream that never waits. */
void stream_interrupt(struct stream *s);

/* Close the stream (and its file, unless it is stdin). NULL is fine. */
void stream_close(struct stream *s);

#endif
