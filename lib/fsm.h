/* fsm.h: the per-key state machine (SPEC §2) and the --work CPU kernel. */
#ifndef KIT_FSM_H
#define KIT_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define WORK_ROUNDS 256         /* integer-mix rounds in one --work unit */

enum state { ST_IDLE, ST_RUNNING, ST_PAUSED, ST_STOPPED };

/* One key's machine. Plain data: copyable, and safe to send between processes. */
struct keystate {
    char key[KEY_MAX + 1];      /* NUL-terminated */
    enum state state;
    uint64_t messages;          /* every message for the key, valid or not */
    uint64_t data_count;        /* applied DATA messages */
    uint64_t invalid;           /* invalid transitions */
    double sum, min, max, last; /* over applied DATA values; min/max/last unset while data_count == 0 */
    double feature_sum;         /* sum of fsm_feature(v) over applied DATA values */
    uint64_t last_seq;          /* seq of the last message applied by fsm_apply_msg (not in the dump) */
};

/* The state's upper-case name ("RUNNING"). */
const char *state_name(enum state s);

/* Parse a state name. Returns 0, or -1 if unknown. */
int state_parse(const char *s, size_t n, enum state *out);

/* A fresh machine for key[0..len), in IDLE with every counter 0. */
void fsm_init(struct keystate *ks, const char *key, size_t len);

/* Apply one op. Returns true if the transition was valid, false if it was
 * counted as invalid (the state is then unchanged). Always adds 1 to messages. */
bool fsm_apply(struct keystate *ks, enum op op, double value);

/* fsm_apply(ks, m->op, m->value), and ks->last_seq = m->seq. What every pipeline calls. */
bool fsm_apply_msg(struct keystate *ks, const struct msg *m);

/* The lecture's record feature: sqrt(|(v-20)/60|) * log(|v| + 1). */
double fsm_feature(double v);

/* Burn `units` units of deterministic CPU work and return a value that depends
 * on all of it (so the compiler cannot drop it). One unit is 256 rounds of an
 * integer mix: 0.56 µs measured by bin/workcal (median of 5 runs of 200000
 * units) on a 2-core AMD EPYC VM, Linux 6.18; run bin/workcal for your machine.
 * The result never touches the state. */
uint64_t work_burn(uint32_t units, uint64_t salt);

/* Test-only: when set, work_burn calls it first (phase2_threads/rendezvous.h). */
extern void (*work_burn_hook)(void);

#endif
