/* statetab.c: the seqlocked rows (statetab.h). */
#include "statetab.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#define YIELD_AFTER 16          /* reader tries before it starts yielding the CPU */

static void store_words(struct row *r, const struct rowdata *d)
{
    uint64_t w[ROW_WORDS];
    memcpy(w, d, sizeof w);
    for (int i = 0; i < ROW_WORDS; i++)
        atomic_store_explicit(&r->w[i], w[i], memory_order_relaxed);
}

static void load_words(const struct row *r, struct rowdata *d)
{
    uint64_t w[ROW_WORDS];
    for (int i = 0; i < ROW_WORDS; i++)
        w[i] = atomic_load_explicit(&r->w[i], memory_order_relaxed);
    memcpy(d, w, sizeof w);
}

void statetab_write_begin(struct row *r, const struct rowdata *d)
{
    uint64_t s = atomic_load_explicit(&r->seq, memory_order_relaxed);
    /* A row left odd by a writer that died mid-update is finished by this write. */
    atomic_store_explicit(&r->seq, s | 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);  /* odd seq before any word */
    store_words(r, d);
}

void statetab_write_end(struct row *r)
{
    uint64_t s = atomic_load_explicit(&r->seq, memory_order_relaxed);
    atomic_store_explicit(&r->seq, s + 1, memory_order_release);  /* words before even seq */
}

void statetab_write(struct row *r, const struct rowdata *d)
{
    statetab_write_begin(r, d);
    statetab_write_end(r);
}

void statetab_peek(const struct row *r, struct rowdata *d)
{
    load_words(r, d);
}

int statetab_busy(const struct row *r)
{
    return (int)(atomic_load_explicit(&r->seq, memory_order_acquire) & 1);
}

int statetab_read(const struct row *r, struct rowdata *d, unsigned tries)
{
    /* EXERCISE(phase4-seqlock-read): the reader's side of the seqlock. Copy the
     * row's words between two reads of its seq, and keep the copy only if the
     * first read was even (no write under way) and the second equals it (no
     * write began meanwhile); otherwise try again, at most `tries` times
     * (sched_yield() after YIELD_AFTER tries), then fail with EAGAIN. The acquire
     * fence between the copy and the second read keeps the copy before it. */
    /* STUB: (void)tries; load_words(r, d); return 0; */
    for (unsigned i = 0; i < tries; i++) {
        if (i >= YIELD_AFTER)
            sched_yield();
        uint64_t s1 = atomic_load_explicit(&r->seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        load_words(r, d);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&r->seq, memory_order_relaxed) == s1)
            return 0;
    }
    errno = EAGAIN;
    return -1;
    /* END EXERCISE */
}
