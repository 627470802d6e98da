/* timing.c: the kit's clocks (see timing.h). CLOCK_MONOTONIC never jumps with
 * NTP or date changes, which is what an interval measurement needs; the CPU
 * clocks tell "busy" from "waiting" (wall time minus CPU time = time blocked). */
#include "timing.h"

#include <time.h>

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    /* These clocks cannot fail on Linux for the calling process or thread. */
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

uint64_t cpu_ns(void)
{
    return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

uint64_t thread_cpu_ns(void)
{
    return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}
