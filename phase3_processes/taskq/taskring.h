/* taskring.h: the shared-memory task ring of bin/taskq (MPOP's shared queue, done
 * right). A bounded MPMC queue after Dmitry Vyukov: fixed slots (a power of two,
 * each a multiple of 64 bytes), free-running 64-bit head/tail on their own cache
 * lines, and a sequence number per slot, so a full ring never looks empty (MPOP's
 * masked indices wedge once the ring fills). Consumers claim RANGES: they check
 * that k consecutive slots are ready, then move the tail by k with one CAS.
 *
 * Everything lives in memory the caller provides (a MAP_SHARED mapping made
 * before fork), so it contains no pointers, only offsets. Producers sleep on a
 * futex when the ring is full and consumers when it is empty (FUTEX_WAIT/WAKE on
 * shared words, never a polling sleep).
 *
 * Crash safety: a consumer holds what it claimed in a `holder` that also lives
 * in shared memory (MPOP's "local queue" that the supervisor may look at when a
 * worker fails). The claim protocol keeps an epoch that is odd while a claim is
 * in flight, so the supervisor can find the slots of a consumer that died between
 * its CAS and its copy (see taskring.c for the argument). */
#ifndef KIT_TASKRING_H
#define KIT_TASKRING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define TASK_ARGS_MAX       4           /* integer arguments a slot carries */
#define TASKRING_HDR        64          /* bytes of a slot before its inline area */
#define TASKRING_SLOT_MIN   64          /* smallest slot: header only, no inline bytes */
#define TASKRING_SLOT_MAX   4096        /* largest slot accepted */
#define TASKRING_SLOTS_MAX  (1u << 24)  /* most slots accepted */
#define TASKRING_BATCH_MAX  256         /* longest range claim */
#define TASKRING_CLAIM_BROKEN (-2)      /* taskring_claim: an impossible count */
#define TASKRING_CACHELINE  64          /* what "own cache line" means here */

enum task_where { TASK_BYTES_NONE, TASK_BYTES_INLINE, TASK_BYTES_ARENA };

/* A task as it sits in a slot after the slot's sequence number (56 bytes, so a
 * 64-byte slot holds exactly one task and no inline bytes). */
struct task {
    uint64_t id;                /* the supervisor's task number */
    uint16_t fn;                /* handler id (taskfn.h) */
    uint8_t argc;               /* args in use, <= TASK_ARGS_MAX */
    uint8_t where;              /* enum task_where: where the byte argument lives */
    uint32_t nbytes;            /* length of the byte argument */
    uint32_t arena_off;         /* TASK_BYTES_ARENA: offset of the bytes in the arena */
    uint32_t reserved;
    int64_t args[TASK_ARGS_MAX];
};

/* One slot image: the task and its inline bytes (slot_bytes - TASKRING_HDR of them). */
struct task_slot {
    _Atomic uint64_t seq;       /* Vyukov: pos = free for pos, pos+1 = holds pos's task */
    struct task t;
    uint8_t bytes[];            /* the inline byte area */
};

struct taskring;                /* the ring header; slots follow it in memory */

/* What one consumer holds, in shared memory (its "local queue"). Written only by
 * its consumer while that one lives; read by the supervisor after it died. */
struct taskring_holder {
    _Atomic uint64_t epoch;     /* odd while a claim is in flight (tail read .. slots released) */
    _Atomic uint64_t local_pos; /* ring position of local[0] */
    _Atomic uint32_t local_n;   /* tasks copied in and not yet retired (0 = holds nothing) */
    _Atomic uint32_t next;      /* index of the next local task to run */
    _Atomic uint64_t claims;    /* successful range claims (statistics) */
    _Atomic uint64_t claimed;   /* tasks claimed in all (statistics) */
    uint8_t pad[TASKRING_CACHELINE - 40];
    /* followed by `batch` task images of slot_bytes each (taskring_local) */
};

/* Check a geometry. Returns 0, or -1 with a one-line reason in err
 * ("--slots 1000 is not a power of two"). */
int taskring_check(uint64_t slots, uint64_t slot_bytes, char *err, size_t errlen);

/* Bytes of shared memory a ring of this geometry needs (header + slots). */
size_t taskring_bytes(uint32_t slots, uint32_t slot_bytes);

