/* shmring.c: the shared-memory ring (see shmring.h).
 *
 * Positions are free-running 32-bit counters, never masked in place: head - tail
 * is the fill level even after the counters wrap, so a full ring can never look
 * empty. They are 32-bit because a futex word is; a ring holds far fewer than
 * 2^31 slots, so the unsigned difference stays exact. With one producer and one
 * consumer each position has a single writer, so no per-slot sequence number is
 * needed (Vyukov's queue needs one for several producers or consumers).
 *
 * A side that finds the ring empty (or full) raises its "waiting" flag,
 * re-checks, and sleeps on the futex of the position it waits for; the other side
 * wakes it only when the flag is up, so a busy ring makes no system calls. */
#include "shmring.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STOP_LEN  UINT32_MAX    /* slot length that means "no more messages" */
#define SLOT_HDR  64            /* a slot's length word, alone on its cache line */

struct shmring {
    _Alignas(64) _Atomic uint32_t head;     /* next position to fill (producer only) */
    _Atomic uint32_t cons_waiting;          /* 1 while the consumer may sleep on head */
    _Alignas(64) _Atomic uint32_t tail;     /* next position to drain (consumer only) */
    _Atomic uint32_t prod_waiting;          /* 1 while the producer may sleep on tail */
    _Alignas(64) uint32_t slots;            /* a power of two; set before fork, then read-only */
    uint32_t stride;                        /* bytes per slot: SLOT_HDR + data, x64 */
    size_t map_len;                         /* bytes mapped, for munmap */
};

#define RING_HDR ((sizeof(struct shmring) + 63) & ~(size_t)63)

static void futex_wait(_Atomic uint32_t *word, uint32_t val)
{
    /* Not FUTEX_PRIVATE: the word lives in a mapping shared with another process.
     * Returns at once if *word != val, so a wake between check and sleep is kept. */
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

struct shmring *shmring_new(size_t msg_bytes, size_t ring_bytes)
{
    size_t data = msg_bytes < 8 ? 8 : msg_bytes;
    if (data > UINT32_MAX / 2) {
        errno = EINVAL;
        return NULL;
    }
    uint32_t stride = (uint32_t)(SLOT_HDR + ((data + 63) & ~(size_t)63)), n = 2;
    while ((size_t)n * 2 * stride <= ring_bytes)
        n *= 2;
    size_t len = RING_HDR + (size_t)n * stride;
    struct shmring *r = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        return NULL;
    r->slots = n;                       /* fresh anonymous memory is zeroed */
    r->stride = stride;
    r->map_len = len;
    return r;
}

void shmring_free(struct shmring *r)
{
    if (r)
        munmap(r, r->map_len);
}

static uint8_t *ring_slot(struct shmring *r, uint32_t pos)
{
    return (uint8_t *)r + RING_HDR + (size_t)(pos & (r->slots - 1)) * r->stride;
}

/* Sleep until *pos != val, raising *waiting first so the other side wakes us. */
static void wait_change(_Atomic uint32_t *pos, _Atomic uint32_t *waiting, uint32_t val)
{
    while (atomic_load(pos) == val) {
        atomic_store(waiting, 1);
        /* seq_cst store then load: either we see the other side's new position,
         * or it sees our flag and wakes us. */
        if (atomic_load(pos) == val)
            futex_wait(pos, val);
        atomic_store(waiting, 0);
    }
}

static void ring_put(struct shmring *r, const void *p, uint32_t n)
{
    uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);  /* ours alone */
    while (h - atomic_load(&r->tail) == r->slots)
        wait_change(&r->tail, &r->prod_waiting, h - r->slots);
    uint8_t *s = ring_slot(r, h);
    memcpy(s, &n, sizeof n);
    if (n != STOP_LEN)
        memcpy(s + SLOT_HDR, p, n);          /* copy 1 of 2: into shared memory */
    atomic_store(&r->head, h + 1);           /* publishes the slot's bytes */
    if (atomic_load(&r->cons_waiting))
        futex_wake(&r->head);
}

void shmring_put(struct shmring *r, const void *p, uint32_t n)
{
    ring_put(r, p, n);
}

void shmring_stop(struct shmring *r)
{
    ring_put(r, NULL, STOP_LEN);
}

int shmring_get(struct shmring *r, void *p, size_t cap)
{
    uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);  /* ours alone */
    wait_change(&r->head, &r->cons_waiting, t);
    uint8_t *s = ring_slot(r, t);
    uint32_t n;
    memcpy(&n, s, sizeof n);
    int got = n != STOP_LEN;
    if (got)
        memcpy(p, s + SLOT_HDR, n < cap ? n : cap);  /* copy 2 of 2: to private memory */
    atomic_store(&r->tail, t + 1);
    if (atomic_load(&r->prod_waiting))
        futex_wake(&r->tail);
    return got;
}
