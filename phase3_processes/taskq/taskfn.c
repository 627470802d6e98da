/* taskfn.c: the handler table (fn_id -> function) and the task generator. */
#include "taskfn.h"

#include <string.h>

#include "fsm.h"
#include "primes.h"

static uint64_t fn_empty(const struct task *t, const uint8_t *b)
{
    (void)b;
    return t->id;
}

static uint64_t fn_sumsq(const struct task *t, const uint8_t *b)
{
    (void)b;
    uint64_t s = 0;
    for (unsigned i = 0; i < t->argc && i < TASK_ARGS_MAX; i++)
        s += (uint64_t)t->args[i] * (uint64_t)t->args[i];
    return s;
}

static uint64_t fn_checksum(const struct task *t, const uint8_t *b)
{
    uint64_t h = 1469598103934665603ull;        /* FNV-1a 64 */
    for (uint32_t i = 0; b && i < t->nbytes; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* The same test as the is_prime assignment's (primes.c), one definition. */
static uint64_t fn_prime(const struct task *t, const uint8_t *b)
{
    (void)b;
    return (uint64_t)is_prime(t->args[0]);
}

static uint64_t fn_spin(const struct task *t, const uint8_t *b)
{
    (void)b;
    return work_burn((uint32_t)t->args[0], t->id);
}

static const struct {
    const char *name;
    uint64_t (*run)(const struct task *, const uint8_t *);
} handlers[TASKFN_COUNT] = {
    [TASKFN_EMPTY] = { "empty", fn_empty },
    [TASKFN_SUMSQ] = { "sumsq", fn_sumsq },
    [TASKFN_CHECKSUM] = { "checksum", fn_checksum },
    [TASKFN_PRIME] = { "prime", fn_prime },
    [TASKFN_SPIN] = { "spin", fn_spin },
};

int taskfn_parse(const char *name, uint16_t *out)
{
    for (uint16_t i = 0; i < TASKFN_COUNT; i++)
        if (strcmp(name, handlers[i].name) == 0) {
            *out = i;
            return 0;
        }
    return -1;
}

const char *taskfn_name(uint16_t fn)
{
    return fn < TASKFN_COUNT ? handlers[fn].name : "?";
}

const char *taskfn_help(void)
{
    return "empty (0: returns the id), sumsq (1: sum of squares of the args), "
           "checksum (2: FNV-1a of the task's bytes), prime (3: is args[0] prime), "
           "spin (4: args[0] units of work_burn)";
}

void taskspec_default(struct taskspec *s, uint16_t fn)
{
    memset(s, 0, sizeof *s);
    s->fn = fn;
    switch (fn) {
    case TASKFN_SUMSQ:
        s->argc = 3, s->args[0] = 1, s->args[1] = 2, s->args[2] = 3;
        break;
    case TASKFN_CHECKSUM:
        s->nbytes = 48;
        break;
    case TASKFN_PRIME:
        s->argc = 1, s->args[0] = 1000000;
        break;
    case TASKFN_SPIN:
        s->argc = 1, s->args[0] = 4;
        break;
    default:
        break;
    }
}

void taskspec_make(const struct taskspec *s, uint64_t id, struct task *t)
{
    memset(t, 0, sizeof *t);
    t->id = id;
    t->fn = s->fn;
    t->argc = s->argc;
    memcpy(t->args, s->args, sizeof t->args);
    if (s->fn == TASKFN_SUMSQ || s->fn == TASKFN_PRIME)
        t->args[0] += (int64_t)id;
    t->nbytes = s->nbytes;
}

void taskspec_bytes(uint64_t id, uint8_t *buf, uint32_t n)
{
    uint64_t x = id * 0x9E3779B97F4A7C15ull + 1;
    for (uint32_t i = 0; i < n; i++) {
        x ^= x >> 29, x *= 0xBF58476D1CE4E5B9ull, x ^= x >> 32;
        buf[i] = (uint8_t)x;
    }
}

uint64_t taskfn_run(const struct task *t, const uint8_t *bytes)
{
    if (t->fn >= TASKFN_COUNT)
        return UINT64_MAX;
    return handlers[t->fn].run(t, bytes);
}
