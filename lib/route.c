/* route.c: the four routing policies (see route.h).
 *
 * The consistent ring is a sorted array of (hash, worker) points, RING_VNODES per
 * worker, at route_hash("w<i>#<v>"). A key belongs to the first point at or after
 * its hash, wrapping past the end. Adding worker N only adds points, so the only
 * keys that move are those whose first point is now one of the new worker's:
 * every moved key moves TO the new worker, about 1/(N+1) of them. Many virtual
 * nodes per worker even out the arc lengths (with one point each, a worker's
 * share varies by a factor of several). */
#include "route.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "param.h"

struct ring_point {
    uint64_t hash;
    unsigned worker;
};

/* One remembered key of the map policy; len == 0 marks an empty slot. */
struct map_slot {
    uint64_t hash;
    unsigned worker;
    uint8_t len;
    char key[KEY_MAX];
};

struct router {
    enum route kind;
    unsigned workers;
    uint64_t next;              /* roundrobin: messages routed so far */
    struct ring_point *ring;    /* consistent: workers * RING_VNODES points, sorted */
    size_t npoints;
    struct map_slot *slots;     /* map: open addressing, linear probing, cap a power of 2 */
    size_t cap, used;
    uint64_t *load;             /* map: keys owned per worker */
};

static const char *const route_names[ROUTE_COUNT] = {
    [ROUTE_MODULO] = "modulo",
    [ROUTE_CONSISTENT] = "consistent",
    [ROUTE_MAP] = "map",
    [ROUTE_ROUNDROBIN] = "roundrobin",
};

int route_parse(const char *s, enum route *out)
{
    for (int i = 0; i < ROUTE_COUNT; i++)
        if (strcmp(s, route_names[i]) == 0) {
            *out = (enum route)i;
            return 0;
        }
    return -1;
}

const char *route_name(enum route r)
{
    return (unsigned)r < ROUTE_COUNT ? route_names[r] : "?";
}

int route_keeps_order(enum route r)
{
    return r == ROUTE_MODULO || r == ROUTE_CONSISTENT || r == ROUTE_MAP;
}

uint64_t route_hash(const char *key, size_t len)
{
    uint64_t h = 14695981039346656037ull;           /* FNV-1a 64 offset basis */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ull;                      /* FNV 64 prime */
    }
    /* FNV alone leaves similar keys ("k0001", "k0002") in nearby values and
     * its low bits weak; the splitmix64 finalizer spreads every input bit over
     * every output bit, which is what `% N` and the ring need. */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

static int point_cmp(const void *a, const void *b)
{
    const struct ring_point *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->worker > y->worker) - (x->worker < y->worker);  /* ties: deterministic */
}

/* Worker w's RING_VNODES points, unsorted, into pts[0..RING_VNODES). */
static void ring_add_worker(struct ring_point *pts, unsigned w)
{
    /* EXERCISE(lib-ring-add): put worker w on the ring: RING_VNODES points, point v
     * at route_hash() of the name "w<w>#<v>" (snprintf), each owned by w. */
    /* STUB: for (unsigned v = 0; v < RING_VNODES; v++) */
    /* STUB:     pts[v] = (struct ring_point){ v, w }; */
    for (unsigned v = 0; v < RING_VNODES; v++) {
        char name[32];
        int len = snprintf(name, sizeof name, "w%u#%u", w, v);
        pts[v] = (struct ring_point){ route_hash(name, (size_t)len), w };
    }
    /* END EXERCISE */
}

static int ring_build(struct router *r)
{
    r->npoints = (size_t)r->workers * RING_VNODES;
    r->ring = malloc(r->npoints * sizeof *r->ring);
    if (!r->ring)
        return -1;
    for (unsigned w = 0; w < r->workers; w++)
        ring_add_worker(r->ring + (size_t)w * RING_VNODES, w);
    qsort(r->ring, r->npoints, sizeof *r->ring, point_cmp);
    return 0;
}

/* The first point with hash >= h (lower bound), wrapping to the first point. */
static unsigned ring_pick(const struct router *r, uint64_t h)
{
    /* EXERCISE(lib-ring-pick): return the worker of the first ring point whose hash is
     * >= h (binary search: r->ring is sorted by hash), wrapping past the last point to
     * the first. */
    /* STUB: (void)r; (void)h; */
    /* STUB: return 0; */
    size_t lo = 0, hi = r->npoints;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->ring[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return r->ring[lo == r->npoints ? 0 : lo].worker;
    /* END EXERCISE */
}

struct router *router_new(enum route kind, unsigned workers)
{
    if ((unsigned)kind >= ROUTE_COUNT || workers < 1 || workers > WORKERS_MAX) {
        errno = EINVAL;
        return NULL;
    }
    struct router *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->kind = kind;
    r->workers = workers;
    if (kind == ROUTE_CONSISTENT && ring_build(r) < 0)
        goto fail;
    if (kind == ROUTE_MAP && !(r->load = calloc(workers, sizeof *r->load)))
        goto fail;
    return r;
fail:
    router_free(r);
    errno = ENOMEM;
    return NULL;
}

void router_free(struct router *r)
{
    if (!r)
        return;
    free(r->ring);
    free(r->slots);
    free(r->load);
    free(r);
}

unsigned router_workers(const struct router *r)
{
    return r->workers;
}

/* The slot holding key, or the empty slot where it would go. cap must be > used. */
static struct map_slot *map_slot(struct map_slot *slots, size_t cap, uint64_t h,
                                 const char *key, size_t len)
{
    for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        struct map_slot *s = &slots[i];
        if (s->len == 0 || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
    }
}

/* Keep the table at most 3/4 full, so probes stay short. */
static int map_grow(struct router *r)
{
    if (r->slots && (r->used + 1) * 4 <= r->cap * 3)
        return 0;
    size_t cap = r->cap ? r->cap * 2 : 64;
    struct map_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < r->cap; i++) {
        const struct map_slot *s = &r->slots[i];
        if (s->len)
            *map_slot(slots, cap, s->hash, s->key, s->len) = *s;
    }
    free(r->slots);
    r->slots = slots;
    r->cap = cap;
    return 0;
}

