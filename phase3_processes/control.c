/* control.c: phase 3's answers on the control socket (SPEC §5): STATS from the
 * supervisor's own counters, SHUTDOWN by starting the drain, GET by asking the
 * worker that owns the key, through the pending-query table (query.h), so the
 * loop never waits for a worker. */
#include "control.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "query.h"
#include "stream.h"
#include "timing.h"
#include "wire.h"


void control_on_cmd(struct ctl_query *q, const struct ctl_req *req, void *data)
{
    struct sup *s = data;
    char line[1024];
    switch (req->cmd) {
    case CTL_STATS:
        control_stats(s, line, sizeof line);
        ctl_answer(q, line);
        return;
    case CTL_SHUTDOWN:
        ctl_answer(q, "OK");
        sup_stop(s, "SHUTDOWN");
        return;
    case CTL_GET:
        break;
    default:
        snprintf(line, sizeof line, "ERR %s", req->why);
        ctl_answer(q, line);
        return;
    }
    /* GET. modulo and consistent are pure functions of the key: ask the owner.
     * map and roundrobin would remember a pick made for a query, so ask every
     * worker and merge (only roundrobin can find the key in several). */
    unsigned slots[WORKERS_MAX], n = 0;
    size_t klen = strlen(req->key);
    if (s->qrouter) {
        unsigned w = route_pick(s->qrouter, req->key, klen);
        if (!s->slots[w].query || s->slots[w].query->dead) {
            snprintf(line, sizeof line, "ERR worker %u is restarting", w);
            ctl_answer(q, line);
            return;
        }
        slots[n++] = w;
    } else {
        for (unsigned i = 0; i < s->o->workers; i++)
            if (s->slots[i].query && !s->slots[i].query->dead)
                slots[n++] = i;
        if (n == 0) {
            ctl_answer(q, "ERR no worker alive");
            return;
        }
    }
    uint64_t id = querytab_add(s->qt, q, req->key, slots, n, now_ns());
    if (!id)
        return;
    struct wire_get g = { .id = id };
    memcpy(g.key, req->key, klen + 1);
    for (unsigned i = 0; i < n; i++) {
        struct chan *c = s->slots[slots[i]].query;
        if (wire_put(c, WIRE_GET, &g, sizeof g) == 0)
            chan_flush(c);
    }
}

void control_stats(struct sup *s, char *out, size_t len)
{
    const char *phase = s->phase == SUP_RUN ? "running" : s->phase == SUP_DRAIN ? "draining" : "done";
    uint64_t inflight = 0, keys = 0;
    for (unsigned i = 0; i < s->o->workers; i++) {
        inflight += s->slots[i].inc_msgs - s->slots[i].ack.msgs;
        keys += s->slots[i].ack.keys;
    }
    int n = snprintf(out, len,
                     "messages_in=%" PRIu64 " routed=%" PRIu64 " processed=%" PRIu64 " rejected=%" PRIu64
                     " queries=%lu workers=%u workers_alive=%u restarts=%" PRIu64 " stalls=%" PRIu64
                     " in_flight=%" PRIu64 " lost=%" PRIu64 " keys=%" PRIu64 " phase=%s uptime_s=%.3f pids=",
                     stream_delivered(s->in), s->routed, sup_processed(s), stream_rejected(s->in),
                     s->ctl ? ctlsrv_queries(s->ctl) : (unsigned long)s->queries, s->o->workers,
                     sup_alive(s), s->restarts, s->stalls, inflight, sup_lost(s), keys, phase,
                     (double)(now_ns() - s->t_start) / 1e9);
    for (unsigned i = 0; i < s->o->workers && n > 0 && (size_t)n < len; i++)
        n += snprintf(out + n, len - (size_t)n, "%s%ld", i ? "," : "", (long)s->slots[i].pid);
}
