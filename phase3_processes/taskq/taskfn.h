/* taskfn.h: the handlers of bin/taskq, registered by fn_id (MPOP's HANDLERS
 * table), and the deterministic tasks the benchmark feeds them. A handler is a
 * pure function of its task: its only effect is the result it returns, which the
 * worker then commits. That is what makes re-running an interrupted task safe. */
#ifndef KIT_TASKFN_H
#define KIT_TASKFN_H

#include <stddef.h>
#include <stdint.h>

#include "taskring.h"

enum taskfn_id {
    TASKFN_EMPTY,               /* returns the task id: measures the queue alone */
    TASKFN_SUMSQ,               /* sum of squares of the args */
    TASKFN_CHECKSUM,            /* FNV-1a over the byte argument (inline or arena) */
    TASKFN_PRIME,               /* 1 if args[0] is prime (trial division) */
    TASKFN_SPIN,                /* args[0] units of lib's work_burn (uniform cost) */
    TASKFN_COUNT
};

/* How every task of a run is made: task i gets these args, with i added to
 * args[0] for sumsq and prime (so every task differs), and nbytes bytes that
 * depend on i (taskspec_bytes). */
struct taskspec {
    uint16_t fn;
    uint8_t argc;
    int64_t args[TASK_ARGS_MAX];
    uint32_t nbytes;            /* byte argument length (checksum); 0 = none */
};

/* Parse a handler name ("empty", "sumsq", "checksum", "prime", "spin").
 * Returns 0, or -1 if unknown. */
int taskfn_parse(const char *name, uint16_t *out);
const char *taskfn_name(uint16_t fn);

/* A one-line list of the handlers for --help. */
const char *taskfn_help(void);

/* The default spec for a handler (args and bytes that make a sensible task). */
void taskspec_default(struct taskspec *s, uint16_t fn);

/* Fill t (id, fn, args, nbytes) for task id; the caller sets where/arena_off. */
void taskspec_make(const struct taskspec *s, uint64_t id, struct task *t);

/* The n deterministic bytes of task id's byte argument. */
void taskspec_bytes(uint64_t id, uint8_t *buf, uint32_t n);

/* Run task t's handler (bytes = its byte argument, or NULL). Returns the result;
 * an unknown fn returns UINT64_MAX. */
uint64_t taskfn_run(const struct task *t, const uint8_t *bytes);

#endif
