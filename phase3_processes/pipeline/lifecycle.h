/* lifecycle.h: a worker slot's life as the supervisor sees it: forking a worker
 * into the slot (a respawn starts from the slot's checkpoint and is sent its
 * replay log first), the frames its two channels bring up (acks, checkpoints,
 * the final report and rows, query answers, pongs), asking it for checkpoints,
 * and its death: reap, account, respawn into the same slot. The design of the
 * recovery these implement is at the top of recovery.c. It reports up only
 * through struct sup's fields and its on_room hook (sup_state.h). */
#ifndef P3_LIFECYCLE_H
#define P3_LIFECYCLE_H

#include <uv.h>

#include "pool.h"
#include "supervisor.h"

/* Fork a worker into sl and watch its channels; with --recovery on it starts
 * from sl's checkpoint and its replay log is queued before anything else, and
 * while draining the pill follows. Returns 0, or -1 with s->why set. */
int lifecycle_spawn(struct sup *s, struct worker_slot *sl);

/* Collect every worker that has ended (waitpid WNOHANG on each slot's pid):
 * each reaped slot is accounted and, where the run still needs it, respawned.
 * A death that should stop the run sets s->stop_want; the caller then stops
 * it and checks whether the drain is over. */
void lifecycle_reap(struct sup *s);

/* sl's replay log can take another message (always, with --recovery off). */
int lifecycle_replay_room(const struct sup *s, const struct worker_slot *sl);

/* Ask sl's worker for a checkpoint, unless one is outstanding or it is not
 * running. */
void lifecycle_ckpt_ask(struct sup *s, struct worker_slot *sl);

/* The --checkpoint-ms timer's callback (h->data is the struct sup). */
void lifecycle_ckpt_timer(uv_timer_t *h);

#endif
