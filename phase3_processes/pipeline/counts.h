/* counts.h: the run's figures as the supervisor's table holds them, for
 * STATS, the summary, the CSV row and the exit status (read-only; counts.c
 * reads struct sup, which only the supervisor's files see). */
#ifndef P3_COUNTS_H
#define P3_COUNTS_H

#include <stdint.h>

struct sup;

int sup_failed(const struct sup *s);           /* a runtime failure happened */
int sup_refused(const struct sup *s);          /* ... a snapshot of another run (--resume): exit 2 */
const char *sup_why(const struct sup *s);  /* its one-line reason ("" if none) */
double sup_seconds(const struct sup *s);  /* first message read .. last worker reaped */

uint64_t sup_messages_in(const struct sup *s);  /* messages taken from the input */
uint64_t sup_rejected(const struct sup *s);  /* malformed input lines so far */
uint64_t sup_processed(const struct sup *s);  /* messages acked by workers, all incarnations */
uint64_t sup_lost(const struct sup *s);  /* messages whose effect is not in the final state */
unsigned sup_alive(const struct sup *s);  /* workers alive now */

#endif
