/* test_cli.c: the shared command line. cli_parse exits on --help and on a bad
 * command line, so those cases run it in a forked child with stdout and stderr
 * captured, and check the exit status and the exact first line of stderr; good
 * command lines are parsed right here and the struct is checked field by field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "kit_test.h"
#include "param.h"

#define SUMMARY "testprog: a program that only parses its flags"
#define ARGV0   "/opt/kit/bin/testprog"

enum { X_WORKERS = CLI_EXTRA_BASE, X_FAST, X_ROUTE };

static const struct cli_extra extras[] = {
    { "workers", "N", "worker processes, 1..8", X_WORKERS },
    { "fast", NULL, "skip the slow path", X_FAST },
    { "route", "modulo|consistent|map|roundrobin", "a flag too wide for the help column", X_ROUTE },
};

struct seen {                   /* what the extras callback was given */
    int calls;
    unsigned workers;
    int fast;
    void *ctx;
};

static int on_extra(int val, const char *arg, void *ctx, char *err, size_t errlen)
{
    struct seen *s = ctx;
    s->calls++;
    s->ctx = ctx;
    if (val == X_FAST) {
        s->fast = 1;
        return arg == NULL ? 0 : -1;
    }
    if (val == X_ROUTE)
        return 0;
    uint64_t n;
    if (val != X_WORKERS || cli_u64(arg, 1, 8, &n, err, errlen) < 0)
        return -1;
    s->workers = (unsigned)n;
    return 0;
}

/* Build argv from a NULL-terminated list (argv[0] = ARGV0). */
static int make_argv(char **argv, const char *const *args)
{
    int n = 0;
    argv[n++] = ARGV0;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    return n;
}

static void parse_here(struct cli *c, struct seen *s, const char *const *args)
{
    static char *argv[64];
    int argc = make_argv(argv, args);
    memset(s, 0, sizeof *s);
    cli_parse(c, argc, argv, SUMMARY, extras, 3, on_extra, s);
}

struct outcome {
    int status;                 /* exit status; 99 if cli_parse returned */
    char *out, *err;            /* what it printed (malloc'd) */
};

static char *slurp(int fd)
{
    off_t n = lseek(fd, 0, SEEK_END);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(pread(fd, buf, (size_t)n, 0), n);
    buf[n] = '\0';
    close(fd);
    return buf;
}

/* Run cli_parse on args in a child, capturing what it prints and how it exits;
 * with emit, the child goes on to exit(cli_emit()). */
