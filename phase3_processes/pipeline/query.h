/* query.h: GETs in flight between the control socket and the workers.
 *
 * The supervisor never waits for a worker: a GET becomes a pending entry with a
 * correlation id, a WIRE_GET frame goes to the worker (or to every worker when
 * the routing policy cannot say who owns the key without changing its mind:
 * map and roundrobin), and the answer is matched by id whenever it arrives. An
 * entry not answered within CTL_REPLY_TIMEOUT_MS is answered "ERR timeout";
 * a worker that dies owing an answer is crossed off. Latency, from the command's
 * arrival to its answer, goes into a histogram. */
#ifndef P3_QUERY_H
#define P3_QUERY_H

#include <stdint.h>
#include <sys/types.h>

#include "ctl.h"
#include "hist.h"
#include "param.h"
#include "wire.h"

struct querytab;
struct gather;

/* An empty table, or NULL on ENOMEM. recovery: dead workers are respawned
 * from a checkpoint (their keys survive), which the died-answer says. */
struct querytab *querytab_new(int recovery);

/* Record a GET for key awaiting answers from the `n` slots listed in slots.
 * Returns its correlation id (> 0), or 0 with ENOMEM (q is then answered). */
uint64_t querytab_add(struct querytab *t, struct ctl_query *q, const char *key,
                      const unsigned *slots, unsigned n, uint64_t now);

/* A worker's answer. Answers the client once every asked slot has answered.
 * Unknown ids (already timed out) are ignored. */
void querytab_answer(struct querytab *t, unsigned slot, const struct wire_answer *a, uint64_t now);

/* Answer slot's part of GET id from the rows its worker (process pid) sent
 * when it finished (gather.h), as the worker would have: for a GET whose
 * worker has already reported and left. Unknown ids are ignored. */
void querytab_answer_from(struct querytab *t, uint64_t id, unsigned slot, const struct gather *g,
                          pid_t pid, uint64_t now);

/* Slot's worker is gone: it owes nothing any more. g non-NULL: it finished
 * (its complete report, from process pid, is in g), so what it owed is
 * answered from its rows. g NULL: it died, and a GET that only it could
 * answer gets "ERR worker N died before answering; ...". */
void querytab_slot_gone(struct querytab *t, unsigned slot, const struct gather *g, pid_t pid, uint64_t now);

/* Answer "ERR timeout" to every entry older than CTL_REPLY_TIMEOUT_MS. */
void querytab_expire(struct querytab *t, uint64_t now);

/* Answer every entry with text (shutdown). */
void querytab_fail_all(struct querytab *t, const char *text, uint64_t now);

unsigned querytab_pending(const struct querytab *t);
uint64_t querytab_timeouts(const struct querytab *t);
const struct hist *querytab_hist(const struct querytab *t);   /* ns, answered GETs */

void querytab_free(struct querytab *t);

#endif
