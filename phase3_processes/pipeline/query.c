/* query.c: the pending-GET table (see query.h). A short linked list: GETs in
 * flight are few (at most CTL_CONN_MAX clients, one command each at a time). */
#include "query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "gather.h"

struct pending {
    struct pending *next;
    uint64_t id;
    struct ctl_query *q;
    uint64_t t0;                /* when the command arrived (ns) */
    char key[KEY_MAX + 1];
    uint64_t owe[(WORKERS_MAX + 63) / 64];  /* bit per slot still to answer */
    unsigned owing;
    unsigned asked;
    int found;
    int died;                   /* a slot died owing an answer */
    unsigned died_slot;
    struct keystate ks;         /* merged answers */
};

struct querytab {
    struct pending *head;
    uint64_t next_id;
    unsigned n;
    uint64_t timeouts;
    int recovery;               /* a dead worker's keys come back with its respawn */
    struct hist lat;
};

struct querytab *querytab_new(int recovery)
{
    struct querytab *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->recovery = recovery;
    t->next_id = 1;
    hist_init(&t->lat);
    return t;
}

static void pending_done(struct querytab *t, struct pending **link, const char *text, uint64_t now)
{
    struct pending *p = *link;
    *link = p->next;
    t->n--;
    ctl_answer(p->q, text);
    hist_add(&t->lat, now - p->t0);
    free(p);
}

static void pending_settle(struct querytab *t, struct pending **link, uint64_t now)
{
    struct pending *p = *link;
    if (p->owing > 0)
        return;
    char row[DUMP_ROW_MAX];
    if (p->found) {
        if (dump_row(&p->ks, row, sizeof row) < 0)
            snprintf(row, sizeof row, "ERR row too long");
    } else if (p->died && p->asked == 1) {
        snprintf(row, sizeof row, t->recovery ? "ERR worker %u died before answering; it is being restored, ask again"
                                              : "ERR worker %u died before answering; its keys' state is lost",
                 p->died_slot);
    } else {
        snprintf(row, sizeof row, "ERR unknown key");
    }
    pending_done(t, link, row, now);
}

uint64_t querytab_add(struct querytab *t, struct ctl_query *q, const char *key,
                      const unsigned *slots, unsigned n, uint64_t now)
{
    struct pending *p = calloc(1, sizeof *p);
    if (!p) {
        ctl_answer(q, "ERR out of memory");
        errno = ENOMEM;
        return 0;
    }
    p->id = t->next_id++;
    p->q = q;
    p->t0 = now;
    snprintf(p->key, sizeof p->key, "%s", key);
    for (unsigned i = 0; i < n; i++) {
        p->owe[slots[i] / 64] |= 1ull << (slots[i] % 64);
        p->owing++;
    }
    p->asked = n;
    p->next = t->head;
    t->head = p;
    t->n++;
    return p->id;
}

static struct pending **find(struct querytab *t, uint64_t id)
{
    /* EXERCISE(phase3-query-find): match an answer to its question: return the link
     * that points at the pending query with this id (walk the list from t->head), or NULL
     * if there is none (it timed out, or its client left). */
    /* STUB: (void)t; (void)id; */
    /* STUB: return NULL; */
    for (struct pending **l = &t->head; *l; l = &(*l)->next)
        if ((*l)->id == id)
            return l;
    return NULL;
    /* END EXERCISE */
}

/* Cross slot off p's list. Returns 1 if it was owed. */
static int cross_off(struct pending *p, unsigned slot)
{
    uint64_t bit = 1ull << (slot % 64);
    if (!(p->owe[slot / 64] & bit))
        return 0;
    p->owe[slot / 64] &= ~bit;
    p->owing--;
    return 1;
}

/* Fold one slot's answer into *l's entry (the slot crossed off already) and
 * answer the client if it was the last one owed. */
static void take_answer(struct querytab *t, struct pending **l, int found, const struct keystate *ks,
                        uint64_t now)
{
    struct pending *p = *l;
    if (found) {
        if (!p->found)
            p->ks = *ks;
        else
            gather_merge(&p->ks, ks);   /* roundrobin: the key lives in pieces */
        p->found = 1;
    }
    pending_settle(t, l, now);
}

void querytab_answer(struct querytab *t, unsigned slot, const struct wire_answer *a, uint64_t now)
{
    struct pending **l = find(t, a->id);
    if (!l || !cross_off(*l, slot))
        return;
    take_answer(t, l, a->found, &a->ks, now);
}

void querytab_answer_from(struct querytab *t, uint64_t id, unsigned slot, const struct gather *g,
                          pid_t pid, uint64_t now)
{
    struct pending **l = find(t, id);
    if (!l || !cross_off(*l, slot))
        return;
    struct keystate ks;
    int found = gather_find(g, (*l)->key, slot, pid, &ks);
    take_answer(t, l, found, &ks, now);
}

void querytab_slot_gone(struct querytab *t, unsigned slot, const struct gather *g, pid_t pid, uint64_t now)
{
    struct pending **l = &t->head;
    while (*l) {
        struct pending *p = *l;
        if (!cross_off(p, slot)) {
            l = &p->next;
            continue;
        }
        if (g) {
            /* It finished: its rows say what it would have answered. */
            struct keystate ks;
            int found = gather_find(g, p->key, slot, pid, &ks);
            uint64_t id = p->id;
            take_answer(t, l, found, &ks, now);
            if (*l && (*l)->id == id)
                l = &(*l)->next;        /* still owed by other slots */
            continue;
        }
        p->died = 1;
        p->died_slot = slot;
        if (p->owing == 0) {
            pending_settle(t, l, now);
            continue;
        }
        l = &p->next;
    }
}

void querytab_expire(struct querytab *t, uint64_t now)
{
    struct pending **l = &t->head;
    while (*l) {
        if (now - (*l)->t0 >= (uint64_t)CTL_REPLY_TIMEOUT_MS * 1000000u) {
            t->timeouts++;
            pending_done(t, l, "ERR timeout", now);
        } else {
            l = &(*l)->next;
        }
    }
}

void querytab_fail_all(struct querytab *t, const char *text, uint64_t now)
{
    while (t->head)
        pending_done(t, &t->head, text, now);
}

unsigned querytab_pending(const struct querytab *t)
{
    return t->n;
}

uint64_t querytab_timeouts(const struct querytab *t)
{
    return t->timeouts;
}

const struct hist *querytab_hist(const struct querytab *t)
{
    return &t->lat;
}

void querytab_free(struct querytab *t)
{
    free(t);
}
