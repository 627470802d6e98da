/* counts.c: the run's figures, summed over the process table (see counts.h). */
#include "counts.h"

#include "inbox.h"
#include "stream.h"
#include "sup_state.h"

int sup_failed(const struct sup *s)
{
    return s->failed;
}

int sup_refused(const struct sup *s)
{
    return s->refused;
}

const char *sup_why(const struct sup *s)
{
    return s->why;
}

double sup_seconds(const struct sup *s)
{
    return s->t_end > s->t_start ? (double)(s->t_end - s->t_start) / 1e9 : 0.0;
}

uint64_t sup_processed(const struct sup *s)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < s->o->workers; i++)
        n += s->slots[i].done;
    return n;
}

uint64_t sup_lost(const struct sup *s)
{
    uint64_t n = s->lost_unsent;
    for (unsigned i = 0; i < s->o->workers; i++)
        n += s->slots[i].lost_inflight + s->slots[i].lost_applied;
    return n;
}

uint64_t sup_messages_in(const struct sup *s)
{
    /* Not stream_delivered with an inbox: the thread may have read ahead. */
    if (s->inbox)
        return inbox_taken(s->inbox);
    return s->o->cli->stream.input ? s->taken : stream_delivered(s->in);
}

uint64_t sup_rejected(const struct sup *s)
{
    return s->inbox ? inbox_rejected(s->inbox) : stream_rejected(s->in);   /* safe once it is closed */
}

unsigned sup_alive(const struct sup *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->o->workers; i++)
        n += s->slots[i].pid > 0;
    return n;
}
