/* rendezvous.h: a test-only hook that proves, without timing anything, that two
 * threads can be inside the CPU work at the same time (tests/test_phase2.c,
 * "sharded"; worksheets/INSTRUCTOR.md, exercise phase2-lock-sharded).
 *
 * With KIT_PHASE2_RENDEZVOUS_MS=T in the environment, the first thread to start
 * a message's CPU work (work_burn) waits there, up to T ms, for a second thread
 * to start one too. Under --lock sharded the work runs outside any lock, so the
 * second thread arrives and both go on; under --lock global the first waits
 * holding the one lock, so no second thread can arrive and the wait times out.
 * One shot: once met or timed out, the hook does nothing more. At exit bin/phase2
 * prints one line on stderr: "phase2: rendezvous: met ..." or "... not met ...".
 * Without the variable nothing changes. */
#ifndef RENDEZVOUS_H
#define RENDEZVOUS_H

#include <stdio.h>

/* Arm the hook from the environment; returns -1 with a message for a bad value. */
int rendezvous_arm_from_env(const char *prog);
/* The line above, if the hook was armed. */
void rendezvous_report(FILE *f, const char *prog);

#endif
