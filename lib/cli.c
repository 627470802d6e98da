/* cli.c: the shared command line (SPEC §7) on getopt_long.
 *
 * Every pipeline parses the same common flags here, so --keys means the same
 * thing everywhere and a bad value fails the same way: one line that names the
 * flag and the accepted range, then the usage, exit 2 (SPEC §4). getopt's own
 * messages are switched off (opterr = 0, ':' in optstring) because they do not
 * say what range a number must be in, and they go out before our usage line. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "param.h"
#include "source.h"

#define KEYS_MAX    10000000u   /* --keys upper bound: the source names keys k0000..k9999999 */
#define ZIPF_S_MAX  10.0        /* --zipf-s upper bound: past it all traffic is on rank 1 anyway */
#define USAGE_COL   22          /* narrowest column where the flag help starts */
#define USAGE_COL_MAX 32        /* widest; a longer flag puts its help on the next line */

/* The common flags' getopt values; program flags start at CLI_EXTRA_BASE. */
enum {
    OPT_HELP = 'h',
    OPT_INPUT = 256, OPT_MESSAGES, OPT_KEYS, OPT_DIST, OPT_ZIPF_S, OPT_SEED,
    OPT_PAYLOAD, OPT_EMIT, OPT_WORK, OPT_DUMP_STATE, OPT_CONTROL, OPT_CONTROL_PRIVATE, OPT_CSV,
    OPT_QUIET,
};

/* One line of the usage; the table doubles as the getopt table. */
struct flag {
    const char *name;
    const char *arg;            /* NULL: takes no argument */
    const char *help;
    int val;
    const char *group;          /* non-NULL: a heading printed before this flag */
};

static const struct flag common[] = {
    { "input", "FILE", "read messages from FILE (\"-\" = stdin) instead of the built-in source",
      OPT_INPUT, "Input" },
    { "messages", "N", NULL, OPT_MESSAGES, " built-in source flags (ignored with --input)" },
    { "keys", "K", NULL, OPT_KEYS, NULL },
    { "dist", "D", NULL, OPT_DIST, NULL },
    { "zipf-s", "S", NULL, OPT_ZIPF_S, NULL },
    { "seed", "N", NULL, OPT_SEED, NULL },
    { "payload", "BYTES", NULL, OPT_PAYLOAD, NULL },
    { "work", "W", "units of deterministic CPU work per DATA message (default 0 = none)",
      OPT_WORK, "Run" },
    { "control", "PATH", "answer GET key / STATS / SHUTDOWN on a UNIX socket at PATH",
      OPT_CONTROL, NULL },
    { "control-private", NULL, "create --control's directory mode 0700 (or accept it only if private), "
      "remove it at the end", OPT_CONTROL_PRIVATE, NULL },
    { "emit", NULL, "print the stream as key,op,value lines instead of processing it",
      OPT_EMIT, "Output" },
    { "dump-state", "FILE", "write the final state of every key as CSV to FILE (\"-\" = stdout)",
      OPT_DUMP_STATE, NULL },
    { "csv", NULL, "print one metrics row (with metadata and header) on stdout", OPT_CSV, NULL },
    { "quiet", NULL, "no narrated summary on stderr (errors still go there)", OPT_QUIET, NULL },
    { "help", NULL, "print this help and exit", OPT_HELP, NULL },
};
#define NCOMMON (sizeof common / sizeof common[0])

/* Help lines that quote param.h's defaults (so the usage cannot drift from them). */
static const char *common_help(const struct flag *f, char *buf, size_t len)
{
    switch (f->val) {
    case OPT_MESSAGES:
        snprintf(buf, len, "messages to make, 0 = endless (default %d)", MESSAGES_DEFAULT);
        return buf;
    case OPT_KEYS:
        snprintf(buf, len, "distinct keys, 1..%u (default %d)", KEYS_MAX, KEYS_DEFAULT);
        return buf;
    case OPT_DIST:
        return "key distribution: uniform|zipf (default uniform)";
    case OPT_ZIPF_S:
        snprintf(buf, len, "Zipf exponent, > 0 and <= %g (default %g)", ZIPF_S_MAX, ZIPF_S_DEFAULT);
        return buf;
    case OPT_SEED:
        snprintf(buf, len, "PRNG seed: same seed, same stream (default %d)", SEED_DEFAULT);
        return buf;
    case OPT_PAYLOAD:
        snprintf(buf, len, "opaque payload bytes per message, <= %u (default 0)", PAYLOAD_MAX);
        return buf;
    default:
        return f->help;
    }
}

static int flag_width(const char *name, const char *arg)
{
    return (int)(strlen(name) + 2 + (arg ? strlen(arg) + 1 : 0));
}

static void print_flag(FILE *f, int col, const char *name, const char *arg, const char *help)
{
    int w = fprintf(f, "  --%s%s%s", name, arg ? " " : "", arg ? arg : "");
    if (w > col - 2) {
        fputc('\n', f);
        w = 0;
    }
    fprintf(f, "%*s%s\n", col - w, "", help ? help : "");
}

