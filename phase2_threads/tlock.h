/* tlock.h: a mutex that measures its own contention. An acquisition first
 * tries the lock; only when that fails is it "contended", and the time spent
 * blocked in pthread_mutex_lock is added to the caller's wait time. So the
 * uncontended path costs one trylock, and the figures say how often and how
 * long threads queued on the lock: the lesson of --lock global in numbers. */
#ifndef P2_TLOCK_H
#define P2_TLOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "timing.h"

/* One thread's lock figures. Written only by that thread (single writer), read
 * by the control thread for STATS: atomics, updated with relaxed load + store. */
struct lockstat {
    _Atomic uint64_t acquired;  /* acquisitions */
    _Atomic uint64_t contended; /* acquisitions that found the lock taken */
    _Atomic uint64_t wait_ns;   /* ns spent blocked on taken locks */
};

/* Padded to a cache line so that two hot locks never share one. */
struct tlock {
    pthread_mutex_t mu;
} __attribute__((aligned(64)));

/* Add v to a single-writer counter: no read-modify-write instruction needed. */
static inline void stat_add(_Atomic uint64_t *a, uint64_t v)
{
    atomic_store_explicit(a, atomic_load_explicit(a, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

static inline uint64_t stat_read(_Atomic uint64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

/* Lock l, counting into st (the calling thread's own). */
static inline void tlock_acquire(struct tlock *l, struct lockstat *st)
{
    if (pthread_mutex_trylock(&l->mu) != 0) {
        uint64_t t0 = now_ns();
        pthread_mutex_lock(&l->mu);
        stat_add(&st->wait_ns, now_ns() - t0);
        stat_add(&st->contended, 1);
    }
    stat_add(&st->acquired, 1);
}

static inline void tlock_release(struct tlock *l)
{
    pthread_mutex_unlock(&l->mu);
}

/* Returns 0, or an errno value. */
static inline int tlock_init(struct tlock *l)
{
    return pthread_mutex_init(&l->mu, NULL);
}

static inline void tlock_destroy(struct tlock *l)
{
    pthread_mutex_destroy(&l->mu);
}

#endif
