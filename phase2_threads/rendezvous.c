/* rendezvous.c: the test-only two-thread rendezvous inside the work (rendezvous.h). */
#include "rendezvous.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "fsm.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static long wait_ms;
static int armed, arrived, met, done;

static void at_work(void)
{
    pthread_mutex_lock(&mu);
    if (!armed) {
        pthread_mutex_unlock(&mu);
        return;
    }
    if (++arrived >= 2) {
        met = 1;
        armed = 0;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
        return;
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    int rc = 0;
    while (!met && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&cv, &mu, &until);
    armed = 0;
    done = 1;
    pthread_mutex_unlock(&mu);
}

int rendezvous_arm_from_env(const char *prog)
{
    const char *v = getenv("KIT_PHASE2_RENDEZVOUS_MS");
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long ms = strtol(v, &end, 10);
    if (errno || *end || ms < 1 || ms > 3600000) {
        fprintf(stderr, "%s: KIT_PHASE2_RENDEZVOUS_MS='%s' is not a number of ms in 1..3600000\n", prog, v);
        return -1;
    }
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&cv, &a);
    pthread_condattr_destroy(&a);
    wait_ms = ms;
    armed = 1;
    work_burn_hook = at_work;
    return 0;
}

void rendezvous_report(FILE *f, const char *prog)
{
    if (!work_burn_hook)
        return;
    pthread_mutex_lock(&mu);
    if (met)
        fprintf(f, "%s: rendezvous: met: two threads were inside the CPU work at the same time\n", prog);
    else if (done)
        fprintf(f, "%s: rendezvous: not met: no second thread entered the CPU work within %ld ms "
                "of the first\n", prog, wait_ms);
    else
        fprintf(f, "%s: rendezvous: not met: fewer than one message had CPU work (use --work)\n", prog);
    pthread_mutex_unlock(&mu);
}
