/* heartbeat.c: loop lag measured with a re-armed one-shot timer.
 *
 * A repeating libuv timer reschedules itself from the time it actually ran, so
 * a late beat would hide in the next one's schedule; arming a one-shot timer each
 * time and remembering its target measures every beat against its own target.
 * The target is the real time of arming (uv_hrtime, ns) plus the period. libuv
 * keeps its loop clock in whole milliseconds, so a timer may be judged due up to
 * 1 ms before that target when the loop was busy (those beats count as 0 late):
 * read the lag to about a millisecond, which is the scale of the lesson anyway. */
#include "heartbeat.h"

static void beat(uv_timer_t *t);

/* Ask for the next beat and remember when it is due. */
static int arm(struct heartbeat *hb)
{
    hb->due_ns = uv_hrtime() + hb->period_ms * 1000000u;
    return uv_timer_start(&hb->timer, beat, hb->period_ms, 0);
}

static void beat(uv_timer_t *t)
{
    struct heartbeat *hb = t->data;
    uint64_t now = uv_hrtime();
    hist_add(&hb->lag, now > hb->due_ns ? now - hb->due_ns : 0);
    arm(hb);
}

int heartbeat_start(struct heartbeat *hb, uv_loop_t *loop, uint64_t period_ms)
{
    int rc = uv_timer_init(loop, &hb->timer);
    if (rc)
        return rc;
    hb->timer.data = hb;
    hb->period_ms = period_ms ? period_ms : 1;
    hist_init(&hb->lag);
    return arm(hb);
}

void heartbeat_stop(struct heartbeat *hb)
{
    uv_timer_stop(&hb->timer);
    uv_close((uv_handle_t *)&hb->timer, NULL);
}
