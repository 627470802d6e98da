/* taskring.c: Vyukov's bounded MPMC queue in shared memory, with range claims,
 * futex sleeping and a crash-recoverable claim protocol (see taskring.h).
 *
 * Sequence numbers. Slot i starts with seq = i. A producer at position p may
 * write slot p & mask when seq == p ("free for p"); it publishes with seq = p+1.
 * A consumer at position p may take the slot when seq == p+1; it gives it back
 * with seq = p + slots ("free for the next lap"). Positions are free-running
 * 64-bit counters, so "full" (seq < p) and "empty" (seq < p+1) are never
 * confused: MPOP's head == tail test after masking cannot tell them apart.
 *
 * The claim protocol, in the consumer (the crash story is in this room's README.md):
 *   1. epoch += 1 (odd: "I am inside a claim")
 *   2. read tail = p; check slots p .. p+k-1 hold tasks; CAS tail p -> p+k
 *   3. copy the k tasks into its holder (shared memory), local_n = k
 *   4. give the k slots back (seq = p' + slots)
 *   5. epoch += 1 (even)
 * A consumer killed after 2 and before 3 leaves k slots claimed (seq == p'+1,
 * below the tail) that no holder lists. The supervisor finds them: once every
 * live consumer is quiet (its epoch was even, or has changed since a snapshot
 * taken after reading tail T), a live consumer has finished step 4 of any claim
 * below T and any new claim starts at or above T; so a slot below T still claimed
 * belongs to a dead consumer. Those are the orphans. */
#include "taskring.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TASKRING_SPIN 64        /* claim attempts before a consumer sleeps */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

struct taskring {
    uint32_t slots;             /* power of two */
    uint32_t slot_bytes;        /* multiple of 64 */
    uint32_t mask;              /* slots - 1 */
    _Atomic uint32_t closed;    /* 1: no more pushes; consumers leave when empty */
    _Alignas(TASKRING_CACHELINE) _Atomic uint64_t head;   /* next position to push (producers) */
    _Alignas(TASKRING_CACHELINE) _Atomic uint64_t tail;   /* next position to claim (consumers) */
    /* Futex words: a counter bumped on every event, and how many sleep on it. */
    _Alignas(TASKRING_CACHELINE) _Atomic uint32_t items_word;     /* bumped per publish */
    _Atomic uint32_t items_waiters;                               /* consumers asleep */
    _Alignas(TASKRING_CACHELINE) _Atomic uint32_t space_word;     /* bumped per release */
    _Atomic uint32_t space_waiters;                               /* producers asleep */
    _Alignas(TASKRING_CACHELINE) uint8_t slots_start[];           /* the slot array */
};

int futex_wait_shared(_Atomic uint32_t *word, uint32_t expect, int timeout_ms)
{
    struct timespec ts, *tp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tp = &ts;
    }
    /* FUTEX_WAIT, not FUTEX_WAIT_PRIVATE: the word is in a MAP_SHARED mapping and
     * the waker is another process. The kernel compares *word with expect under
     * its own lock: if a waker changed it first, we do not sleep (EAGAIN). */
    long rc = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expect, tp, NULL, 0);
    if (rc == 0 || errno == EAGAIN)
        return 0;
    return -1;                  /* EINTR or ETIMEDOUT */
}

void futex_wake_shared(_Atomic uint32_t *word, int n)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, n, NULL, NULL, 0);
}

