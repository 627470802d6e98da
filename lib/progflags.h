/* progflags.h: the command line of the small phase-3 programs (taskq, batchpool,
 * the demos). They are not message pipelines, so lib/cli.h's stream flags would
 * only confuse their --help; this gives them the same behaviour on a short table:
 * --help prints the usage on stdout and exits 0; a bad flag or value prints
 * "prog: reason" and the usage on stderr and exits EXIT_USAGE (SPEC §4).
 * Number parsing is lib/cli.h's (cli_u64, cli_double), so ranges read the same. */
#ifndef KIT_PROGFLAGS_H
#define KIT_PROGFLAGS_H

#include <stddef.h>

struct progflag {
    const char *name;           /* long name without "--" */
    const char *arg;            /* argument name for the usage ("N"), NULL if none */
    const char *help;           /* one line */
    int val;                    /* passed to the callback; unique, > 0 */
};

struct progflags {
    const char *prog;           /* argv[0]'s base name */
    const char *summary;        /* first lines of the usage */
    const struct progflag *flags;
    size_t n;
};

/* Called per flag; returns 0, or -1 with a reason in err. */
typedef int (*progflag_fn)(int val, const char *arg, void *ctx, char *err, size_t errlen);

/* Parse argv; --help and every error exit as described above. Positional
 * arguments are refused. */
void progflags_parse(struct progflags *p, int argc, char **argv, progflag_fn fn, void *ctx);

/* "prog: reason", the usage on stderr, exit EXIT_USAGE: for checks across flags. */
void progflags_usage_error(const struct progflags *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

#endif
