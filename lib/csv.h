/* csv.h: CSV output with the SPEC §6 metadata lines, so a plot can always say
 * where its numbers came from:
 *   # date=2026-11-23T10:00:00Z
 *   # cores=2
 *   # machine=Intel(R) Xeon(R) ..., Linux 6.1.0-18-amd64 x86_64
 *   # commit=1a2b3c4d5e6f
 *   # cmd=bin/phase3 --workers 2 --csv
 * then the header row and the data rows. */
#ifndef KIT_CSV_H
#define KIT_CSV_H

#include <stddef.h>
#include <stdio.h>

/* Write the metadata lines (cmd from argv, each word shell-quoted where it needs
 * it, so the line can be pasted back into a shell). Returns 0, or -1 with errno. */
int csv_meta(FILE *f, int argc, char *const argv[]);

/* A one-line description of this machine ("2 cores, Intel(R) Xeon(R) ..., Linux
 * 6.1.0-18-amd64 x86_64"), for narrated summaries. Always NUL-terminates (when
 * len > 0), truncating if needed. Returns buf. */
const char *csv_machine(char *buf, size_t len);

/* Write s as one CSV field (RFC 4180): as is when it needs no quoting, otherwise
 * in double quotes with inner quotes doubled. Returns 0, or -1 with errno. */
int csv_field(FILE *f, const char *s);

#endif