int taskring_check(uint64_t slots, uint64_t slot_bytes, char *err, size_t errlen)
{
    /* EXERCISE(taskq-geometry): refuse a ring the queue cannot use: slots must be a
     * power of two in [2, TASKRING_SLOTS_MAX] (so that a position maps to its slot with a
     * mask), slot_bytes a multiple of 64 in [TASKRING_SLOT_MIN, TASKRING_SLOT_MAX] (one
     * slot never shares a cache line with the next). Return 0, or -1 with the reason in
     * err, naming the flag (--slots, --slot-bytes). */
    /* STUB: (void)slots; (void)slot_bytes; (void)err; (void)errlen; */
    /* STUB: return 0; */
    if (slots < 2 || slots > TASKRING_SLOTS_MAX || (slots & (slots - 1))) {
        snprintf(err, errlen, "--slots %llu is not a power of two in [2, %u]",
                 (unsigned long long)slots, TASKRING_SLOTS_MAX);
        return -1;
    }
    if (slot_bytes < TASKRING_SLOT_MIN || slot_bytes > TASKRING_SLOT_MAX || slot_bytes % 64) {
        snprintf(err, errlen, "--slot-bytes %llu is not a multiple of 64 in [%u, %u]",
                 (unsigned long long)slot_bytes, TASKRING_SLOT_MIN, TASKRING_SLOT_MAX);
        return -1;
    }
    return 0;
    /* END EXERCISE */
}

size_t taskring_bytes(uint32_t slots, uint32_t slot_bytes)
{
    return sizeof(struct taskring) + (size_t)slots * slot_bytes;
}

size_t taskring_holder_bytes(uint32_t slot_bytes, uint32_t batch)
{
    return sizeof(struct taskring_holder) + (size_t)batch * slot_bytes;
}

static struct task_slot *slot_at(struct taskring *r, uint64_t pos)
{
    return (struct task_slot *)(r->slots_start + (size_t)(pos & r->mask) * r->slot_bytes);
}

struct taskring *taskring_init(void *mem, uint32_t slots, uint32_t slot_bytes)
{
    struct taskring *r = mem;
    memset(r, 0, sizeof *r);
    r->slots = slots;
    r->slot_bytes = slot_bytes;
    r->mask = slots - 1;
    for (uint32_t i = 0; i < slots; i++)
        atomic_init(&slot_at(r, i)->seq, i);
    return r;
}

void taskring_holder_reset(struct taskring_holder *h)
{
    atomic_store(&h->local_n, 0);
    atomic_store(&h->next, 0);
    atomic_store(&h->local_pos, 0);
    atomic_store(&h->epoch, 0);
}

struct task_slot *taskring_local(struct taskring_holder *h, uint32_t slot_bytes, uint32_t i)
{
    return (struct task_slot *)((uint8_t *)(h + 1) + (size_t)i * slot_bytes);
}

uint32_t taskring_slots(const struct taskring *r) { return r->slots; }
uint32_t taskring_slot_bytes(const struct taskring *r) { return r->slot_bytes; }
uint32_t taskring_inline_max(const struct taskring *r) { return r->slot_bytes - TASKRING_HDR; }
uint64_t taskring_head(const struct taskring *r) { return atomic_load(&r->head); }
uint64_t taskring_tail(const struct taskring *r) { return atomic_load(&r->tail); }

/* Announce an event on word and wake sleepers if there are any. The lost-wakeup
 * argument (the same for both words): a sleeper reads the word (its ticket),
 * then registers in *waiters, then re-checks the ring, then FUTEX_WAITs on the
 * ticket. The waker has changed the ring before this call, then bumps the word,
 * then reads *waiters. All of these are seq_cst, so either the sleeper's re-check
 * sees the change, or the waker sees the sleeper registered and wakes it; and if
 * the bump lands between the ticket and the FUTEX_WAIT, the kernel's compare
 * fails and the sleeper does not sleep at all. Nobody registered: no syscall. */
static void announce(_Atomic uint32_t *word, _Atomic uint32_t *waiters, int n)
{
    atomic_fetch_add(word, 1);
    if (atomic_load(waiters))
        futex_wake_shared(word, n);
}

