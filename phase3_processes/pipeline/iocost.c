/* iocost.c: a least-squares split of system-call time into copy and call
 * (iocost.h). The update and merge are Welford's and Chan's formulas for
 * means and co-moments. */
#include "iocost.h"

void iocost_add(struct iocost *c, size_t bytes, uint64_t ns)
{
    double x = (double)bytes, y = (double)ns;
    c->calls++;
    c->bytes += bytes;
    c->ns += ns;
    double dx = x - c->mean_b;
    c->mean_b += dx / (double)c->calls;
    c->mean_t += (y - c->mean_t) / (double)c->calls;
    c->m2_b += dx * (x - c->mean_b);
    c->c_bt += dx * (y - c->mean_t);
}

void iocost_merge(struct iocost *into, const struct iocost *from)
{
    if (!from->calls)
        return;
    if (!into->calls) {
        *into = *from;
        return;
    }
    double na = (double)into->calls, nb = (double)from->calls, n = na + nb;
    double dx = from->mean_b - into->mean_b, dy = from->mean_t - into->mean_t;
    into->m2_b += from->m2_b + dx * dx * na * nb / n;
    into->c_bt += from->c_bt + dx * dy * na * nb / n;
    into->mean_b += dx * nb / n;
    into->mean_t += dy * nb / n;
    into->calls += from->calls;
    into->bytes += from->bytes;
    into->ns += from->ns;
}

double iocost_copy_ns(const struct iocost *c)
{
    /* Calls must differ in size by more than rounding for a slope to exist. */
    if (c->calls < 2 || c->m2_b <= 1e-9 * (double)c->calls * (c->mean_b * c->mean_b + 1))
        return -1;
    double per_byte = c->c_bt / c->m2_b;
    double copy = per_byte * (double)c->bytes;
    if (per_byte < 0 || copy > (double)c->ns)
        return -1;
    return copy;
}
