/* recring.h: a bounded ring of fixed-size records in shared memory, from the
 * supervisor (the one producer) to one worker (the one consumer).
 *
 * Vyukov's bounded queue: positions are free-running 64-bit counters, never
 * masked head/tail, and every slot carries a sequence number that says whose
 * turn it is. Slot i (= pos & mask) holds the record of position pos when its
 * seq is pos + 1; the consumer hands it back by storing pos + cap, which is the
 * value the producer waits for at position pos + cap. Full and empty are never
 * confused, and the producer never reads the consumer's position (nor the other
 * way round): each side touches only the slot it is at.
 *
 * A record is 24 bytes of plain data (no pointer, no length, no codec): the
 * key's row index, the op, the value and the stream position. That is what makes
 * zero copy possible: the worker reads the record in place in the slot.
 *
 * The hot path makes no system call. A side that finds the ring empty (consumer)
 * or full (producer) spins briefly, then sleeps on a futex word of the ring; the
 * other side wakes it only if it announced that it sleeps. A producer that
 * finds the ring full sleeps until a quarter of it is free again, not one slot:
 * otherwise, with slow consumers, every record would cost a wait and a wake. */
#ifndef P4_RECRING_H
#define P4_RECRING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define REC_STOP UINT32_MAX     /* idx of the end-of-stream record: the worker exits after it */

struct rec {
    uint32_t idx;               /* the key's row in the state table, or REC_STOP */
    uint32_t op;                /* enum op */
    double value;               /* DATA's value */
    uint64_t seq;               /* the message's position in the stream */
};

struct rslot {
    _Atomic uint64_t seq;       /* pos + 1: holds pos's record; pos + cap: free for pos + cap */
    struct rec rec;
};

/* The sleeping side's half of the handshake: a futex word bumped by every wake,
 * a flag raised before sleeping, and the slot sequence it sleeps for. */
struct rwait {
    alignas(64) _Atomic uint32_t word;
    _Atomic uint32_t sleeping;
    _Atomic uint64_t want;      /* wake the sleeper once a slot's seq reaches this */
    _Atomic uint64_t sleeps;    /* futex waits by this side (system calls) */
    _Atomic uint64_t wakes;     /* futex wakes sent to this side (system calls of the other) */
    _Atomic uint64_t sys_ns;    /* CPU time inside those waits and wakes, both sides (thread CPU) */
};

struct recring {
    alignas(64) uint64_t cap;   /* slots, a power of two; constant */
    uint64_t mask;              /* cap - 1 */
    alignas(64) uint64_t head;  /* the producer's next position: the producer's alone */
    struct rwait cons;          /* the consumer sleeps here while the ring is empty */
    struct rwait prod;          /* the producer sleeps here while it is full */
    alignas(64) struct rslot slot[];
};

/* Bytes a ring of cap slots takes (cap a power of two >= 2). */
size_t recring_size(uint64_t cap);

/* Make an empty ring in zeroed memory of recring_size(cap) bytes. */
void recring_init(struct recring *r, uint64_t cap);

/* Producer: append *rec. Returns 0, or -1 with ETIMEDOUT if the ring stayed full
 * for timeout_ms (the caller checks its consumer is alive and tries again). */
int recring_push(struct recring *r, const struct rec *rec, int timeout_ms);

/* Consumer at position pos: the record there, in place, or NULL after waiting
 * timeout_ms for one (ETIMEDOUT). The pointer stays valid until recring_release(pos). */
const struct rec *recring_wait(struct recring *r, uint64_t pos, int timeout_ms);

/* Consumer: hand the slot of position pos back to the producer. */
void recring_release(struct recring *r, uint64_t pos);

/* True if the slot of position pos still holds pos's record (not yet released):
 * how a new consumer finishes the release its dead predecessor did not. */
int recring_holds(const struct recring *r, uint64_t pos);

#endif