/* Bytes of one holder able to hold `batch` tasks of slot_bytes each. */
size_t taskring_holder_bytes(uint32_t slot_bytes, uint32_t batch);

/* Lay a fresh ring out in mem (taskring_bytes() of zeroed, 64-byte aligned,
 * shared memory). The geometry must pass taskring_check. */
struct taskring *taskring_init(void *mem, uint32_t slots, uint32_t slot_bytes);

/* Reset a holder to "holds nothing". Only while its consumer is not running. */
void taskring_holder_reset(struct taskring_holder *h);

/* The i-th task image held by h. */
struct task_slot *taskring_local(struct taskring_holder *h, uint32_t slot_bytes, uint32_t i);

uint32_t taskring_slots(const struct taskring *r);
uint32_t taskring_slot_bytes(const struct taskring *r);
uint32_t taskring_inline_max(const struct taskring *r);  /* inline bytes per slot */
uint64_t taskring_head(const struct taskring *r);         /* tasks ever pushed */
uint64_t taskring_tail(const struct taskring *r);         /* tasks ever claimed */

/* Push one task (t + its inline bytes, nbytes <= inline_max when inline) without
 * blocking. Returns 0, or -1 with EAGAIN when the ring is full. Safe for any
 * number of concurrent producers. */
int taskring_try_push(struct taskring *r, const struct task *t, const void *inline_bytes);

/* Push, sleeping on the futex while the ring is full. Returns 0, or -1 with
 * EINTR (a signal arrived: the caller handles it and calls again) or ETIMEDOUT
 * (timeout_ms passed; < 0 = none). */
int taskring_push(struct taskring *r, const struct task *t, const void *inline_bytes, int timeout_ms);

/* Claim up to max (1..TASKRING_BATCH_MAX) consecutive ready tasks into h
 * (which must hold nothing), sleeping while the ring is empty. Returns the
 * number claimed, 0 when the ring is closed and empty, -1 with EINTR, or
 * TASKRING_CLAIM_BROKEN when the count of ready slots came out above max (only
 * a wrong ready_run(), the handout's exercise taskq-claim, can do that). 
 * `window_hook`, if not NULL, is called inside the crash window (after the CAS,
 * before the copy): a test hook to die there. */
int taskring_claim(struct taskring *r, struct taskring_holder *h, uint32_t max,
                   void (*window_hook)(void));

/* The holder's consumer ran every local task: hold nothing again. */
void taskring_retire(struct taskring_holder *h);

/* Wake sleepers waiting for space (after freeing something else they wait on,
 * e.g. arena bytes). Cheap when nobody sleeps. */
void taskring_wake_space(struct taskring *r);

/* Wake every sleeper (used from a signal handler: async-signal-safe). */
void taskring_kick(struct taskring *r);

/* No more tasks will come: consumers return 0 once the ring is empty. */
void taskring_close(struct taskring *r);

/* Supervisor, after a consumer died: give back the ring slots of positions
 * [pos, pos+n) that are still claimed (seq == p+1), so producers can reuse
 * them. Only for positions that consumer held. */
void taskring_release_range(struct taskring *r, uint64_t pos, uint32_t n);

/* Supervisor, after a consumer died inside its claim window: read tail = T
 * (taskring_tail), THEN snapshot every live consumer's epoch and wait until each
 * is quiet (taskring_holder_quiet), then call this: fn runs for every task still
 * claimed below T (an orphan: its claimer died before copying it) and the slot
 * is released. Reading T before the snapshot matters: a claim that starts after
 * the snapshot lies at or above T. Returns how many orphans were found. */
size_t taskring_orphans(struct taskring *r, uint64_t t,
                        void (*fn)(const struct task_slot *s, void *arg), void *arg);

/* Epoch snapshot helpers: a consumer is quiet relative to snapshot e when it
 * was outside a claim (e even) or has moved on since (epoch != e). */
uint64_t taskring_holder_epoch(const struct taskring_holder *h);
int taskring_holder_quiet(const struct taskring_holder *h, uint64_t snapshot);

/* Thin futex helpers on 32-bit shared words (not PRIVATE: other processes wait
 * on them too). wait returns 0 on wake/value change, -1 with EINTR/ETIMEDOUT. */
int futex_wait_shared(_Atomic uint32_t *word, uint32_t expect, int timeout_ms);
void futex_wake_shared(_Atomic uint32_t *word, int n);

#endif
