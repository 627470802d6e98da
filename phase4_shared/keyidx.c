/* keyidx.c: key -> row index (keyidx.h). */
#include "keyidx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "param.h"
#include "route.h"

struct kslot {
    uint64_t hash;
    int64_t idx;                /* -1: empty */
    uint8_t len;
    char key[KEY_MAX];
};

struct keyidx {
    struct kslot *slot;
    uint64_t cap;               /* a power of two */
    uint64_t count;
};

static struct kslot *table(uint64_t cap)
{
    struct kslot *t = malloc(cap * sizeof *t);
    if (t)
        for (uint64_t i = 0; i < cap; i++)
            t[i].idx = -1;
    return t;
}

struct keyidx *keyidx_new(void)
{
    struct keyidx *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->cap = 256;
    if (!(k->slot = table(k->cap))) {
        free(k);
        return NULL;
    }
    return k;
}

static struct kslot *probe(struct kslot *t, uint64_t cap, uint64_t h, const char *key, size_t len)
{
    for (uint64_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        struct kslot *s = &t[i];
        if (s->idx < 0 || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
    }
}

int64_t keyidx_find(const struct keyidx *k, const char *key, size_t len)
{
    if (len > KEY_MAX)
        return -1;
    return probe(k->slot, k->cap, route_hash(key, len), key, len)->idx;
}

static int grow(struct keyidx *k)
{
    uint64_t cap = k->cap * 2;
    struct kslot *t = table(cap);
    if (!t)
        return -1;
    for (uint64_t i = 0; i < k->cap; i++) {
        struct kslot *s = &k->slot[i];
        if (s->idx >= 0)
            *probe(t, cap, s->hash, s->key, s->len) = *s;
    }
    free(k->slot);
    k->slot = t;
    k->cap = cap;
    return 0;
}

int64_t keyidx_add(struct keyidx *k, const char *key, size_t len)
{
    if (len > KEY_MAX) {
        errno = EINVAL;
        return -1;
    }
    if ((k->count + 1) * 10 > k->cap * 7 && grow(k) < 0)
        return -1;
    uint64_t h = route_hash(key, len);
    struct kslot *s = probe(k->slot, k->cap, h, key, len);
    s->hash = h;
    s->len = (uint8_t)len;
    memcpy(s->key, key, len);
    s->idx = (int64_t)k->count++;
    return s->idx;
}

uint64_t keyidx_count(const struct keyidx *k)
{
    return k->count;
}

void keyidx_free(struct keyidx *k)
{
    if (k) {
        free(k->slot);
        free(k);
    }
}
