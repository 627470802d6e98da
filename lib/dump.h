/* dump.h: the state dump (SPEC §3), byte-exact across every phase. */
#ifndef KIT_DUMP_H
#define KIT_DUMP_H

#include <stddef.h>
#include <stdio.h>

#include "fsm.h"
#include "registry.h"

#define DUMP_HEADER "key,state,messages,data_count,sum,min,max,last,feature_sum,invalid"
#define DUMP_ROW_MAX 512        /* a row always fits in this many bytes */

/* Format one row (no newline) into buf. Returns its length, or -1 with ENOBUFS
 * if len is too small (DUMP_ROW_MAX always suffices). */
int dump_row(const struct keystate *ks, char *buf, size_t len);

/* Parse one row (no newline) back: the exact inverse of dump_row, last_seq = 0.
 * Returns 0, or -1 with errno EINVAL if malformed (*ks then untouched). */
int dump_parse_row(const char *row, size_t len, struct keystate *ks);

/* Sort rows by key, bytewise (qsort; keys are unique). */
void dump_sort(struct keystate **rows, size_t n);

/* Write the header and the rows (already sorted). Returns 0, or -1 with errno. */
int dump_write_rows(FILE *f, struct keystate *const *rows, size_t n);

/* Write the whole registry, sorted. Returns 0, or -1 with errno. */
int dump_write(FILE *f, const struct registry *r);

/* Open PATH ("-" = stdout), write the registry and close. Returns 0, or -1 with
 * a reason in err. */
int dump_to_path(const char *path, const struct registry *r, char *err, size_t errlen);

#endif
