/* heartbeat.h: the loop-lag meter. A timer asks to fire every period_ms; each
 * time it fires, how late it is (actual fire time minus the time libuv was asked
 * to fire it) goes into a histogram. An idle loop is late by microseconds; a loop
 * stuck in CPU work is late by as long as the work runs, because a timer callback
 * can only run between other callbacks: the loop cannot interrupt CPU work. */
#ifndef P1_HEARTBEAT_H
#define P1_HEARTBEAT_H

#include <stdint.h>
#include <uv.h>

#include "hist.h"

struct heartbeat {
    uv_timer_t timer;           /* timer.data = the heartbeat */
    uint64_t period_ms;
    uint64_t due_ns;            /* uv_hrtime() when the next beat should fire */
    struct hist lag;            /* ns late, one sample per beat */
};

/* Start beating on loop every period_ms (>= 1). Returns 0 or a libuv error. */
int heartbeat_start(struct heartbeat *hb, uv_loop_t *loop, uint64_t period_ms);

/* Stop and close the timer (the histogram stays readable). */
void heartbeat_stop(struct heartbeat *hb);

#endif
