/* gather.c: merging the workers' registries into one dump (see gather.h). */
#include "gather.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

struct owned {
    struct keystate ks;
    unsigned slot;
    pid_t pid;
};

struct gather {
    struct owned *rows;         /* every row received, sorted by gather_finish */
    size_t n, cap;
    struct keystate *merged;    /* one per distinct key, after gather_finish */
    struct keystate **order;    /* pointers into merged, for dump_write_rows */
    size_t keys;
};

struct gather *gather_new(void)
{
    return calloc(1, sizeof(struct gather));
}

int gather_add(struct gather *g, const struct keystate *ks, unsigned slot, pid_t pid)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 256;
        struct owned *r = realloc(g->rows, cap * sizeof *r);
        if (!r)
            return -1;
        g->rows = r;
        g->cap = cap;
    }
    g->rows[g->n].ks = *ks;
    g->rows[g->n].ks.key[KEY_MAX] = '\0';
    g->rows[g->n].slot = slot;
    g->rows[g->n].pid = pid;
    g->n++;
    return 0;
}

void gather_drop(struct gather *g, pid_t pid)
{
    size_t k = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->rows[i].pid != pid)
            g->rows[k++] = g->rows[i];
    g->n = k;
}

int gather_find(const struct gather *g, const char *key, unsigned slot, pid_t pid, struct keystate *out)
{
    for (size_t i = 0; i < g->n; i++) {
        const struct owned *o = &g->rows[i];
        if (o->slot == slot && o->pid == pid && strcmp(o->ks.key, key) == 0) {
            *out = o->ks;
            return 1;
        }
    }
    return 0;
}

static int owned_cmp(const void *a, const void *b)
{
    const struct owned *x = a, *y = b;
    int c = strcmp(x->ks.key, y->ks.key);
    if (c)
        return c;
    return (x->slot > y->slot) - (x->slot < y->slot);
}

void gather_merge(struct keystate *dst, const struct keystate *src)
{
    if (src->data_count) {
        if (!dst->data_count || src->min < dst->min)
            dst->min = src->min;
        if (!dst->data_count || src->max > dst->max)
            dst->max = src->max;
    }
    if (src->last_seq > dst->last_seq) {
        dst->state = src->state;
        dst->last_seq = src->last_seq;
        if (src->data_count)
            dst->last = src->last;
    }
    if (!dst->data_count && src->data_count)
        dst->last = src->last;
    dst->messages += src->messages;
    dst->data_count += src->data_count;
    dst->invalid += src->invalid;
    dst->sum += src->sum;
    dst->feature_sum += src->feature_sum;
}

int gather_finish(struct gather *g, size_t *keys, size_t *split)
{
    qsort(g->rows, g->n, sizeof *g->rows, owned_cmp);
    free(g->merged);
    free(g->order);
    g->merged = malloc((g->n ? g->n : 1) * sizeof *g->merged);
    g->order = malloc((g->n ? g->n : 1) * sizeof *g->order);
    if (!g->merged || !g->order)
        return -1;
    size_t k = 0, nsplit = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (k > 0 && strcmp(g->merged[k - 1].key, g->rows[i].ks.key) == 0) {
            if (i < 2 || strcmp(g->rows[i - 2].ks.key, g->rows[i].ks.key) != 0)
                nsplit++;       /* counted once, at the key's second row */
            gather_merge(&g->merged[k - 1], &g->rows[i].ks);
            continue;
        }
        g->merged[k] = g->rows[i].ks;
        g->order[k] = &g->merged[k];
        k++;
    }
    g->keys = k;
    *keys = k;
    *split = nsplit;
    return 0;
}

static FILE *open_out(const char *path, char *err, size_t errlen)
{
    if (strcmp(path, "-") == 0)
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *path, int rc, char *err, size_t errlen)
{
    if (rc == 0 && fflush(f) != 0)
        rc = -1;
    if (rc < 0)
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
    if (f != stdout && fclose(f) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        rc = -1;
    }
    return rc;
}

int gather_write_dump(const struct gather *g, const char *path, char *err, size_t errlen)
{
    FILE *f = open_out(path, err, errlen);
    if (!f)
        return -1;
    int rc = dump_write_rows(f, g->order, g->keys);
    return close_out(f, path, rc, err, errlen);
}

int gather_write_owners(const struct gather *g, const char *path, char *err, size_t errlen)
{
    FILE *f = open_out(path, err, errlen);
    if (!f)
        return -1;
    int rc = fputs("key,worker,pid\n", f) < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < g->n; i++)
        if (fprintf(f, "%s,%u,%ld\n", g->rows[i].ks.key, g->rows[i].slot, (long)g->rows[i].pid) < 0)
            rc = -1;
    return close_out(f, path, rc, err, errlen);
}

void gather_free(struct gather *g)
{
    if (!g)
        return;
    free(g->rows);
    free(g->merged);
    free(g->order);
    free(g);
}
