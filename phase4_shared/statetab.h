/* statetab.h: the state table in shared memory, one row per key, each behind
 * its own seqlock.
 *
 * A row is written by one process only (the worker that owns its key; the
 * supervisor once, when it creates the row) and read by another (the supervisor
 * answering GET) without any lock and without asking the writer. The writer
 * makes the row's seq odd, writes the words, and makes it even again; a reader
 * copies the words between two reads of seq and keeps the copy only if seq was
 * even and did not change. A reader never blocks the writer; the price is the
 * reader's retries, and the two stores and fences of every write.
 *
 * The words are C11 atomics accessed relaxed (Boehm, "Can seqlocks get along
 * with programming language memory models?", 2012): a torn copy is then a value
 * the reader throws away, not undefined behaviour.
 *
 * A row is 128 bytes, two cache lines, aligned: two rows never share a line. */
#ifndef P4_STATETAB_H
#define P4_STATETAB_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "fsm.h"

#define ROW_WORDS 15            /* 8-byte words of a row's data (struct rowdata) */
#define READ_TRIES 10000        /* a GET's budget of attempts (most yield the CPU: a writer preempted mid-write gets it back) */

/* What a row holds: the key's machine and how far the stream has been applied
 * to it, so a replacement worker can tell an applied record from a pending one. */
struct rowdata {
    uint64_t applied;           /* 1 + seq of the last message applied; 0 = none yet */
    struct keystate ks;
};

struct row {
    alignas(64) _Atomic uint64_t seq;   /* odd while a write is under way */
    _Atomic uint64_t w[ROW_WORDS];
};

_Static_assert(sizeof(struct rowdata) == ROW_WORDS * 8, "rowdata must fill the row's words");
_Static_assert(sizeof(struct row) == 128, "a row is two cache lines");

/* Writer: replace the row's data by *d (seq odd, the words, seq even again). */
void statetab_write(struct row *r, const struct rowdata *d);

/* The same in two halves, for a test that holds a writer mid-update:
 * statetab_write_begin makes seq odd and writes the words; statetab_write_end
 * makes it even. Nothing but tests calls them apart. */
void statetab_write_begin(struct row *r, const struct rowdata *d);
void statetab_write_end(struct row *r);

/* Writer: its own row's data, read without the seqlock (no one else writes it). */
void statetab_peek(const struct row *r, struct rowdata *d);

/* True while a write of the row is under way (seq odd). */
int statetab_busy(const struct row *r);

/* Reader: a consistent copy of the row into *d: the data some complete write
 * left, never a mix of two writes nor half of one. Tries up to `tries` times
 * (yielding the CPU after the first few), then gives up. Returns 0, or -1 with
 * EAGAIN if every try met a write under way (*d is then unspecified). */
int statetab_read(const struct row *r, struct rowdata *d, unsigned tries);

#endif
