/* inbox.h: a message stream read by a thread of its own and handed to a libuv
 * loop in batches, so that the loop never blocks on its input.
 *
 * Why a thread. An event loop must not call anything that can wait, and
 * stream_next() can: on `--input -` fed by a slow program, read() waits for
 * the writer's next line, and every control query waits with it. The
 * alternatives are worse here:
 *   - poll the input on the loop (uv_poll / uv_pipe): a regular file cannot be
 *     polled (epoll refuses it: EPERM), so files would need a second path;
 *   - uv_fs_read (libuv's thread pool) works for every fd, but hands back
 *     arbitrary chunks: the loop would need its own line splitter, and
 *     stream.c's parser, line numbers and reject reports would be duplicated;
 *   - one thread that calls stream_next() keeps ONE parser for every phase and
 *     every kind of input, and may block as much as it likes.
 * The reader thread copies each message (and its payload) into a batch of up
 * to INBOX_BATCH; a batch is handed on when it is full, or when the next read
 * would wait for the writer (stream.h's wait hook), so a slow writer's lines
 * arrive one by one while a fast input travels in full batches. uv_async_send
 * wakes the loop (several sends may coalesce into one callback). At most
 * INBOX_BATCHES full batches wait for the loop; then the thread waits too:
 * back-pressure, memory stays bounded whatever the input rate. The end of the
 * stream and a read error travel behind the last message, in order.
 *
 * Threads and fork(): fork() copies only the calling thread, so a lock another
 * thread holds at that instant stays locked in the child forever. The reader
 * prints rejects on stderr; inbox_start registers (once) pthread_atfork
 * handlers that hold stderr's lock across fork(), so a child never inherits it
 * half-taken. The inbox's own mutex is never used by a child.
 *
 * Lock order: one mutex (struct inbox's mu); nothing else is locked under it.
 * The thread reads outside it. */
#ifndef KIT_INBOX_H
#define KIT_INBOX_H

#include <stdint.h>
#include <uv.h>

#include "msg.h"
#include "stream.h"

struct inbox;

/* Called on the loop's thread when messages (or the end) may be waiting after
 * inbox_next returned INBOX_WAIT. May be called with nothing new: take what
 * inbox_next gives. */
typedef void (*inbox_ready_fn)(struct inbox *ib, void *data);

enum inbox_status {
    INBOX_MSG = 1,              /* *m holds the next message */
    INBOX_WAIT = 0,             /* nothing yet: ready_fn will be called */
    INBOX_END = 2,              /* the stream ended (and every message was taken) */
    INBOX_ERROR = -1            /* a read error, errno set (after every message before it) */
};

/* Start reading s on a new thread; the loop side is an async handle on loop.
 * The stream is the thread's until inbox_close (only stream_name may be called
 * meanwhile); it must not have been read yet. Returns the inbox, or NULL with
 * errno. */
struct inbox *inbox_start(uv_loop_t *loop, struct stream *s, inbox_ready_fn fn, void *data);

/* Loop thread only. The next message, never blocking: INBOX_MSG with *m filled
 * (its payload borrowed until the next call), INBOX_WAIT, INBOX_END, or
 * INBOX_ERROR with errno. END and ERROR repeat on later calls. */
enum inbox_status inbox_next(struct inbox *ib, struct msg *m);

/* Messages handed out by inbox_next so far (loop thread). */
uint64_t inbox_taken(const struct inbox *ib);

/* Malformed lines the stream has rejected so far (any thread). */
uint64_t inbox_rejected(const struct inbox *ib);

/* Loop thread. Stop the reader (a wait for input is interrupted, a wait for
 * room ends), join it, and close the async handle: the inbox is freed once the
 * loop runs again (keep running it, as for any uv_close). The stream is the
 * caller's again (stream_delivered counts what the thread read, taken or not).
 * NULL is fine. */
void inbox_close(struct inbox *ib);

#endif