/* Remember key -> worker. Returns the slot, or NULL on ENOMEM. */
static struct map_slot *map_insert(struct router *r, uint64_t h, const char *key, size_t len,
                                   unsigned worker)
{
    if (map_grow(r) < 0)
        return NULL;
    struct map_slot *s = map_slot(r->slots, r->cap, h, key, len);
    s->hash = h;
    s->worker = worker;
    s->len = (uint8_t)len;
    memcpy(s->key, key, len);
    r->used++;
    r->load[worker]++;
    return s;
}

static unsigned map_pick(struct router *r, const char *key, size_t len)
{
    uint64_t h = route_hash(key, len);
    if (!key_valid(key, len))
        return (unsigned)(h % r->workers);
    if (r->slots) {
        const struct map_slot *s = map_slot(r->slots, r->cap, h, key, len);
        if (s->len)
            return s->worker;
    }
    unsigned best = 0;          /* the least loaded worker, ties to the lowest index */
    for (unsigned w = 1; w < r->workers; w++)
        if (r->load[w] < r->load[best])
            best = w;
    if (!map_insert(r, h, key, len, best))
        return (unsigned)(h % r->workers);
    return best;
}

unsigned route_pick(struct router *r, const char *key, size_t len)
{
    switch (r->kind) {
    case ROUTE_CONSISTENT:
        return ring_pick(r, route_hash(key, len));
    case ROUTE_MAP:
        return map_pick(r, key, len);
    case ROUTE_ROUNDROBIN:
        return (unsigned)(r->next++ % r->workers);
    case ROUTE_MODULO:
    default:
        return (unsigned)(route_hash(key, len) % r->workers);
    }
}

int route_peek(const struct router *r, const char *key, size_t len)
{
    switch (r->kind) {
    case ROUTE_CONSISTENT:
        return (int)ring_pick(r, route_hash(key, len));
    case ROUTE_MAP: {
        uint64_t h = route_hash(key, len);
        if (!key_valid(key, len))
            return (int)(h % r->workers);       /* as map_pick routes it */
        if (r->slots) {
            const struct map_slot *s = map_slot(r->slots, r->cap, h, key, len);
            if (s->len)
                return (int)s->worker;
        }
        errno = ENOENT;
        return -1;
    }
    case ROUTE_ROUNDROBIN:
        errno = EINVAL;
        return -1;
    case ROUTE_MODULO:
    default:
        return (int)(route_hash(key, len) % r->workers);
    }
}

/* Parse one "key,worker" line into the map; returns 0, or -1 with a reason and
 * errno (EINVAL for a bad line, ENOMEM). */
static int map_line(struct router *r, const char *line, size_t len, char *why, size_t whylen)
{
    errno = EINVAL;
    const char *comma = memchr(line, ',', len);
    if (!comma) {
        snprintf(why, whylen, "expected key,worker");
        return -1;
    }
    size_t klen = (size_t)(comma - line);
    if (!key_valid(line, klen)) {
        snprintf(why, whylen, "invalid key '%.*s'", (int)(klen > 40 ? 40 : klen), line);
        return -1;
    }
    const char *num = comma + 1, *end = line + len;
    if (num == end) {
        snprintf(why, whylen, "missing worker");
        return -1;
    }
    unsigned long w = 0;
    for (const char *p = num; p < end; p++) {
        if (*p < '0' || *p > '9') {
            snprintf(why, whylen, "worker '%.*s' is not a number", (int)(end - num > 20 ? 20 : end - num), num);
            return -1;
        }
        w = w * 10 + (unsigned long)(*p - '0');
        if (w >= r->workers) {
            snprintf(why, whylen, "worker %.*s out of range 0..%u",
                     (int)(end - num > 20 ? 20 : end - num), num, r->workers - 1);
            return -1;
        }
    }
    uint64_t h = route_hash(line, klen);
    if (r->slots && map_slot(r->slots, r->cap, h, line, klen)->len) {
        snprintf(why, whylen, "key '%.*s' listed twice", (int)klen, line);
        return -1;
    }
    if (!map_insert(r, h, line, klen, (unsigned)w)) {
        snprintf(why, whylen, "out of memory");
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int router_load_map(struct router *r, const char *path, char *err, size_t errlen)
{
    if (r->kind != ROUTE_MAP) {
        snprintf(err, errlen, "a map file needs the map policy, not %s", route_name(r->kind));
        errno = EINVAL;
        return -1;
    }
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(e));
        errno = e;
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    ssize_t n;
    int rc = 0;
    errno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n')
            len--;
        if (len == 0 || line[0] == '#')
            continue;
        char why[128];
        if (map_line(r, line, len, why, sizeof why) < 0) {
            int e = errno;
            snprintf(err, errlen, "%s:%lu: %s", path, lineno, why);
            errno = e;
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        int e = errno ? errno : EIO;
        snprintf(err, errlen, "reading '%s': %s", path, strerror(e));
        errno = e;
        rc = -1;
    }
    int e = errno;
    free(line);
    fclose(f);
    errno = e;
    return rc;
}