int taskring_try_push(struct taskring *r, const struct task *t, const void *inline_bytes)
{
    uint64_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
    struct task_slot *s;
    for (;;) {
        s = slot_at(r, pos);
        uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - pos);
        if (dif == 0) {
            if (atomic_compare_exchange_weak(&r->head, &pos, pos + 1))
                break;          /* pos is ours */
        } else if (dif < 0) {
            errno = EAGAIN;     /* the slot still holds last lap's task: full */
            return -1;
        } else {
            pos = atomic_load_explicit(&r->head, memory_order_relaxed);
        }
    }
    s->t = *t;
    if (t->where == TASK_BYTES_INLINE && t->nbytes)
        memcpy(s->bytes, inline_bytes, t->nbytes);
    atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
    announce(&r->items_word, &r->items_waiters, 1);
    return 0;
}

int taskring_push(struct taskring *r, const struct task *t, const void *inline_bytes, int timeout_ms)
{
    for (;;) {
        uint32_t ticket = atomic_load(&r->space_word);
        if (taskring_try_push(r, t, inline_bytes) == 0)
            return 0;
        atomic_fetch_add(&r->space_waiters, 1);
        if (taskring_try_push(r, t, inline_bytes) == 0) {
            atomic_fetch_sub(&r->space_waiters, 1);
            return 0;
        }
        int rc = futex_wait_shared(&r->space_word, ticket, timeout_ms);
        atomic_fetch_sub(&r->space_waiters, 1);
        if (rc < 0)
            return -1;          /* EINTR or ETIMEDOUT: the caller decides */
    }
}

/* How many consecutive slots from position pos hold a task, at most max. */
static uint32_t ready_run(struct taskring *r, uint64_t pos, uint32_t max)
{
    /* EXERCISE(taskq-claim): count the slots from pos that are ready to claim, at most
     * max: slot pos + k holds a task when its seq (atomic_load_explicit with
     * memory_order_acquire, slot_at) equals pos + k + 1; stop at the first that does not. */
    /* STUB: (void)r; (void)pos; */
    /* STUB: return max + 1; */
    uint32_t k;
    for (k = 0; k < max; k++) {
        uint64_t seq = atomic_load_explicit(&slot_at(r, pos + k)->seq, memory_order_acquire);
        if (seq != pos + k + 1)
            break;
    }
    return k;
    /* END EXERCISE */
}

/* Steps 1-5 of the claim protocol (see the top of the file); 0 if nothing is ready. */
static int try_claim(struct taskring *r, struct taskring_holder *h, uint32_t max,
                     void (*window_hook)(void))
{
    atomic_fetch_add(&h->epoch, 1);                     /* 1: odd, inside a claim */
    uint64_t pos = atomic_load(&r->tail);
    uint32_t k;
    for (;;) {
        k = ready_run(r, pos, max);
        if (k > max) {                                  /* impossible: a broken ready_run */
            atomic_fetch_add(&h->epoch, 1);
            return TASKRING_CLAIM_BROKEN;
        }
        if (k == 0) {
            uint64_t seq = atomic_load_explicit(&slot_at(r, pos)->seq, memory_order_acquire);
            if ((int64_t)(seq - (pos + 1)) > 0) {       /* our tail is stale: reload */
                pos = atomic_load(&r->tail);
                continue;
            }
            atomic_fetch_add(&h->epoch, 1);             /* empty: leave the claim */
            return 0;
        }
        /* 2: the k slots hold tasks and nobody but a tail CAS can take them, so
         * winning the CAS from pos makes [pos, pos+k) ours alone. */
        if (atomic_compare_exchange_strong(&r->tail, &pos, pos + k))
            break;
    }
    if (window_hook)
        window_hook();                                  /* test hook: die in the window */
    for (uint32_t i = 0; i < k; i++)                    /* 3: copy into the holder */
        memcpy(taskring_local(h, r->slot_bytes, i), slot_at(r, pos + i), r->slot_bytes);
    atomic_store(&h->local_pos, pos);
    atomic_store(&h->next, 0);
    atomic_store(&h->local_n, k);
    for (uint32_t i = 0; i < k; i++)                    /* 4: give the slots back */
        atomic_store_explicit(&slot_at(r, pos + i)->seq, pos + i + r->slots, memory_order_release);
    announce(&r->space_word, &r->space_waiters, INT_MAX);
    atomic_fetch_add(&h->epoch, 1);                     /* 5: even again */
    atomic_fetch_add_explicit(&h->claims, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->claimed, k, memory_order_relaxed);
    return (int)k;
}