static void usage(const struct cli *c, FILE *f)
{
    int col = USAGE_COL;
    char buf[160];

    /* The help column fits the widest flag, within USAGE_COL_MAX. */
    for (size_t i = 0; i < NCOMMON + c->nextra; i++) {
        int w = i < NCOMMON ? flag_width(common[i].name, common[i].arg)
                            : flag_width(c->extra[i - NCOMMON].name, c->extra[i - NCOMMON].arg);
        if (w + 4 > col && w + 4 <= USAGE_COL_MAX)
            col = w + 4;
    }

    if (c->summary && *c->summary)
        fprintf(f, "%s\n", c->summary);
    fprintf(f, "Usage: %s [options]\n", c->prog);
    for (size_t i = 0; i < NCOMMON; i++) {
        if (common[i].group)
            fprintf(f, "%s%s:\n", common[i].group[0] == ' ' ? "" : "\n", common[i].group);
        print_flag(f, col, common[i].name, common[i].arg, common_help(&common[i], buf, sizeof buf));
    }
    if (c->nextra) {
        fprintf(f, "\n%s options:\n", c->prog);
        for (size_t i = 0; i < c->nextra; i++)
            print_flag(f, col, c->extra[i].name, c->extra[i].arg, c->extra[i].help);
    }
}

void cli_vsay(const char *prog, const char *fmt, va_list ap)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_usage_error(const struct cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vsay(c->prog, fmt, ap);
    va_end(ap);
    usage(c, stderr);
    exit(EXIT_USAGE);
}

int cli_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out, char *err, size_t errlen)
{
    /* strtoull accepts leading blanks and a sign (and wraps "-1" to 2^64-1), so
     * insist on a digit first: the whole string must be the number. */
    if (s && s[0] >= '0' && s[0] <= '9') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (*end == '\0' && errno == 0 && v >= lo && v <= hi) {
            *out = v;
            return 0;
        }
    }
    snprintf(err, errlen, "'%s' is not a number in [%llu, %llu]", s ? s : "",
             (unsigned long long)lo, (unsigned long long)hi);
    return -1;
}

int cli_double(const char *s, double lo, double hi, double *out, char *err, size_t errlen)
{
    /* strtod also takes blanks, hex and "inf"/"nan": allow only decimal characters. */
    if (s && *s && strspn(s, "0123456789+-.eE") == strlen(s)) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (*end == '\0' && errno != ERANGE && isfinite(v) && v >= lo && v <= hi) {
            *out = v;
            return 0;
        }
    }
    snprintf(err, errlen, "'%s' is not a number in [%g, %g]", s ? s : "", lo, hi);
    return -1;
}

/* Handle one common flag's argument. Returns 0, or -1 with a reason in err. */
static int set_common(struct cli *c, int val, const char *arg, char *err, size_t errlen)
{
    struct source_opts *src = &c->stream.src;
    uint64_t u;
    double d;

    switch (val) {
    case OPT_INPUT:
        c->stream.input = arg;
        return 0;
    case OPT_MESSAGES:
        return cli_u64(arg, 0, UINT64_MAX, &src->messages, err, errlen);
    case OPT_KEYS:
        if (cli_u64(arg, 1, KEYS_MAX, &u, err, errlen) < 0)
            return -1;
        src->keys = (uint32_t)u;
        return 0;
    case OPT_DIST:
        if (dist_parse(arg, &src->dist) == 0)
            return 0;
        snprintf(err, errlen, "'%s' is not uniform or zipf", arg);
        return -1;
    case OPT_ZIPF_S:
        /* The exponent must be > 0: the interval is open at 0, so say so. */
        if (cli_double(arg, 0, ZIPF_S_MAX, &d, err, errlen) < 0 || d == 0) {
            snprintf(err, errlen, "'%s' is not a number in (0, %g]", arg, ZIPF_S_MAX);
            return -1;
        }
        src->zipf_s = d;
        return 0;
    case OPT_SEED:
        return cli_u64(arg, 0, UINT64_MAX, &src->seed, err, errlen);
    case OPT_PAYLOAD:
        if (cli_u64(arg, 0, PAYLOAD_MAX, &u, err, errlen) < 0)
            return -1;
        src->payload = (uint32_t)u;
        return 0;
    case OPT_WORK:
        if (cli_u64(arg, 0, UINT32_MAX, &u, err, errlen) < 0)
            return -1;
        c->work = (uint32_t)u;
        return 0;
    case OPT_EMIT:
        c->emit = true;
        return 0;
    case OPT_DUMP_STATE:
        c->dump_state = arg;
        return 0;
    case OPT_CONTROL:
        c->control = arg;
        return 0;
    case OPT_CONTROL_PRIVATE:
        c->control_private = true;
        return 0;
    case OPT_CSV:
        c->csv = true;
        return 0;
    case OPT_QUIET:
        c->quiet = true;
        return 0;
    }
    snprintf(err, errlen, "internal error: unhandled flag %d", val);
    return -1;
}

