/* applier.c: the worker's loop and its recovery (applier.h). A worker makes no
 * system call per message: it spins, then sleeps on the ring's futex only when
 * the ring is empty. */
#include "applier.h"

#include <string.h>
#include <unistd.h>

#include "timing.h"

#define WAIT_MS 100             /* sleep on an empty ring at most this long before checking the parent */

static volatile uint64_t sink;  /* where --work's result goes, so it is not optimised away */

int applier_recover(const struct applier *a)
{
    const struct board *b = a->board;
    struct lane *ln = b->lane[a->index];
    struct recring *ring = b->ring[a->index];
    int redone = 0;
    struct rowdata d, cur;
    /* An odd redo copy was never finished: its row was not touched yet. */
    if (statetab_read(&ln->redo, &d, 1) == 0 && d.applied > 0) {
        uint32_t idx = atomic_load_explicit(&ln->redo_idx, memory_order_relaxed);
        struct row *row = idx < b->nrows ? &b->rows[idx] : NULL;
        if (row) {
            statetab_peek(row, &cur);
            /* redo_idx is stored before the copy is written: a kill in between
             * leaves the previous copy, which names another key or is behind. */
            if (strcmp(cur.ks.key, d.ks.key) == 0 &&
                (statetab_busy(row) || cur.applied < d.applied)) {
                statetab_write(row, &d);
                redone = 1;
            }
        }
    }
    uint64_t tail = atomic_load_explicit(board_tail(b, a->index), memory_order_acquire);
    if (tail > 0 && recring_holds(ring, tail - 1))
        recring_release(ring, tail - 1);
    atomic_fetch_add_explicit(&ln->redone, (uint64_t)redone, memory_order_relaxed);
    return redone;
}

/* Steps 1-3 of applier.h for one record. */
static void apply(const struct applier *a, struct lane *ln, const struct rec *rec, int timed)
{
    struct row *row = &a->board->rows[rec->idx];
    struct rowdata d;
    uint64_t t0 = timed ? now_ns() : 0;
    statetab_peek(row, &d);     /* our own row: no one else writes it */
    if (d.applied > rec->seq) {
        atomic_fetch_add_explicit(&ln->skipped, 1, memory_order_relaxed);
        return;
    }
    struct msg m = { .op = (enum op)rec->op, .value = rec->value, .seq = rec->seq };
    if (m.op == OP_DATA && a->work)
        sink ^= work_burn(a->work, rec->seq);
    fsm_apply_msg(&d.ks, &m);
    d.applied = rec->seq + 1;
    atomic_store_explicit(&ln->redo_idx, rec->idx, memory_order_relaxed);
    statetab_write(&ln->redo, &d);
    statetab_write(row, &d);
    if (timed) {
        atomic_fetch_add_explicit(&ln->apply_ns, now_ns() - t0, memory_order_relaxed);
        atomic_fetch_add_explicit(&ln->apply_samples, 1, memory_order_relaxed);
    }
}

int applier_run(const struct applier *a)
{
    const struct board *b = a->board;
    struct recring *ring = b->ring[a->index];
    struct lane *ln = b->lane[a->index];
    _Atomic uint64_t *tail = board_tail(b, a->index);
    applier_recover(a);
    uint64_t pos = atomic_load_explicit(tail, memory_order_relaxed);
    for (;;) {
        const struct rec *rec = recring_wait(ring, pos, WAIT_MS);
        if (!rec) {
            if (getppid() != a->parent)
                return 1;
            continue;
        }
        int stop = rec->idx == REC_STOP;
        if (!stop)
            apply(a, ln, rec, pos % APPLY_SAMPLE == 0);
        atomic_store_explicit(tail, pos + 1, memory_order_release);  /* step 4 */
        recring_release(ring, pos);
        pos++;
        if (stop)
            return 0;
    }
}
