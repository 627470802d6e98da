/* recring.c: the record ring (recring.h).
 *
 * The sleep handshake (one side A waits for the other side B):
 *   A: v = word; sleeping = 1; fence; re-check the slot; futex_wait(word, v)
 *   B: publish the slot; fence; if (sleeping) { word++; futex_wake(word) }
 * The two fences order A's flag before its re-check and B's slot before its
 * look at the flag, so at least one of them sees the other: either A finds the
 * slot ready and does not sleep, or B sees the flag and wakes A; a wake that
 * comes between A's read of word and its futex_wait makes the wait return at
 * once (the word changed). Waits have a timeout, so a caller can check that the
 * other side is still alive. */
#include "recring.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

#define SPINS 200               /* re-checks before sleeping: a few µs */

size_t recring_size(uint64_t cap)
{
    return sizeof(struct recring) + cap * sizeof(struct rslot);
}

void recring_init(struct recring *r, uint64_t cap)
{
    r->cap = cap;
    r->mask = cap - 1;
    r->head = 0;
    for (uint64_t i = 0; i < cap; i++)
        atomic_store_explicit(&r->slot[i].seq, i, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Not FUTEX_PRIVATE: the word is in memory shared between processes. Each
 * call's CPU time (not the time asleep: a blocked thread uses none) goes to
 * w->sys_ns, the system-call cost that zero_copy sets beside phase 3's. */
static void futex_wait(struct rwait *w, uint32_t v, int timeout_ms)
{
    struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
    uint64_t t0 = thread_cpu_ns();
    syscall(SYS_futex, (uint32_t *)&w->word, FUTEX_WAIT, v, &ts, NULL, 0);
    atomic_fetch_add_explicit(&w->sys_ns, thread_cpu_ns() - t0, memory_order_relaxed);
}

/* The other side just made a slot's seq v: wake the sleeper if it waits for it. */
static void wake(struct rwait *w, uint64_t v)
{
    atomic_thread_fence(memory_order_seq_cst);
    /* The exchange: of several stores that find the flag up, one wakes. */
    if (atomic_load_explicit(&w->sleeping, memory_order_acquire) &&
        v >= atomic_load_explicit(&w->want, memory_order_relaxed) &&
        atomic_exchange_explicit(&w->sleeping, 0, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&w->word, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->wakes, 1, memory_order_relaxed);
        uint64_t t0 = thread_cpu_ns();
        syscall(SYS_futex, (uint32_t *)&w->word, FUTEX_WAKE, 1, NULL, NULL, 0);
        atomic_fetch_add_explicit(&w->sys_ns, thread_cpu_ns() - t0, memory_order_relaxed);
    }
}

/* Wait until slot->seq == want, spinning first, then sleeping on w. Returns 0,
 * or -1 with ETIMEDOUT. */
static int await(const struct rslot *s, uint64_t want, struct rwait *w, int timeout_ms)
{
    for (int i = 0; i < SPINS; i++) {
        if (atomic_load_explicit(&s->seq, memory_order_acquire) == want)
            return 0;
        cpu_relax();
    }
    uint32_t v = atomic_load_explicit(&w->word, memory_order_relaxed);
    atomic_store_explicit(&w->want, want, memory_order_relaxed);
    atomic_store_explicit(&w->sleeping, 1, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&s->seq, memory_order_acquire) != want) {
        atomic_fetch_add_explicit(&w->sleeps, 1, memory_order_relaxed);
        futex_wait(w, v, timeout_ms);
    }
    atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
    if (atomic_load_explicit(&s->seq, memory_order_acquire) == want)
        return 0;
    errno = ETIMEDOUT;
    return -1;
}

int recring_push(struct recring *r, const struct rec *rec, int timeout_ms)
{
    uint64_t pos = r->head;
    struct rslot *s = &r->slot[pos & r->mask];
    if (atomic_load_explicit(&s->seq, memory_order_acquire) != pos) {
        /* Full: sleep until a quarter of the ring is free (its slots are
         * released in order, so the last of them frees the rest). */
        uint64_t k = r->cap / 4 ? r->cap / 4 - 1 : 0;
        if (await(&r->slot[(pos + k) & r->mask], pos + k, &r->prod, timeout_ms) < 0)
            return -1;
    }
    s->rec = *rec;              /* the one copy: 24 bytes into the slot */
    atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
    r->head = pos + 1;
    wake(&r->cons, pos + 1);
    return 0;
}

const struct rec *recring_wait(struct recring *r, uint64_t pos, int timeout_ms)
{
    struct rslot *s = &r->slot[pos & r->mask];
    if (atomic_load_explicit(&s->seq, memory_order_acquire) != pos + 1 &&
        await(s, pos + 1, &r->cons, timeout_ms) < 0)
        return NULL;
    return &s->rec;
}

void recring_release(struct recring *r, uint64_t pos)
{
    atomic_store_explicit(&r->slot[pos & r->mask].seq, pos + r->cap, memory_order_release);
    wake(&r->prod, pos + r->cap);
}

int recring_holds(const struct recring *r, uint64_t pos)
{
    return atomic_load_explicit(&r->slot[pos & r->mask].seq, memory_order_acquire) == pos + 1;
}
