/* report.h: the end of a phase-3 run in words and rows: the narrated summary
 * (stderr), the --csv row (stdout) and --workers-csv (one row per worker). */
#ifndef P3_REPORT_H
#define P3_REPORT_H

#include <stddef.h>

struct sup;

/* Write --dump-state and --key-owners from the gathered rows. 0, or -1 with a
 * reason in err. */
int report_outputs(const struct sup *s, char *err, size_t errlen);

/* The narrated summary on stderr (what README.md's "What the summary means" explains). */
void report_summary(const struct sup *s);

/* The --csv row (SPEC §8 header + row) on stdout. 0, or -1 with errno. */
int report_csv_row(const struct sup *s);

/* --workers-csv: one row per worker slot. 0, or -1 with a reason in err. */
int report_workers_csv(const struct sup *s, char *err, size_t errlen);

#endif
