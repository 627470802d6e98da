/* watchdog.h: the supervisor's clocks on its workers, read every tick.
 *
 *   hang   a worker that owes the supervisor something (acks for messages
 *          sent to it, a checkpoint it was asked for, its final report while
 *          draining) and sends nothing on its data channel for --hang-ms is
 *          hung (SIGSTOPped, stuck in a handler that never returns, ...): it
 *          is SIGKILLed, and that death is recovered like any other
 *          (lifecycle.c: respawn from the checkpoint, replay);
 *   drain  while the run drains, when no worker at all has made progress for
 *          --grace-ms: SIGTERM to every worker, SIGKILL a second later. With
 *          --recovery on those deaths are recovered too (the successor gets
 *          the replay and the pill); off, they are losses and the run exits 1.
 * Both only signal; the deaths are seen, as always, by the reaper. */
#ifndef P3_WATCHDOG_H
#define P3_WATCHDOG_H

#include <stdint.h>

#define WATCHDOG_HANG_MS 5000   /* default --hang-ms */
#define WATCHDOG_HANG_LOG 8     /* hang events kept for the summary (the rest only counted) */

struct sup;

/* One look at every worker at time now (ns): kill the hung ones, run the
 * drain's grace deadline. */
void watchdog_tick(struct sup *s, uint64_t now);

#endif
