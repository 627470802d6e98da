/* cli.h: the command line every pipeline shares (SPEC §7), so that --messages
 * means the same thing in bin/phase1, bin/phase2 and bin/phase3. A program adds
 * its own flags through a small table and a callback. */
#ifndef KIT_CLI_H
#define KIT_CLI_H

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream.h"

struct cli_extra;

struct cli {
    const char *prog;           /* argv[0]'s base name */
    struct stream_opts stream;  /* --input, --messages, --keys, --dist, --zipf-s, --seed, --payload */
    bool emit;                  /* --emit: print the stream, process nothing */
    uint32_t work;              /* --work W: units of CPU work per DATA message */
    const char *dump_state;     /* --dump-state FILE ("-" = stdout), or NULL */
    const char *control;        /* --control PATH, or NULL */
    bool control_private;       /* --control-private: PATH's directory is ours, 0700 (ctl.h, CTLSRV_PRIVATE) */
    bool csv;                   /* --csv: one metrics row with header on stdout */
    bool quiet;                 /* --quiet: no narrated summary */
    int argc;                   /* the original command line, for CSV metadata */
    char **argv;
    /* Kept by cli_parse so that cli_usage_error can print the same usage later. */
    const char *summary;
    const struct cli_extra *extra;
    size_t nextra;
};

/* One program-specific flag. val must be >= CLI_EXTRA_BASE and unique. */
struct cli_extra {
    const char *name;           /* long name without "--" */
    const char *arg;            /* argument name for the usage ("N"), NULL if it takes none */
    const char *help;           /* one line */
    int val;
};

#define CLI_EXTRA_BASE 1000
#define CLI_EXTRA_MAX  32       /* most program-specific flags in one table */

/* Called for each program-specific flag; returns 0, or -1 with a reason in err. */
typedef int (*cli_extra_fn)(int val, const char *arg, void *ctx, char *err, size_t errlen);

/* Parse argv into *c (defaults from param.h first). On --help, print the usage
 * (`summary`, then every flag) on stdout and exit 0. On a bad flag or value, print
 * "prog: reason" and the usage on stderr and exit EXIT_USAGE (SPEC §4): unknown
 * flags, missing arguments, numbers out of range and stray non-option arguments
 * alike, and --control-private without --control. The built-in source flags are accepted but ignored with --input.
 * fn may be NULL when nextra is 0. argv is not reordered; c keeps pointers into it. */
void cli_parse(struct cli *c, int argc, char **argv, const char *summary,
               const struct cli_extra *extra, size_t nextra, cli_extra_fn fn, void *ctx);

/* Print "prog: " and the formatted reason with a newline on stderr (stdout
 * flushed first, so the two streams stay in order on a terminal). */
void cli_vsay(const char *prog, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Print "prog: reason" and the usage on stderr, then exit EXIT_USAGE. For checks
 * that span several flags, made after cli_parse returns. */
void cli_usage_error(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Number parsers for flag values: the whole string must be a number in [lo, hi].
 * Return 0, or -1 with a reason in err. */
int cli_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out, char *err, size_t errlen);
int cli_double(const char *s, double lo, double hi, double *out, char *err, size_t errlen);

/* Open the stream described by c->stream. On failure print "prog: reason" and
 * exit EXIT_FAILURE_RT. */
struct stream *cli_open_stream(const struct cli *c);

/* --emit: print the whole stream on stdout in SPEC §1 form (no payload: the line
 * format has none). Call it before anything else is written to stdout (it sets a
 * large buffer). Returns the exit status (EXIT_DATAERR if lines were rejected,
 * EXIT_FAILURE_RT after printing "prog: reason" on a read or write error). */
int cli_emit(const struct cli *c);

/* The exit status for a run that reached its end (SPEC §4). */
int cli_exit_status(uint64_t rejected);

#endif