static void run_in_child(struct outcome *o, const char *const *args, int emit)
{
    int out = memfd_create("cli-out", MFD_CLOEXEC), err = memfd_create("cli-err", MFD_CLOEXEC);
    ck_assert(out >= 0 && err >= 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct cli c;
        struct seen s;
        if (dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        parse_here(&c, &s, args);
        if (emit)
            exit(cli_emit(&c));
        _exit(99);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    o->out = slurp(out);
    o->err = slurp(err);
}

static void parse_in_child(struct outcome *o, const char *const *args)
{
    run_in_child(o, args, 0);
}

static void outcome_free(struct outcome *o)
{
    free(o->out);
    free(o->err);
}

/* ------------------------------------------------------------------ good lines */

START_TEST(defaults)
{
    struct cli c;
    struct seen s;
    parse_here(&c, &s, (const char *[]){ NULL });
    ck_assert_str_eq(c.prog, "testprog");
    ck_assert_ptr_null(c.stream.input);
    ck_assert_uint_eq(c.stream.src.messages, MESSAGES_DEFAULT);
    ck_assert_uint_eq(c.stream.src.keys, KEYS_DEFAULT);
    ck_assert_int_eq(c.stream.src.dist, DIST_UNIFORM);
    ck_assert_double_eq(c.stream.src.zipf_s, ZIPF_S_DEFAULT);
    ck_assert_uint_eq(c.stream.src.seed, SEED_DEFAULT);
    ck_assert_uint_eq(c.stream.src.payload, 0);
    ck_assert_ptr_null(c.stream.report);
    ck_assert(!c.emit && !c.csv && !c.quiet);
    ck_assert_uint_eq(c.work, 0);
    ck_assert_ptr_null(c.dump_state);
    ck_assert_ptr_null(c.control);
    ck_assert(!c.control_private);
    ck_assert_int_eq(c.argc, 1);
    ck_assert_str_eq(c.argv[0], ARGV0);
    ck_assert_int_eq(s.calls, 0);
}
END_TEST

START_TEST(every_flag)
{
    struct cli c;
    struct seen s;
    parse_here(&c, &s, (const char *[]){
        "--input", "in.txt", "--messages", "0", "--keys", "10000000", "--dist", "zipf",
        "--zipf-s", "2.5", "--seed", "18446744073709551615", "--payload", "8388608", "--emit",
        "--work", "7", "--dump-state", "-", "--control", "/tmp/x.sock", "--control-private", "--csv", "--quiet", NULL });
    ck_assert_str_eq(c.stream.input, "in.txt");
    ck_assert_uint_eq(c.stream.src.messages, 0);
    ck_assert_uint_eq(c.stream.src.keys, 10000000);
    ck_assert_int_eq(c.stream.src.dist, DIST_ZIPF);
    ck_assert_double_eq(c.stream.src.zipf_s, 2.5);
    ck_assert_uint_eq(c.stream.src.seed, UINT64_MAX);
    ck_assert_uint_eq(c.stream.src.payload, PAYLOAD_MAX);
    ck_assert(c.emit && c.csv && c.quiet);
    ck_assert_uint_eq(c.work, 7);
    ck_assert_str_eq(c.dump_state, "-");
    ck_assert_str_eq(c.control, "/tmp/x.sock");
    ck_assert(c.control_private);
    ck_assert_int_eq(c.argc, 25);
}
END_TEST

START_TEST(equals_and_abbreviations)
{
    struct cli c;
    struct seen s;
    parse_here(&c, &s, (const char *[]){ "--keys=5", "--mess", "9", "--zipf-s=10", "--dump=out.csv", NULL });
    ck_assert_uint_eq(c.stream.src.keys, 5);
    ck_assert_uint_eq(c.stream.src.messages, 9);
    ck_assert_double_eq(c.stream.src.zipf_s, 10);
    ck_assert_str_eq(c.dump_state, "out.csv");
}
END_TEST

/* --control-private is checked against --control once the whole line is read,
 * so the order does not matter. */
START_TEST(control_private_either_order)
{
    struct cli c;
    struct seen s;
    parse_here(&c, &s, (const char *[]){ "--control-private", "--control", "/tmp/x.sock", NULL });
    ck_assert(c.control_private);
    ck_assert_str_eq(c.control, "/tmp/x.sock");
}
END_TEST

START_TEST(extras_reach_the_callback)
{
    struct cli c;
    struct seen s;
    parse_here(&c, &s, (const char *[]){ "--workers", "4", "--quiet", "--fast", NULL });
    ck_assert_int_eq(s.calls, 2);
    ck_assert_uint_eq(s.workers, 4);
    ck_assert_int_eq(s.fast, 1);
    ck_assert_ptr_eq(s.ctx, &s);
    ck_assert(c.quiet);
}
END_TEST

START_TEST(parse_twice_and_argv_untouched)
{
    struct cli c;
    struct seen s;
    static char *argv[] = { ARGV0, "--keys", "3", "--csv", NULL };
    char *copy[5];
    memcpy(copy, argv, sizeof copy);
    cli_parse(&c, 4, argv, SUMMARY, NULL, 0, NULL, NULL);
    ck_assert_uint_eq(c.stream.src.keys, 3);
    /* getopt state is reset: a second parse starts from argv[1] again. */
    parse_here(&c, &s, (const char *[]){ "--keys", "8", NULL });
    ck_assert_uint_eq(c.stream.src.keys, 8);
    ck_assert(!c.csv);
    ck_assert_msg(memcmp(copy, argv, sizeof copy) == 0, "argv was reordered");
}
END_TEST

/* ------------------------------------------------------------------ bad lines */

struct bad_case {
    const char *args[6];
    const char *line;           /* the exact first line of stderr */
};

static const struct bad_case bad_cases[] = {
    { { "--keys", "0" }, "testprog: --keys: '0' is not a number in [1, 10000000]" },
    { { "--keys", "10000001" }, "testprog: --keys: '10000001' is not a number in [1, 10000000]" },
    { { "--keys", "-1" }, "testprog: --keys: '-1' is not a number in [1, 10000000]" },
    { { "--keys", "+5" }, "testprog: --keys: '+5' is not a number in [1, 10000000]" },
    { { "--keys", " 5" }, "testprog: --keys: ' 5' is not a number in [1, 10000000]" },
    { { "--keys", "5x" }, "testprog: --keys: '5x' is not a number in [1, 10000000]" },
    { { "--keys", "" }, "testprog: --keys: '' is not a number in [1, 10000000]" },
    { { "--messages", "-5" }, "testprog: --messages: '-5' is not a number in [0, 18446744073709551615]" },
    { { "--messages", "18446744073709551616" },
      "testprog: --messages: '18446744073709551616' is not a number in [0, 18446744073709551615]" },
    { { "--seed", "1.5" }, "testprog: --seed: '1.5' is not a number in [0, 18446744073709551615]" },
    { { "--payload", "8388609" }, "testprog: --payload: '8388609' is not a number in [0, 8388608]" },
    { { "--work", "4294967296" }, "testprog: --work: '4294967296' is not a number in [0, 4294967295]" },
    { { "--zipf-s", "0" }, "testprog: --zipf-s: '0' is not a number in (0, 10]" },
    { { "--zipf-s", "-1" }, "testprog: --zipf-s: '-1' is not a number in (0, 10]" },
    { { "--zipf-s", "10.5" }, "testprog: --zipf-s: '10.5' is not a number in (0, 10]" },
    { { "--zipf-s", "nan" }, "testprog: --zipf-s: 'nan' is not a number in (0, 10]" },
    { { "--zipf-s", "inf" }, "testprog: --zipf-s: 'inf' is not a number in (0, 10]" },
    { { "--zipf-s", "0x1p1" }, "testprog: --zipf-s: '0x1p1' is not a number in (0, 10]" },
    { { "--zipf-s", "1e999" }, "testprog: --zipf-s: '1e999' is not a number in (0, 10]" },
    { { "--dist", "gauss" }, "testprog: --dist: 'gauss' is not uniform or zipf" },
    { { "--bogus" }, "testprog: unknown option '--bogus'" },
    { { "--c" }, "testprog: unknown option '--c'" },   /* --control or --csv: ambiguous */
    { { "-x" }, "testprog: unknown option '-x'" },
    { { "--keys" }, "testprog: --keys needs an argument" },
    { { "--workers" }, "testprog: --workers needs an argument" },
    { { "--emit=1" }, "testprog: --emit takes no argument" },
    { { "--help=1" }, "testprog: --help takes no argument" },
    { { "stray" }, "testprog: unexpected argument 'stray'" },
    { { "--quiet", "stray", "--csv" }, "testprog: unexpected argument 'stray'" },
    { { "--", "--csv" }, "testprog: unexpected argument '--csv'" },
    { { "-" }, "testprog: unexpected argument '-'" },
    { { "--workers", "0" }, "testprog: --workers: '0' is not a number in [1, 8]" },
    { { "--fast", "--workers", "9" }, "testprog: --workers: '9' is not a number in [1, 8]" },
    { { "--control-private" }, "testprog: --control-private needs --control PATH" },
    { { "--control-private", "--quiet", "--csv" }, "testprog: --control-private needs --control PATH" },
};

START_TEST(bad_line_exits_2)
{
    const struct bad_case *bc = &bad_cases[_i];
    struct outcome o;
    char want[512];

    parse_in_child(&o, bc->args);
    ck_assert_msg(o.status == EXIT_USAGE, "case %d: expected exit 2, got %d (stderr '%s')",
                  _i, o.status, o.err);
    snprintf(want, sizeof want, "%s\n" SUMMARY "\nUsage: testprog [options]\n", bc->line);
    ck_assert_msg(strncmp(o.err, want, strlen(want)) == 0,
                  "case %d: expected stderr to start\n%s---\ngot\n%s---", _i, want, o.err);
    ck_assert_msg(strstr(o.err, "testprog options:\n  --workers N"), "case %d: no extras in usage", _i);
    ck_assert_msg(o.out[0] == '\0', "case %d: expected nothing on stdout, got '%s'", _i, o.out);
    outcome_free(&o);
    ck_assert(!kit_children_alive());
}
END_TEST

/* The same lines through Check's own exit test: the status alone, in-process. */
START_TEST(bad_line_exit_status)
{
    struct cli c;
    struct seen s;
    if (!freopen("/dev/null", "w", stderr))
        ck_abort_msg("freopen /dev/null: %s", strerror(errno));
    parse_here(&c, &s, bad_cases[_i].args);
}
END_TEST

/* ------------------------------------------------------------------ help */

START_TEST(help_on_stdout)
{
    struct outcome o;
    parse_in_child(&o, (const char *[]){ "--keys", "5", "--help", NULL });
    ck_assert_msg(o.status == 0, "expected exit 0, got %d", o.status);
    ck_assert_msg(o.err[0] == '\0', "expected nothing on stderr, got '%s'", o.err);
    static const char *const want[] = {
        SUMMARY "\nUsage: testprog [options]\n\nInput:\n  --input FILE",
        " built-in source flags (ignored with --input):\n  --messages N",
        "0 = endless (default 100000)\n", "1..10000000 (default 100)\n",
        "uniform|zipf (default uniform)\n", "> 0 and <= 10 (default 1.1)\n",
        "(default 1)\n", "<= 8388608 (default 0)\n",
        "\nRun:\n  --work W", "  --control PATH ", "\n  --control-private   create --control's directory mode 0700",
        "\nOutput:\n  --emit", "  --help ",
        "\ntestprog options:\n  --workers N", "  --fast ",
        "  --route modulo|consistent|map|roundrobin\n      ",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(o.out, want[i]), "expected '%s' in the usage:\n%s", want[i], o.out);
    /* Every help text starts in the same column, on the flag's line or, for a
     * flag too wide, on the next. */
    int col = -1;
    for (char *line = o.out; (line = strstr(line, "\n  --")); line++) {
        char *start = line + 1, *p = start + 2;
        while (*p && *p != ' ' && *p != '\n')
            p++;                                    /* the flag */
        if (*p == ' ' && p[1] != ' ')               /* its argument */
            for (p++; *p && *p != ' ' && *p != '\n'; p++)
                ;
        if (*p == '\n')                             /* too wide: help on the next line */
            start = p = p + 1;
        while (*p == ' ')
            p++;
        int c = (int)(p - start);
        ck_assert_msg(col < 0 || c == col, "help column %d, expected %d, at:%.40s", c, col, line);
        col = c;
    }
    ck_assert_int_gt(col, 0);
    outcome_free(&o);
}
END_TEST

START_TEST(short_h_is_help)
{
    struct outcome o;
    parse_in_child(&o, (const char *[]){ "-h", NULL });
    ck_assert_int_eq(o.status, 0);
    ck_assert(strncmp(o.out, SUMMARY "\nUsage: testprog", strlen(SUMMARY) + 16) == 0);
    outcome_free(&o);
}
END_TEST

/* ------------------------------------------------------------------ numbers */

START_TEST(numbers)
{
    char err[128];
    uint64_t u;
    double d;
    ck_assert_int_eq(cli_u64("0", 0, 5, &u, err, sizeof err), 0);
    ck_assert_uint_eq(u, 0);
    ck_assert_int_eq(cli_u64("18446744073709551615", 0, UINT64_MAX, &u, err, sizeof err), 0);
    ck_assert_uint_eq(u, UINT64_MAX);
    ck_assert_int_eq(cli_u64("007", 0, 7, &u, err, sizeof err), 0);
    ck_assert_uint_eq(u, 7);
    ck_assert_int_eq(cli_u64("8", 0, 7, &u, err, sizeof err), -1);
    ck_assert_str_eq(err, "'8' is not a number in [0, 7]");
    ck_assert_int_eq(cli_u64("-0", 0, 7, &u, err, sizeof err), -1);
    ck_assert_int_eq(cli_u64("1 ", 0, 7, &u, err, sizeof err), -1);
    ck_assert_int_eq(cli_u64("0x10", 0, 100, &u, err, sizeof err), -1);
    ck_assert_int_eq(cli_double("0.5", 0, 1, &d, err, sizeof err), 0);
    ck_assert_double_eq(d, 0.5);
    ck_assert_int_eq(cli_double("-2e-1", -1, 1, &d, err, sizeof err), 0);
    ck_assert_double_eq(d, -0.2);
    ck_assert_int_eq(cli_double(".5", 0, 1, &d, err, sizeof err), 0);
    ck_assert_int_eq(cli_double("1.5", 0, 1, &d, err, sizeof err), -1);
    ck_assert_str_eq(err, "'1.5' is not a number in [0, 1]");
    ck_assert_int_eq(cli_double("", 0, 1, &d, err, sizeof err), -1);
    ck_assert_int_eq(cli_double(" 1", 0, 1, &d, err, sizeof err), -1);
    ck_assert_int_eq(cli_double("1e-400", 0, 1, &d, err, sizeof err), -1);
    ck_assert_int_eq(cli_exit_status(0), EXIT_OK);
    ck_assert_int_eq(cli_exit_status(1), EXIT_DATAERR);
}
END_TEST

/* ------------------------------------------------------------------ emit */

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(emit_round_trip)
{
    struct outcome a, b;
    char *dir = kit_tmpdir(), path[256];

    run_in_child(&a, (const char *[]){ "--messages", "500", "--keys", "7", "--seed", "3", "--emit", NULL }, 1);
    ck_assert_msg(a.status == 0, "expected exit 0, got %d: %s", a.status, a.err);
    ck_assert_int_eq(count_lines(a.out), 500);
    ck_assert_msg(strncmp(a.out, "k000", 4) == 0, "expected a key first, got '%.40s'", a.out);
    /* The emitted stream, read back with --input, emits the same bytes. */
    snprintf(path, sizeof path, "%s/stream.txt", dir);
    ck_assert_int_eq(kit_write_file(path, a.out), 0);
    run_in_child(&b, (const char *[]){ "--input", path, "--keys", "99", "--emit", NULL }, 1);
    ck_assert_msg(b.status == 0, "expected exit 0, got %d: %s", b.status, b.err);
    ck_assert_msg(strcmp(a.out, b.out) == 0, "the replayed stream differs");
    outcome_free(&a);
    outcome_free(&b);
    kit_rmtree(dir);
    free(dir);
    ck_assert(!kit_children_alive());
}
END_TEST

START_TEST(emit_rejects_give_65)
{
    struct outcome o;
    char *dir = kit_tmpdir(), path[256], want[300];

    snprintf(path, sizeof path, "%s/bad.txt", dir);
    ck_assert_int_eq(kit_write_file(path, "k1,START,\nk1,JUMP,1\nk1,DATA,2.5\n"), 0);
    run_in_child(&o, (const char *[]){ "--input", path, "--emit", NULL }, 1);
    ck_assert_msg(o.status == EXIT_DATAERR, "expected exit 65, got %d", o.status);
    ck_assert_str_eq(o.out, "k1,START,\nk1,DATA,2.5\n");
    snprintf(want, sizeof want, "%s:2: ", path);
    ck_assert_msg(strstr(o.err, want), "expected '%s' on stderr, got '%s'", want, o.err);
    outcome_free(&o);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(open_failure_exits_1)
{
    struct outcome o;
    run_in_child(&o, (const char *[]){ "--input", "/nonexistent/in.txt", "--emit", NULL }, 1);
    ck_assert_msg(o.status == EXIT_FAILURE_RT, "expected exit 1, got %d", o.status);
    ck_assert_msg(strncmp(o.err, "testprog: ", 10) == 0 && strstr(o.err, "/nonexistent/in.txt")
                  && strstr(o.err, "No such file or directory") && count_lines(o.err) == 1,
                  "expected one line naming the file and the reason, got '%s'", o.err);
    outcome_free(&o);
}
END_TEST

/* ------------------------------------------------------------------ the suite */

static Suite *cli_suite(void)
{
    const struct kit_case cases[] = {
        { "defaults", defaults, 10 },
        { "every_flag", every_flag, 10 },
        { "equals_and_abbreviations", equals_and_abbreviations, 10 },
        { "control_private_either_order", control_private_either_order, 10 },
        { "extras_reach_the_callback", extras_reach_the_callback, 10 },
        { "parse_twice_and_argv_untouched", parse_twice_and_argv_untouched, 10 },
        { "help_on_stdout", help_on_stdout, 10 },
        { "short_h_is_help", short_h_is_help, 10 },
        { "numbers", numbers, 10 },
        { "emit_round_trip", emit_round_trip, 10 },
        { "emit_rejects_give_65", emit_rejects_give_65, 10 },
        { "open_failure_exits_1", open_failure_exits_1, 10 },
    };
    Suite *s = kit_suite("cli", cases, KIT_NELEM(cases));
    int nbad = (int)KIT_NELEM(bad_cases);
    tcase_add_loop_test(kit_tcase(s, "bad_line_exits_2", 10), bad_line_exits_2, 0, nbad);
    tcase_add_loop_exit_test(kit_tcase(s, "bad_line_exit_status", 10), bad_line_exit_status,
                             EXIT_USAGE, 0, nbad);
    return s;
}

KIT_TEST_MAIN(cli_suite)
