/* fsm.c: the per-key state machine of SPEC §2, and the --work kernel. */
#include "fsm.h"

#include <math.h>
#include <string.h>

static const char *const state_names[] = {
    [ST_IDLE] = "IDLE", [ST_RUNNING] = "RUNNING", [ST_PAUSED] = "PAUSED", [ST_STOPPED] = "STOPPED",
};
#define STATE_COUNT (sizeof state_names / sizeof state_names[0])

const char *state_name(enum state s)
{
    return (unsigned)s < STATE_COUNT ? state_names[s] : "?";
}

int state_parse(const char *s, size_t n, enum state *out)
{
    for (size_t i = 0; i < STATE_COUNT; i++) {
        if (strlen(state_names[i]) == n && memcmp(state_names[i], s, n) == 0) {
            *out = (enum state)i;
            return 0;
        }
    }
    return -1;
}

void fsm_init(struct keystate *ks, const char *key, size_t len)
{
    memset(ks, 0, sizeof *ks);
    if (len > KEY_MAX)
        len = KEY_MAX;
    memcpy(ks->key, key, len);
    ks->state = ST_IDLE;
}

double fsm_feature(double v)
{
    double n = (v - 20.0) / 60.0;
    return sqrt(fabs(n)) * log(fabs(v) + 1.0);
}

/* The transition table of SPEC §2, as a switch: the valid pairs are listed,
 * everything else falls through to "invalid". */
static bool transition(enum state from, enum op op, enum state *to)
{
    switch (op) {
    case OP_START:
        *to = ST_RUNNING;
        return from == ST_IDLE || from == ST_STOPPED;
    case OP_DATA:
        *to = ST_RUNNING;
        return from == ST_RUNNING;
    case OP_PAUSE:
        *to = ST_PAUSED;
        return from == ST_RUNNING;
    case OP_RESUME:
        *to = ST_RUNNING;
        return from == ST_PAUSED;
    case OP_STOP:
        *to = ST_STOPPED;
        return from == ST_RUNNING || from == ST_PAUSED;
    default:
        return false;
    }
}

bool fsm_apply(struct keystate *ks, enum op op, double value)
{
    enum state to;
    ks->messages++;
    if (!transition(ks->state, op, &to)) {
        ks->invalid++;
        return false;
    }
    ks->state = to;
    if (op == OP_DATA) {
        if (ks->data_count == 0) {
            ks->min = ks->max = value;
        } else {
            if (value < ks->min)
                ks->min = value;
            if (value > ks->max)
                ks->max = value;
        }
        ks->data_count++;
        ks->sum += value;       /* in arrival order: a reordered stream sums differently */
        ks->last = value;
        ks->feature_sum += fsm_feature(value);
    }
    return true;
}

bool fsm_apply_msg(struct keystate *ks, const struct msg *m)
{
    ks->last_seq = m->seq;
    return fsm_apply(ks, m->op, m->value);
}

/* One round is a multiply and two xor-shifts (the murmur3 finaliser) on a
 * value that feeds the next round: a serial dependency chain, so neither the
 * compiler nor the CPU can overlap or skip rounds, and the cost per unit is
 * fixed by the multiplier's latency. */
void (*work_burn_hook)(void);

uint64_t work_burn(uint32_t units, uint64_t salt)
{
    if (work_burn_hook)
        work_burn_hook();
    uint64_t x = salt ^ 0x9e3779b97f4a7c15ULL;
    uint64_t rounds = (uint64_t)units * WORK_ROUNDS;
    for (uint64_t i = 0; i < rounds; i++) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 29;
        x += i;
    }
    return x;
}
