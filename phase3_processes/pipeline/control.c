/* control.c: phase 3's answers on the control socket (SPEC §5): STATS from the
 * supervisor's own counters, SHUTDOWN by starting the drain, GET by asking the
 * worker that owns the key, through the pending-query table (query.h), so the
 * loop never waits for a worker. */
#include "control.h"
#include "sup_state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "channel.h"
#include "counts.h"
#include "gather.h"
#include "query.h"
#include "stream.h"
#include "timing.h"
#include "wire.h"


/* The slot's worker sent its whole final report and is gone (or leaving):
 * its rows in the gather are its final state. */
static int slot_finished(const struct worker_slot *sl)
{
    return sl->reported && sl->reported_pid > 0
        && (sl->state == SLOT_EXITED || !sl->query || sl->query->dead);
}

void control_on_cmd(struct ctl_query *q, const struct ctl_req *req, void *data)
{
    struct sup *s = data;
    char line[4096];            /* STATS with 256 pids fits */
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
    /* GET: ask the key's owner. route_peek names it without changing the
     * router (map must not pick an owner for a key only asked about); a key the
     * map never routed is on no worker. roundrobin gives no key an owner: ask
     * every worker and merge the pieces. A worker that has finished (drain:
     * report sent, maybe gone) answers from the rows it sent, not with an
     * error: its state is complete and final. */
    unsigned slots[WORKERS_MAX], n = 0, local[WORKERS_MAX], nlocal = 0;
    size_t klen = strlen(req->key);
    int w = route_peek(s->router, req->key, klen);
    if (w >= 0) {
        const struct worker_slot *sl = &s->slots[w];
        if (slot_finished(sl)) {
            local[nlocal++] = (unsigned)w;
        } else if (!sl->query || sl->query->dead) {
            if (sl->state == SLOT_DEAD && s->phase != SUP_RUN)
                snprintf(line, sizeof line, "ERR worker %d died; its keys' state is lost", w);
            else
                snprintf(line, sizeof line, "ERR worker %d is restarting", w);
            ctl_answer(q, line);
            return;
        }
        slots[n++] = (unsigned)w;
    } else if (errno == ENOENT) {
        ctl_answer(q, "ERR unknown key");
        return;
    } else {
        for (unsigned i = 0; i < s->o->workers; i++) {
            if (slot_finished(&s->slots[i])) {
                local[nlocal++] = i;
                slots[n++] = i;
            } else if (s->slots[i].query && !s->slots[i].query->dead) {
                slots[n++] = i;
            }
        }
        if (n == 0) {
            ctl_answer(q, "ERR no worker alive");
            return;
        }
    }
    uint64_t now = now_ns();
    uint64_t id = querytab_add(s->qt, q, req->key, slots, n, now);
    if (!id)
        return;
    struct wire_get g = { .id = id };
    memcpy(g.key, req->key, klen + 1);
    for (unsigned i = 0, k = 0; i < n; i++) {
        if (k < nlocal && local[k] == slots[i]) {
            k++;
            continue;           /* answered below */
        }
        struct channel *c = s->slots[slots[i]].query;
        if (wire_put(c, WIRE_GET, &g, sizeof g) == 0)
            channel_flush(c);
    }
    for (unsigned k = 0; k < nlocal; k++)
        querytab_answer_from(s->qt, id, local[k], s->gather, s->slots[local[k]].reported_pid, now);
}

void control_stats(struct sup *s, char *out, size_t len)
{
    const char *phase = s->phase == SUP_RUN ? "running" : s->phase == SUP_DRAIN ? "draining" : "done";
    uint64_t inflight = 0, keys = 0, log_max = 0, log_total = 0;
    size_t log_bytes = 0;
    for (unsigned i = 0; i < s->o->workers; i++) {
        const struct worker_slot *sl = &s->slots[i];
        inflight += sl->inc_msgs - sl->ack.msgs;
        keys += sl->ack.keys;
        /* replay_buffered: the fullest worker's log (at most --replay-max). */
        if (sl->rec.log_n > log_max)
            log_max = sl->rec.log_n;
        log_total += sl->rec.log_n;
        log_bytes += recovery_log_bytes(&sl->rec);
    }
    int n = snprintf(out, len,
                     "messages_in=%" PRIu64 " routed=%" PRIu64 " processed=%" PRIu64 " rejected=%" PRIu64
                     " queries=%lu workers=%u workers_alive=%u restarts=%" PRIu64 " stalls=%" PRIu64
                     " in_flight=%" PRIu64 " lost=%" PRIu64 " keys=%" PRIu64 " phase=%s uptime_s=%.3f"
                     " recovery=%s checkpoints=%" PRIu64 " replayed=%" PRIu64 " replay_buffered=%" PRIu64
                     " replay_total=%" PRIu64 " replay_bytes=%zu replay_stalls=%" PRIu64 " hangs=%" PRIu64 " pids=",
                     sup_messages_in(s), s->routed, sup_processed(s), sup_rejected(s),
                     s->ctl ? ctlsrv_queries(s->ctl) : (unsigned long)s->queries, s->o->workers,
                     sup_alive(s), s->restarts, s->stalls, inflight, sup_lost(s), keys, phase,
                     (double)(now_ns() - s->t_start) / 1e9, s->o->recovery ? "on" : "off",
                     s->checkpoints, s->replayed, log_max, log_total, log_bytes, s->replay_stalls, s->hangs);
    for (unsigned i = 0; i < s->o->workers && n > 0 && (size_t)n < len; i++)
        n += snprintf(out + n, len - (size_t)n, "%s%ld", i ? "," : "", (long)s->slots[i].pid);
}
