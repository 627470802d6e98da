/* test_phase2_sharded.c: phase 2's sharded-lock lesson, graded without a clock.
 * bin/phase2's test-only rendezvous (phase2_threads/rendezvous.h, armed by
 * KIT_PHASE2_RENDEZVOUS_MS) makes the first thread that starts a message's CPU
 * work wait there for a second one: under --lock sharded the work runs outside
 * any lock and two threads meet inside it; under --lock global the first one
 * holds the one lock while it waits, so none can come. Both runs must still end
 * with bin/reference's dump. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"

#define T 60                    /* seconds any one run may take */

/* The rendezvous hook (phase2_threads/rendezvous.h): with
 * KIT_PHASE2_RENDEZVOUS_MS set, the first thread to start a message's CPU work
 * waits there for a second thread to start one. Run `lock` with 2 threads on a
 * stream of many keys (both threads have work from the start); returns the run
 * with its dump on stdout. No duration is asserted: the wait is only a bound. */
static void run_rendezvous(struct kit_run *r, const char *lock, const char *wait_ms)
{
    ck_assert_int_eq(setenv("KIT_PHASE2_RENDEZVOUS_MS", wait_ms, 1), 0);
    ck_assert_int_eq(kit_run(r, NULL, T, kit_bin("phase2"), "--messages", "2000", "--keys", "200",
                             "--seed", "5", "--work", "50", "--threads", "2", "--lock", lock,
                             "--dump-state", "-", "--quiet", NULL), 0);
    unsetenv("KIT_PHASE2_RENDEZVOUS_MS");
    char *ref = kit_run_ok(0, T, (char *const[]){ (char *)kit_bin("reference"), "--messages", "2000",
                       "--keys", "200", "--seed", "5", "--dump-state", "-", "--quiet", NULL });
    char what[96];
    snprintf(what, sizeof what, "phase2 --lock %s --threads 2 (rendezvous armed)", lock);
    ck_assert_msg(r->status == 0, "%s: exit %d: %s", what, r->status, r->err);
    kit_assert_same_dump(ref, r->out, what);
    free(ref);
}

/* --lock sharded: the work runs outside any lock, so two threads are inside it
 * at once; the hook sees them meet (it waits up to 60 s x the time scale for
 * the second, a bound that only a hang reaches). */
START_TEST(test_sharded_threads_meet)
{
    int fds = kit_count_fds();
    char ms[32];
    snprintf(ms, sizeof ms, "%.0f", 60000 * kit_time_scale());
    struct kit_run r;
    run_rendezvous(&r, "sharded", ms);
    ck_assert_msg(strstr(r.err, "phase2: rendezvous: met:"), "--lock sharded: expected two threads inside "
                  "the CPU work at once (work outside any lock), got:\n%s", r.err);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

/* --lock global: the work runs under the one lock, so the first thread waits
 * holding it and no second thread can enter: never met, however long the wait
 * (1 s keeps the test short; the outcome does not depend on it). */
START_TEST(test_global_threads_never_meet)
{
    int fds = kit_count_fds();
    struct kit_run r;
    run_rendezvous(&r, "global", "1000");
    ck_assert_msg(strstr(r.err, "phase2: rendezvous: not met: no second thread"), "--lock global: expected "
                  "the first thread alone inside the CPU work (it holds the one lock), got:\n%s", r.err);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

static Suite *phase2_sharded_suite(void)
{
    Suite *s = suite_create("phase2_sharded");
    TCase *tc = kit_tcase(s, "sharded", 120);
    tcase_add_test(tc, test_sharded_threads_meet);
    tcase_add_test(tc, test_global_threads_never_meet);
    return s;
}

KIT_TEST_MAIN(phase2_sharded_suite)
