/* registry.c: key -> keystate, open addressing with linear probing.
 *
 * The table holds pointers, and every keystate is its own allocation: growing
 * the table moves the pointers, never the machines, so a pointer handed out by
 * registry_get stays valid until registry_free (phase 2 keeps per-key locks
 * next to such pointers). Each slot caches its key's hash, so a probe compares
 * strings only when the hashes already match, and growing never rehashes a key.
 * The table doubles when it would pass 70 % full, which keeps linear-probe runs
 * short. */
#include "registry.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REGISTRY_MIN_CAP 64     /* slots in a new table (a power of two) */
#define LOAD_NUM 7              /* grow past LOAD_NUM/LOAD_DEN full */
#define LOAD_DEN 10

struct reg_slot {
    uint64_t hash;
    struct keystate *ks;        /* NULL = empty */
};

struct registry {
    struct reg_slot *slots;
    size_t cap;                 /* a power of two */
    size_t count;
};

/* FNV-1a 64: route.c has the kit's shared hash; the registry keeps its own so
 * that it depends on nothing but fsm. */
static uint64_t key_hash(const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ULL;
    }
    return h ^ (h >> 32);       /* FNV's low bits are weak; the mask below keeps only those */
}

struct registry *registry_new(void)
{
    struct registry *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    r->slots = calloc(REGISTRY_MIN_CAP, sizeof *r->slots);
    if (!r->slots) {
        free(r);
        return NULL;
    }
    r->cap = REGISTRY_MIN_CAP;
    r->count = 0;
    return r;
}

/* The slot holding key, or the empty slot where it would go. */
static struct reg_slot *find_slot(const struct registry *r, const char *key, size_t len, uint64_t h)
{
    size_t mask = r->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct reg_slot *s = &r->slots[i];
        if (!s->ks)
            return s;
        if (s->hash == h && memcmp(s->ks->key, key, len) == 0 && s->ks->key[len] == '\0')
            return s;
    }
}

static int grow(struct registry *r)
{
    size_t cap = r->cap * 2;
    struct reg_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < r->cap; i++) {
        struct reg_slot *s = &r->slots[i];
        if (!s->ks)
            continue;
        size_t j = s->hash & (cap - 1);
        while (slots[j].ks)
            j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    free(r->slots);
    r->slots = slots;
    r->cap = cap;
    return 0;
}

struct keystate *registry_find(const struct registry *r, const char *key, size_t len)
{
    if (len > KEY_MAX)
        return NULL;
    return find_slot(r, key, len, key_hash(key, len))->ks;
}

struct keystate *registry_get(struct registry *r, const char *key, size_t len)
{
    if (len > KEY_MAX) {
        errno = EINVAL;
        return NULL;
    }
    uint64_t h = key_hash(key, len);
    struct reg_slot *s = find_slot(r, key, len, h);
    if (s->ks)
        return s->ks;
    if ((r->count + 1) * LOAD_DEN > r->cap * LOAD_NUM) {
        if (grow(r) < 0)
            return NULL;
        s = find_slot(r, key, len, h);
    }
    struct keystate *ks = malloc(sizeof *ks);
    if (!ks)
        return NULL;
    fsm_init(ks, key, len);
    s->hash = h;
    s->ks = ks;
    r->count++;
    return ks;
}

int registry_put(struct registry *r, const struct keystate *ks)
{
    struct keystate *dst = registry_get(r, ks->key, strnlen(ks->key, KEY_MAX));
    if (!dst)
        return -1;
    *dst = *ks;
    dst->key[KEY_MAX] = '\0';
    return 0;
}

size_t registry_count(const struct registry *r)
{
    return r->count;
}

/* strcmp compares as unsigned char (C11 7.24.4), which is bytewise order. */
static int by_key(const void *a, const void *b)
{
    const struct keystate *x = *(struct keystate *const *)a, *y = *(struct keystate *const *)b;
    return strcmp(x->key, y->key);
}

struct keystate **registry_sorted(const struct registry *r, size_t *n)
{
    *n = 0;
    if (r->count == 0) {
        errno = 0;
        return NULL;
    }
    struct keystate **v = malloc(r->count * sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < r->cap; i++)
        if (r->slots[i].ks)
            v[k++] = r->slots[i].ks;
    qsort(v, k, sizeof *v, by_key);
    *n = k;
    return v;
}

int registry_each(const struct registry *r, int (*fn)(struct keystate *, void *), void *arg)
{
    for (size_t i = 0; i < r->cap; i++) {
        if (r->slots[i].ks) {
            int rc = fn(r->slots[i].ks, arg);
            if (rc)
                return rc;
        }
    }
    return 0;
}

void registry_free(struct registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->cap; i++)
        free(r->slots[i].ks);
    free(r->slots);
    free(r);
}
