/* taskarena.c: a single-allocator ring of variable-size blocks in shared memory
 * (see taskarena.h). Each block starts with an 8-byte header {freed, len}; a
 * block that would cross the end of the area is preceded by a pad block that is
 * born freed, so every block is contiguous. */
#include "taskarena.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

struct taskarena {
    uint32_t cap;               /* data bytes, multiple of TASKARENA_ALIGN */
    uint32_t reserved;
    uint64_t head;              /* allocator only: free-running end of the newest block */
    uint64_t tail;              /* allocator only: free-running start of the oldest live block */
    uint8_t pad[40];
    uint8_t data[];
};

struct block {
    _Atomic uint32_t freed;     /* 0 live, 1 freed (set by whoever finished its task) */
    uint32_t len;               /* whole block, header included */
};

size_t taskarena_bytes(uint32_t cap)
{
    return sizeof(struct taskarena) + cap;
}

struct taskarena *taskarena_init(void *mem, uint32_t cap)
{
    struct taskarena *a = mem;
    memset(a, 0, sizeof *a);
    a->cap = cap / TASKARENA_ALIGN * TASKARENA_ALIGN;
    return a;
}

static struct block *block_at(struct taskarena *a, uint64_t pos)
{
    return (struct block *)(a->data + pos % a->cap);
}

/* Move the tail past every freed block at the front. */
static void reclaim(struct taskarena *a)
{
    while (a->tail < a->head) {
        struct block *b = block_at(a, a->tail);
        if (!atomic_load_explicit(&b->freed, memory_order_acquire))
            break;
        a->tail += b->len;
    }
}

int64_t taskarena_alloc(struct taskarena *a, uint32_t n)
{
    uint64_t need = ((uint64_t)n + sizeof(struct block) + TASKARENA_ALIGN - 1)
                    / TASKARENA_ALIGN * TASKARENA_ALIGN;
    if (a->cap == 0 || need > a->cap) {
        errno = EMSGSIZE;
        return -1;
    }
    reclaim(a);
    uint64_t off = a->head % a->cap, to_end = a->cap - off;
    uint64_t padlen = need > to_end ? to_end : 0;
    if (a->head + padlen + need - a->tail > a->cap) {
        errno = EAGAIN;
        return -1;
    }
    if (padlen) {
        struct block *p = block_at(a, a->head);
        p->len = (uint32_t)padlen;
        atomic_store(&p->freed, 1);
        a->head += padlen;
    }
    struct block *b = block_at(a, a->head);
    b->len = (uint32_t)need;
    atomic_store(&b->freed, 0);
    int64_t at = (int64_t)(a->head % a->cap + sizeof *b);
    a->head += need;
    return at;
}

uint8_t *taskarena_at(struct taskarena *a, uint32_t off)
{
    return a->data + off;
}

void taskarena_free(struct taskarena *a, uint32_t off)
{
    struct block *b = (struct block *)(a->data + off - sizeof(struct block));
    atomic_store_explicit(&b->freed, 1, memory_order_release);
}

uint64_t taskarena_in_use(const struct taskarena *a)
{
    return a->head - a->tail;
}
