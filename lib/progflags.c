/* progflags.c: getopt_long driven by a table (see progflags.h). */
#include "progflags.h"
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "param.h"

#define PROGFLAGS_MAX 48        /* most flags one program has */

static void usage(const struct progflags *p, FILE *f)
{
    fprintf(f, "usage: %s [flags]\n%s\n\nflags:\n", p->prog, p->summary);
    for (size_t i = 0; i < p->n; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", p->flags[i].name, p->flags[i].arg ? " " : "",
                 p->flags[i].arg ? p->flags[i].arg : "");
        fprintf(f, "  %-24s %s\n", left, p->flags[i].help);
    }
    fprintf(f, "  %-24s %s\n", "--help", "print this help and exit");
}

void progflags_usage_error(const struct progflags *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vsay(p->prog, fmt, ap);
    va_end(ap);
    usage(p, stderr);
    exit(EXIT_USAGE);
}

void progflags_parse(struct progflags *p, int argc, char **argv, progflag_fn fn, void *ctx)
{
    struct option opts[PROGFLAGS_MAX + 2];
    size_t n = p->n < PROGFLAGS_MAX ? p->n : PROGFLAGS_MAX;
    const char *slash = strrchr(argv[0], '/');
    p->prog = slash ? slash + 1 : argv[0];
    for (size_t i = 0; i < n; i++)
        opts[i] = (struct option){ p->flags[i].name, p->flags[i].arg ? required_argument : no_argument,
                                   NULL, p->flags[i].val };
    opts[n] = (struct option){ "help", no_argument, NULL, 'h' };
    opts[n + 1] = (struct option){ NULL, 0, NULL, 0 };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(p, stdout);
            exit(EXIT_OK);
        }
        if (c == '?')
            progflags_usage_error(p, "unknown flag '%s'", argv[optind - 1]);
        if (c == ':')
            progflags_usage_error(p, "flag '%s' needs a value", argv[optind - 1]);
        char err[160] = "";
        if (fn(c, optarg, ctx, err, sizeof err) < 0) {
            const char *name = "?";
            for (size_t i = 0; i < n; i++)
                if (p->flags[i].val == c)
                    name = p->flags[i].name;
            progflags_usage_error(p, "--%s: %s", name, err);
        }
    }
    if (optind < argc)
        progflags_usage_error(p, "unexpected argument '%s'", argv[optind]);
}
