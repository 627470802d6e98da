/* watchdog.c: hung workers and the drain's deadline (see watchdog.h). */
#include "watchdog.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>

#include "sup_state.h"

/* The worker owes us a frame: messages not acked, a checkpoint asked for, or
 * (draining) its final report. A worker that owes nothing may be quiet. */
static int slot_owes(const struct worker_slot *sl)
{
    return sl->inc_msgs > sl->ack.msgs || sl->ckpt_asked || (sl->state == SLOT_DRAINING && !sl->reported);
}

static void hang_kill(struct sup *s, struct worker_slot *sl, uint64_t now)
{
    uint64_t at = now - s->t_start;
    fprintf(stderr, "phase3: worker %u (pid %ld) owes %" PRIu64 " acks%s and sent nothing for %u ms: "
            "killing it as hung (at %.3f s)\n", sl->id, (long)sl->pid, sl->inc_msgs - sl->ack.msgs,
            sl->ckpt_asked ? " and a checkpoint" : "", s->o->hang_ms, (double)at / 1e9);
    if (kill(sl->pid, SIGKILL) < 0)
        return;
    sl->hung_pid = sl->pid;
    sl->hangs++;
    if (s->hangs < WATCHDOG_HANG_LOG)
        s->hang_log[s->hangs] = (struct sup_hang){ .slot = sl->id, .pid = sl->pid, .at_ns = at };
    s->hangs++;
}

static void drain_deadline(struct sup *s, uint64_t now)
{
    uint64_t idle_ms = (now - s->last_progress) / 1000000u;
    if (!s->term_at && idle_ms >= s->o->grace_ms) {
        fprintf(stderr, "phase3: %u workers made no progress for %u ms while draining: SIGTERM\n",
                pool_signal(s->slots, s->o->workers, SIGTERM), s->o->grace_ms);
        s->term_at = now;
    } else if (s->term_at && now - s->term_at >= 1000000000u && now - s->last_progress >= 1000000000u) {
        fprintf(stderr, "phase3: %u workers survived SIGTERM for 1 s: SIGKILL\n",
                pool_signal(s->slots, s->o->workers, SIGKILL));
        s->term_at = now;       /* again a second later if one is still there */
    }
}

void watchdog_tick(struct sup *s, uint64_t now)
{
    if (s->phase == SUP_DONE)
        return;
    for (unsigned i = 0; s->o->hang_ms && i < s->o->workers; i++) {
        struct worker_slot *sl = &s->slots[i];
        if (sl->pid > 0 && sl->state != SLOT_DEAD && sl->hung_pid != sl->pid && slot_owes(sl)
            && now - sl->progress_at >= (uint64_t)s->o->hang_ms * 1000000u)
            hang_kill(s, sl, now);
    }
    if (s->phase == SUP_DRAIN && !s->killed)
        drain_deadline(s, now);
}
