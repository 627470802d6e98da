/* durable.h: a run that survives its supervisor's death (--state-dir DIR,
 * --resume). Every --snapshot-ms the supervisor writes a snapshot (snapshot.h:
 * each slot's committed checkpoint and replay log, and the input position they
 * add up to) atomically into DIR (statedir.h). After a SIGKILL of the
 * supervisor (its workers follow it: PR_SET_PDEATHSIG), `--resume` with the
 * same DIR, input and flags starts from the newest good snapshot: each slot's
 * new worker gets the checkpoint and the log is replayed to it, and the input
 * is read on from the position, so every message is applied exactly once and
 * the dump equals bin/reference's however often the supervisor was killed.
 * A snapshot made for another input or other flags is refused; a torn or
 * corrupt one is reported and the previous one used. */
#ifndef P3_DURABLE_H
#define P3_DURABLE_H

#include <stddef.h>
#include <uv.h>

#define DURABLE_SNAPSHOT_MS 1000    /* default --snapshot-ms */

struct sup;

/* Before the first worker is forked: with --state-dir, make the fingerprint
 * and the directory; with --resume, load the newest good snapshot into the
 * slots and skip the input messages it covers. Returns 0, or -1 with s->why
 * set (s->refused for a snapshot of another run: exit 2). */
int durable_start(struct sup *s);

/* The --snapshot-ms timer's callback (h->data is the struct sup). */
void durable_timer(uv_timer_t *h);

/* The summary's line about snapshots and the resume, into out. */
void durable_describe(const struct sup *s, char *out, size_t len);

#endif
