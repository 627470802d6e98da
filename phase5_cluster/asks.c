/* asks.c: a small table (at most ASKS_MAX entries), scanned linearly. */
#include "asks.h"
#include "timing.h"

void asks_init(struct asks *as)
{
    as->n = 0;
    as->next_id = 1;
    as->timeouts = 0;
    hist_init(&as->lat_ns);
}

uint64_t asks_add(struct asks *as, struct ctl_query *q, int worker, uint64_t t0_ns)
{
    if (as->n == ASKS_MAX)
        return 0;
    as->a[as->n] = (struct ask){ as->next_id, q, worker, t0_ns };
    as->n++;
    return as->next_id++;
}

static void finish(struct asks *as, unsigned i, const char *text)
{
    ctl_answer(as->a[i].q, text);
    as->a[i] = as->a[--as->n];
}

int asks_answer(struct asks *as, uint64_t id, const char *text)
{
    for (unsigned i = 0; i < as->n; i++) {
        if (as->a[i].id == id) {
            asks_note(as, as->a[i].t0_ns);
            finish(as, i, text);
            return 0;
        }
    }
    return -1;
}

void asks_note(struct asks *as, uint64_t t0_ns)
{
    hist_add(&as->lat_ns, now_ns() - t0_ns);
}

void asks_expire(struct asks *as, uint64_t now, uint64_t timeout_ns)
{
    for (unsigned i = 0; i < as->n;) {
        if (now - as->a[i].t0_ns >= timeout_ns) {
            as->timeouts++;
            finish(as, i, "ERR timeout");
        } else {
            i++;
        }
    }
}

unsigned asks_pending(const struct asks *as, int worker)
{
    unsigned k = 0;
    for (unsigned i = 0; i < as->n; i++)
        k += worker < 0 || as->a[i].worker == worker;
    return k;
}