int taskring_claim(struct taskring *r, struct taskring_holder *h, uint32_t max,
                   void (*window_hook)(void))
{
    if (max < 1)
        max = 1;
    if (max > TASKRING_BATCH_MAX)
        max = TASKRING_BATCH_MAX;
    for (;;) {
        uint32_t ticket = atomic_load(&r->items_word);
        int n = try_claim(r, h, max, window_hook);
        /* A short bounded spin before sleeping: a producer that is mid-push
         * usually publishes within a few hundred ns, far less than the two
         * futex syscalls a sleep and a wake-up cost. Bounded, so an idle
         * worker still ends up asleep, not polling. */
        for (int spin = 0; n == 0 && spin < TASKRING_SPIN && !atomic_load(&r->closed); spin++) {
            cpu_relax();
            n = try_claim(r, h, max, window_hook);
        }
        if (n != 0)
            return n;           /* tasks, or TASKRING_CLAIM_BROKEN */
        if (atomic_load(&r->closed))
            return 0;
        atomic_fetch_add(&r->items_waiters, 1);         /* register, then re-check */
        n = try_claim(r, h, max, window_hook);
        if (n != 0 || atomic_load(&r->closed)) {
            atomic_fetch_sub(&r->items_waiters, 1);
            return n;
        }
        int rc = futex_wait_shared(&r->items_word, ticket, -1);
        atomic_fetch_sub(&r->items_waiters, 1);
        if (rc < 0 && errno == EINTR)
            return -1;
    }
}

void taskring_retire(struct taskring_holder *h)
{
    atomic_store(&h->local_n, 0);
}

void taskring_wake_space(struct taskring *r)
{
    announce(&r->space_word, &r->space_waiters, INT_MAX);
}

void taskring_kick(struct taskring *r)
{
    /* Only atomic increments: safe in a signal handler. A waiter whose ticket
     * predates this returns at once from FUTEX_WAIT (EAGAIN). */
    atomic_fetch_add(&r->items_word, 1);
    atomic_fetch_add(&r->space_word, 1);
}

void taskring_close(struct taskring *r)
{
    atomic_store(&r->closed, 1);
    atomic_fetch_add(&r->items_word, 1);
    futex_wake_shared(&r->items_word, INT_MAX);
}

void taskring_release_range(struct taskring *r, uint64_t pos, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t want = pos + i + 1;
        atomic_compare_exchange_strong(&slot_at(r, pos + i)->seq, &want, pos + i + r->slots);
    }
    taskring_wake_space(r);
}

size_t taskring_orphans(struct taskring *r, uint64_t t,
                        void (*fn)(const struct task_slot *s, void *arg), void *arg)
{
    uint64_t lo = t > r->slots ? t - r->slots : 0;
    size_t found = 0;
    for (uint64_t p = lo; p < t; p++) {
        struct task_slot *s = slot_at(r, p);
        if (atomic_load(&s->seq) != p + 1)
            continue;
        fn(s, arg);
        atomic_store(&s->seq, p + r->slots);
        found++;
    }
    if (found)
        taskring_wake_space(r);
    return found;
}

uint64_t taskring_holder_epoch(const struct taskring_holder *h)
{
    return atomic_load(&h->epoch);
}

int taskring_holder_quiet(const struct taskring_holder *h, uint64_t snapshot)
{
    return (snapshot & 1) == 0 || atomic_load(&h->epoch) != snapshot;
}
