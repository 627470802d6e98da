/* msgring.h: the in-loop queue of phase 1, a bounded FIFO of messages between
 * the source and the router. Single-threaded (it lives on the loop thread), so
 * it needs no lock: the bound is what gives back-pressure, because the source
 * stops producing when the ring is full instead of growing memory. */
#ifndef P1_MSGRING_H
#define P1_MSGRING_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"

struct msgring {
    struct msg *slot;           /* cap slots, owned */
    size_t cap;                 /* fixed at init */
    size_t head;                /* index of the oldest message */
    size_t len;                 /* messages held */
};

/* Allocate room for cap (>= 1) messages. Returns 0, or -1 with ENOMEM. */
int msgring_init(struct msgring *r, size_t cap);

/* Append a copy of *m (its payload pointer is dropped: the bytes are borrowed
 * from the source and die with its next message). Returns false if full. */
bool msgring_push(struct msgring *r, const struct msg *m);

/* The oldest message, or NULL when empty; valid until the next push or pop. */
const struct msg *msgring_peek(const struct msgring *r);

/* Drop the oldest message (the ring must not be empty). */
void msgring_pop(struct msgring *r);

static inline size_t msgring_free(const struct msgring *r) { return r->cap - r->len; }

void msgring_destroy(struct msgring *r);

#endif
