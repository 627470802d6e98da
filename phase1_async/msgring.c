/* msgring.c: a fixed ring of messages (see msgring.h). */
#include "msgring.h"

#include <errno.h>
#include <stdlib.h>

int msgring_init(struct msgring *r, size_t cap)
{
    r->slot = calloc(cap ? cap : 1, sizeof *r->slot);
    r->cap = cap ? cap : 1;
    r->head = r->len = 0;
    if (!r->slot) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

bool msgring_push(struct msgring *r, const struct msg *m)
{
    if (r->len == r->cap)
        return false;
    struct msg *s = &r->slot[(r->head + r->len) % r->cap];
    *s = *m;
    /* Phase 1 moves messages within one process: nothing would ever read the
     * payload, and the source reuses its buffer on the next message. */
    s->payload = NULL;
    s->payload_len = 0;
    r->len++;
    return true;
}

const struct msg *msgring_peek(const struct msgring *r)
{
    return r->len ? &r->slot[r->head] : NULL;
}

void msgring_pop(struct msgring *r)
{
    r->head = (r->head + 1) % r->cap;
    r->len--;
}

void msgring_destroy(struct msgring *r)
{
    free(r->slot);
    r->slot = NULL;
    r->cap = r->len = r->head = 0;
}