/* The long name of the option whose getopt value is val, for messages. */
static const char *name_of(const struct cli *c, int val)
{
    for (size_t i = 0; i < NCOMMON; i++)
        if (common[i].val == val)
            return common[i].name;
    for (size_t i = 0; i < c->nextra; i++)
        if (c->extra[i].val == val)
            return c->extra[i].name;
    return "?";
}

void cli_parse(struct cli *c, int argc, char **argv, const char *summary,
               const struct cli_extra *extra, size_t nextra, cli_extra_fn fn, void *ctx)
{
    static struct option opts[sizeof common / sizeof common[0] + CLI_EXTRA_MAX + 1];
    const char *slash = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
    char err[256];
    size_t n = 0;

    *c = (struct cli){
        .prog = slash ? slash + 1 : (argc > 0 && argv[0] ? argv[0] : "kit"),
        .stream = { .src = { .messages = MESSAGES_DEFAULT, .keys = KEYS_DEFAULT,
                             .dist = DIST_UNIFORM, .zipf_s = ZIPF_S_DEFAULT,
                             .seed = SEED_DEFAULT, .payload = 0 } },
        .argc = argc, .argv = argv,
        .summary = summary, .extra = extra, .nextra = nextra,
    };

    /* A bad table is the program's bug, not the user's: fail loudly. */
    if (nextra > CLI_EXTRA_MAX || (nextra && !fn)) {
        fprintf(stderr, "%s: internal error: bad table of extra flags\n", c->prog);
        abort();
    }
    for (size_t i = 0; i < NCOMMON; i++)
        opts[n++] = (struct option){ common[i].name, common[i].arg ? required_argument : no_argument,
                                     NULL, common[i].val };
    for (size_t i = 0; i < nextra; i++) {
        if (extra[i].val < CLI_EXTRA_BASE) {
            fprintf(stderr, "%s: internal error: flag --%s has val < CLI_EXTRA_BASE\n",
                    c->prog, extra[i].name);
            abort();
        }
        opts[n++] = (struct option){ extra[i].name, extra[i].arg ? required_argument : no_argument,
                                     NULL, extra[i].val };
    }
    opts[n] = (struct option){ 0 };

    /* "+": stop at the first non-option instead of permuting argv (c->argv is the
     * command line recorded in CSV metadata); ":": report a missing argument as ':'. */
    opterr = 0;
    optind = 0;                 /* 0, not 1: glibc re-initialises, so cli_parse can run twice */
    for (;;) {
        int val = getopt_long(argc, argv, "+:h", opts, NULL);
        if (val == -1)
            break;
        const char *word = argv[optind > 1 ? optind - 1 : 1];   /* the element just read */
        if (val == OPT_HELP) {
            usage(c, stdout);
            exit(fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_RT);
        }
        if (val == ':')
            cli_usage_error(c, "--%s needs an argument", name_of(c, optopt));
        if (val == '?') {
            if (optopt && strncmp(word, "--", 2) == 0)  /* "--emit=1": a value it does not take */
                cli_usage_error(c, "--%s takes no argument", name_of(c, optopt));
            if (optopt)
                cli_usage_error(c, "unknown option '-%c'", optopt);
            cli_usage_error(c, "unknown option '%s'", word);
        }
        err[0] = '\0';
        int rc = val >= CLI_EXTRA_BASE ? fn(val, optarg, ctx, err, sizeof err)
                                       : set_common(c, val, optarg, err, sizeof err);
        if (rc < 0)
            cli_usage_error(c, "--%s: %s", name_of(c, val), err[0] ? err : "bad value");
    }
    if (optind < argc)
        cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (c->control_private && !c->control)
        cli_usage_error(c, "--control-private needs --control PATH");
}

struct stream *cli_open_stream(const struct cli *c)
{
    char err[512];
    struct stream *s = stream_open(&c->stream, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s: %s\n", c->prog, err);
        exit(EXIT_FAILURE_RT);
    }
    return s;
}

int cli_emit(const struct cli *c)
{
    /* Emitting is all writes of ~20 bytes: a big buffer turns them into few syscalls. */
    static char outbuf[1 << 18];
    char line[KEY_MAX + 128];   /* key, op, a %.17g-ish value: always fits */
    struct msg m;
    int rc;

    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    struct stream *s = cli_open_stream(c);
    while ((rc = stream_next(s, &m)) == 1) {
        int n = msg_format(&m, line, sizeof line);
        if (n > 0 && fwrite(line, 1, (size_t)n, stdout) != (size_t)n)
            break;              /* the error is reported by the ferror check below */
    }
    if (rc < 0) {
        fprintf(stderr, "%s: reading %s: %s\n", c->prog, stream_name(s), strerror(errno));
        stream_close(s);
        return EXIT_FAILURE_RT;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: writing the stream to stdout: %s\n", c->prog, strerror(errno));
        stream_close(s);
        return EXIT_FAILURE_RT;
    }
    uint64_t rejected = stream_rejected(s);
    stream_close(s);
    return cli_exit_status(rejected);
}

int cli_exit_status(uint64_t rejected)
{
    return rejected > 0 ? EXIT_DATAERR : EXIT_OK;
}
