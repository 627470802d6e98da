/* test_parse.c: the SPEC §1 line parser and the bounded line reader. Every
 * reject case comes with the reason it must give; every case is also run with
 * the line flush against an unmapped page, so a parser that reads one byte
 * past the line dies with SIGSEGV instead of passing by luck. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kit_test.h"
#include "parse.h"

#define K31 "abcdefghijklmnopqrstuvwxyz01234"
#define K32 K31 "5"

struct reject_case {
    const char *line;
    size_t len;                 /* 0: strlen(line) */
    const char *reason;         /* a substring the reason must contain */
};

static const struct reject_case rejects[] = {
    { "", 0, "expected 3 fields, got 1" },
    { "k1", 0, "expected 3 fields, got 1" },
    { "k1,DATA", 0, "expected 3 fields, got 2" },
    { "k1,DATA,1,2", 0, "expected 3 fields, got 4" },
    { "k1,DATA,1,", 0, "expected 3 fields, got 4" },
    { ",,", 0, "empty key" },
    { ",DATA,1", 0, "empty key" },
    { K32 ",DATA,1", 0, "key longer than 31 characters" },
    { "k!,DATA,1", 0, "key has invalid character '!'" },
    { "k 1,DATA,1", 0, "key has invalid character ' '" },
    { "k/1,DATA,1", 0, "key has invalid character '/'" },
    { "\"k1\",DATA,1", 0, "key has invalid character '\"'" },
    { "k\x01,DATA,1", 0, "key has invalid character '\\x01'" },
    { "k\x7f,DATA,1", 0, "key has invalid character '\\x7f'" },
    { "k\xc3\xa9,DATA,1", 0, "key has invalid character '\\xc3'" },
    { "k\0,DATA,1", 9, "key has invalid character '\\x00'" },
    { "k1,Foo,1", 0, "unknown op 'Foo'" },
    { "k1,data,1", 0, "unknown op 'data'" },
    { "k1,Data,1", 0, "unknown op 'Data'" },
    { "k1, DATA,1", 0, "unknown op ' DATA'" },
    { "k1,DATA ,1", 0, "unknown op 'DATA '" },
    { "k1,DA\0TA,1", 10, "unknown op 'DA\\x00TA'" },
    { "k1,STARTS,", 0, "unknown op 'STARTS'" },
    { "k1,,1", 0, "empty op" },
    { "k1,DATA,", 0, "DATA needs a value" },
    { "k1,DATA,x", 0, "value 'x' is not a decimal number" },
    { "k1,DATA,0x10", 0, "value '0x10' is not a decimal number" },
    { "k1,DATA,nan", 0, "value 'nan' is not a decimal number" },
    { "k1,DATA,NAN", 0, "value 'NAN' is not a decimal number" },
    { "k1,DATA,inf", 0, "value 'inf' is not a decimal number" },
    { "k1,DATA,-inf", 0, "value '-inf' is not a decimal number" },
    { "k1,DATA,infinity", 0, "value 'infinity' is not a decimal number" },
    { "k1,DATA, 1", 0, "value ' 1' is not a decimal number" },
    { "k1,DATA,1 ", 0, "value '1 ' is not a decimal number" },
    { "k1,DATA,\t1", 0, "value '\\x091' is not a decimal number" },
    { "k1,DATA,.", 0, "value '.' is not a decimal number" },
    { "k1,DATA,-", 0, "value '-' is not a decimal number" },
    { "k1,DATA,+", 0, "value '+' is not a decimal number" },
    { "k1,DATA,-.", 0, "value '-.' is not a decimal number" },
    { "k1,DATA,--1", 0, "value '--1' is not a decimal number" },
    { "k1,DATA,+-1", 0, "value '+-1' is not a decimal number" },
    { "k1,DATA,1e", 0, "value '1e' is not a decimal number" },
    { "k1,DATA,1e+", 0, "value '1e+' is not a decimal number" },
    { "k1,DATA,e5", 0, "value 'e5' is not a decimal number" },
    { ".5e", 0, "expected 3 fields, got 1" },
    { "k1,DATA,.e5", 0, "value '.e5' is not a decimal number" },
    { "k1,DATA,1.2.3", 0, "value '1.2.3' is not a decimal number" },
    { "k1,DATA,1e5.5", 0, "value '1e5.5' is not a decimal number" },
    { "k1,DATA,1_000", 0, "value '1_000' is not a decimal number" },
    { "k1,DATA,1d", 0, "value '1d' is not a decimal number" },
    { "k1,DATA,1f", 0, "value '1f' is not a decimal number" },
    { "k1,DATA,\xef\xbc\x91", 0, "value '\\xef\\xbc\\x91' is not a decimal number" },
    { "k1,DATA,1\0", 10, "value '1\\x00' is not a decimal number" },
    { "k1,START,x", 0, "value 'x' is not a decimal number" },
    { "k1,STOP,nan", 0, "value 'nan' is not a decimal number" },
    { "k1,DATA,1e999", 0, "value '1e999' is not finite" },
    { "k1,DATA,-1e999", 0, "value '-1e999' is not finite" },
    { "k1,DATA,1.8e308", 0, "value '1.8e308' is not finite" },
    { "k1,PAUSE,1e400", 0, "value '1e400' is not finite" },
    { "k1,DATA,1\r", 0, "carriage return (CRLF line ending)" },
    { "k1,START,\r", 0, "carriage return (CRLF line ending)" },
    { "\r", 0, "carriage return (CRLF line ending)" },
};
#define NREJECTS (int)(sizeof rejects / sizeof rejects[0])

struct accept_case {
    const char *line;
    const char *key;
    enum op op;
    int has_value;
    const char *value;          /* compared with strtod(value) bit for bit */
};

static const struct accept_case accepts[] = {
    { "k1,DATA,.5", "k1", OP_DATA, 1, "0.5" },
    { "k1,DATA,-12.5", "k1", OP_DATA, 1, "-12.5" },
    { "k1,DATA,3e-2", "k1", OP_DATA, 1, "0.03" },
    { "k1,DATA,1E+3", "k1", OP_DATA, 1, "1000" },
    { "k1,DATA,+4", "k1", OP_DATA, 1, "4" },
    { "k1,DATA,5.", "k1", OP_DATA, 1, "5" },
    { "k1,DATA,-.5e-1", "k1", OP_DATA, 1, "-0.05" },
    { "k1,DATA,00012", "k1", OP_DATA, 1, "12" },
    { "k1,DATA,12.34", "k1", OP_DATA, 1, "12.34" },
    { "k1,DATA,-0", "k1", OP_DATA, 1, "-0" },
    { "k1,DATA,1e-400", "k1", OP_DATA, 1, "0" },          /* underflows, still finite */
    { "k1,DATA,4.9e-324", "k1", OP_DATA, 1, "4.9e-324" }, /* the smallest denormal */
    { "k1,DATA,1.7976931348623157e308", "k1", OP_DATA, 1, "1.7976931348623157e308" },
    { "k1,START,", "k1", OP_START, 0, "0" },
    { "k1,PAUSE,", "k1", OP_PAUSE, 0, "0" },
    { "k1,RESUME,", "k1", OP_RESUME, 0, "0" },
    { "k1,STOP,", "k1", OP_STOP, 0, "0" },
    { "k1,STOP,7", "k1", OP_STOP, 1, "7" },
    { "A.b-c_9,DATA,0", "A.b-c_9", OP_DATA, 1, "0" },
    { "-,START,", "-", OP_START, 0, "0" },
    { "...,START,", "...", OP_START, 0, "0" },
    { K31 ",DATA,1", K31, OP_DATA, 1, "1" },
};
#define NACCEPTS (int)(sizeof accepts / sizeof accepts[0])

/* A copy of line[0..len) that ends exactly where an unreadable page begins. */
struct guarded {
    char *map;
    long page;
    char *line;
};

static struct guarded guard_line(const char *line, size_t len)
{
    struct guarded g;
    g.page = sysconf(_SC_PAGESIZE);
    ck_assert_uint_le(len, (size_t)g.page);
    g.map = mmap(NULL, 2 * (size_t)g.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_msg(g.map != MAP_FAILED, "mmap failed");
    ck_assert_int_eq(mprotect(g.map + g.page, (size_t)g.page, PROT_NONE), 0);
    g.line = g.map + g.page - len;
    memcpy(g.line, line, len);
    return g;
}

static void guard_free(struct guarded *g)
{
    munmap(g->map, 2 * (size_t)g->page);
}

static size_t case_len(const struct reject_case *c)
{
    return c->len ? c->len : strlen(c->line);
}

/* Each reject case, flush against a guard page: -1, the message untouched,
 * and a reason containing the expected words. */
START_TEST(test_reject)
{
    const struct reject_case *c = &rejects[_i];
    size_t len = case_len(c);
    struct guarded g = guard_line(c->line, len);
    struct msg m;
    memset(&m, 0x5a, sizeof m);
    char why[256] = "";
    int rc = parse_line(g.line, len, &m, why, sizeof why);
    ck_assert_msg(rc == -1, "case %d: expected the line to be rejected (\"%s\"), got rc %d",
                  _i, c->reason, rc);
    ck_assert_msg(strstr(why, c->reason), "case %d: expected a reason containing \"%s\", got \"%s\"",
                  _i, c->reason, why);
    ck_assert_msg(m.key[0] == 0x5a && m.op == (enum op)0x5a5a5a5a,
                  "case %d: a rejected line must leave the message untouched", _i);
    guard_free(&g);
}
END_TEST

START_TEST(test_accept)
{
    const struct accept_case *c = &accepts[_i];
    size_t len = strlen(c->line);
    struct guarded g = guard_line(c->line, len);
    struct msg m;
    memset(&m, 0, sizeof m);
    m.seq = 77;
    char why[256] = "";
    int rc = parse_line(g.line, len, &m, why, sizeof why);
    ck_assert_msg(rc == 0, "case %d '%s': expected accepted, got rejected: %s", _i, c->line, why);
    ck_assert_str_eq(m.key, c->key);
    ck_assert_uint_eq(m.key_len, strlen(c->key));
    ck_assert_msg(m.op == c->op, "'%s': expected op %s, got %s", c->line, op_name(c->op), op_name(m.op));
    ck_assert_int_eq(m.has_value, c->has_value);
    double want = strtod(c->value, NULL);
    ck_assert_msg(memcmp(&m.value, &want, sizeof want) == 0,
                  "'%s': expected value %.17g, got %.17g", c->line, want, m.value);
    ck_assert_uint_eq(m.seq, 77);       /* the parser leaves seq alone */
    guard_free(&g);
}
END_TEST

START_TEST(test_key_length)
{
    struct msg m;
    char why[128];
    ck_assert_int_eq(parse_line(K31 ",START,", strlen(K31 ",START,"), &m, why, sizeof why), 0);
    ck_assert_uint_eq(m.key_len, 31);
    ck_assert_int_eq(parse_line(K32 ",START,", strlen(K32 ",START,"), &m, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "key longer than 31"), "expected 'key longer than 31', got '%s'", why);
    ck_assert(key_valid(K31, 31));
    ck_assert(!key_valid(K32, 32));
    ck_assert(!key_valid("", 0));
}
END_TEST

/* A reason is always NUL-terminated within whylen, and a NULL why is allowed. */
START_TEST(test_reason_buffer)
{
    struct msg m;
    char why[8];
    memset(why, 'x', sizeof why);
    ck_assert_int_eq(parse_line("k1,DATA,hello", 13, &m, why, sizeof why), -1);
    ck_assert_uint_eq(strlen(why), sizeof why - 1);
    ck_assert_int_eq(parse_line("k1,DATA,hello", 13, &m, NULL, 0), -1);
    /* A very long bad value is shown shortened, on one line. */
    char line[600] = "k1,DATA,";
    memset(line + 8, 'z', 500);
    char big[256];
    ck_assert_int_eq(parse_line(line, 508, &m, big, sizeof big), -1);
    ck_assert_msg(strstr(big, "...' is not a decimal number") && strlen(big) < 100,
                  "expected a shortened value in the reason, got '%s'", big);
}
END_TEST

START_TEST(test_skipped)
{
    ck_assert(parse_is_skipped("", 0));
    ck_assert(parse_is_skipped("#", 1));
    ck_assert(parse_is_skipped("# a comment, with, commas", 25));
    ck_assert(!parse_is_skipped(" #", 2));
    ck_assert(!parse_is_skipped("k1,START,", 9));
    ck_assert(!parse_is_skipped("\r", 1));
}
END_TEST

/* ---------------------------------------------------------- the line reader */

static FILE *file_with(const char *bytes, size_t n)
{
    FILE *f = tmpfile();
    ck_assert_msg(f != NULL, "tmpfile failed");
    ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
    rewind(f);
    return f;
}

START_TEST(test_lines_max_length)
{
    size_t n = 2 * LINE_MAX_BYTES + 16;
    char *text = malloc(n + 32);
    size_t o = 0;
    memset(text + o, 'a', LINE_MAX_BYTES);          /* line 1: exactly 4096 bytes */
    o += LINE_MAX_BYTES;
    text[o++] = '\n';
    memset(text + o, 'b', LINE_MAX_BYTES + 1);      /* line 2: 4097 bytes */
    o += LINE_MAX_BYTES + 1;
    text[o++] = '\n';
    memcpy(text + o, "k1,START,\n", 10);            /* line 3: read whole after the long one */
    o += 10;
    FILE *f = file_with(text, o);
    struct lines *l = lines_new(f);
    const char *line;
    size_t len;
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_OK);
    ck_assert_uint_eq(len, LINE_MAX_BYTES);
    ck_assert(line[0] == 'a' && line[LINE_MAX_BYTES - 1] == 'a');
    ck_assert_uint_eq(lines_number(l), 1);
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_TOO_LONG);
    ck_assert_uint_eq(lines_number(l), 2);
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_OK);
    ck_assert_uint_eq(lines_number(l), 3);
    ck_assert_uint_eq(len, 9);
    ck_assert(memcmp(line, "k1,START,", 9) == 0);
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_EOF);
    lines_free(l);
    fclose(f);
    free(text);
}
END_TEST

/* A too-long last line without a newline is still one too-long line. */
START_TEST(test_lines_too_long_at_eof)
{
    size_t n = 3 * LINE_MAX_BYTES;
    char *text = malloc(n);
    memset(text, 'x', n);
    FILE *f = file_with(text, n);
    struct lines *l = lines_new(f);
    const char *line;
    size_t len;
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_TOO_LONG);
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_EOF);
    ck_assert_uint_eq(lines_number(l), 1);
    lines_free(l);
    fclose(f);
    free(text);
}
END_TEST

START_TEST(test_lines_last_without_newline)
{
    FILE *f = file_with("k1,START,\n\nk2,DATA,1", 20);
    struct lines *l = lines_new(f);
    const char *line;
    size_t len;
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_OK);
    ck_assert_uint_eq(len, 9);
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_OK);      /* the blank line */
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_OK);
    ck_assert_uint_eq(len, 9);
    ck_assert(memcmp(line, "k2,DATA,1", 9) == 0);
    ck_assert_uint_eq(lines_number(l), 3);
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_EOF);
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_EOF);      /* and stays there */
    lines_free(l);
    fclose(f);

    f = file_with("", 0);
    l = lines_new(f);
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_EOF);
    ck_assert_uint_eq(lines_number(l), 0);
    lines_free(l);
    fclose(f);
}
END_TEST

/* A NUL byte is data: it stays in the line (len counts it) and the parser
 * then rejects the line, instead of a C string silently cutting it short. */
START_TEST(test_lines_nul_byte)
{
    FILE *f = file_with("k1,DA\0TA,1\nk1,DATA,1\n", 21);
    struct lines *l = lines_new(f);
    const char *line;
    size_t len;
    struct msg m;
    char why[128];
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_OK);
    ck_assert_uint_eq(len, 10);
    ck_assert(line[5] == '\0');
    ck_assert_int_eq(parse_line(line, len, &m, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "unknown op 'DA\\x00TA'"), "got '%s'", why);
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_OK);
    ck_assert_int_eq(parse_line(line, len, &m, why, sizeof why), 0);
    lines_free(l);
    fclose(f);
}
END_TEST

START_TEST(test_lines_crlf)
{
    FILE *f = file_with("k1,START,\r\n", 11);
    struct lines *l = lines_new(f);
    const char *line;
    size_t len;
    struct msg m;
    char why[128];
    ck_assert_int_eq(lines_next(l, &line, &len), LINES_OK);
    ck_assert_uint_eq(len, 10);         /* the '\r' is kept, so the parser can say why */
    ck_assert_int_eq(parse_line(line, len, &m, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "CRLF"), "got '%s'", why);
    lines_free(l);
    fclose(f);
}
END_TEST

START_TEST(test_op_names)
{
    for (int i = 0; i < OP_COUNT; i++) {
        enum op o;
        const char *name = op_name((enum op)i);
        ck_assert_int_eq(op_parse(name, strlen(name), &o), 0);
        ck_assert_int_eq(o, i);
    }
    enum op o;
    ck_assert_int_eq(op_parse("DAT", 3, &o), -1);
    ck_assert_int_eq(op_parse("DATA", 3, &o), -1);
    ck_assert_str_eq(op_name(OP_COUNT), "?");
}
END_TEST

/* msg_format prints the shortest value that reads back exactly, and its
 * output parses back to the same message. */
START_TEST(test_format_round_trip)
{
    static const struct { double v; const char *text; } cases[] = {
        { 12.34, "12.34" }, { 0.1, "0.1" }, { -50, "-50" }, { 1e300, "1e+300" },
        { 0.1 + 0.2, "0.30000000000000004" }, { -0.0, "-0" }, { 5e-324, "4.94065645841247e-324" },
        { 1.0 / 3.0, "0.3333333333333333" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct msg m = { .op = OP_DATA, .has_value = true, .value = cases[i].v }, back;
        msg_set_key(&m, "k0001", 5);
        char buf[128], want[128], why[128];
        snprintf(want, sizeof want, "k0001,DATA,%s\n", cases[i].text);
        int n = msg_format(&m, buf, sizeof buf);
        ck_assert_msg(n == (int)strlen(want) && strcmp(buf, want) == 0,
                      "expected \"%s\" (%zu bytes), got \"%s\" (%d)", want, strlen(want), buf, n);
        ck_assert_int_eq(parse_line(buf, (size_t)n - 1, &back, why, sizeof why), 0);
        ck_assert_msg(memcmp(&back.value, &m.value, sizeof m.value) == 0, "%s read back as %.17g",
                      buf, back.value);
    }
    struct msg s = { .op = OP_START };
    msg_set_key(&s, "k0001", 5);
    char buf[64];
    ck_assert_int_eq(msg_format(&s, buf, sizeof buf), 13);
    ck_assert_str_eq(buf, "k0001,START,\n");
    ck_assert_int_eq(msg_format(&s, buf, 13), -1);      /* one byte short for the NUL */
}
END_TEST

/* One TCase per behaviour, each with its own timeout; a table case runs once per row. */
static Suite *parse_suite(void)
{
    const struct kit_case cases[] = {
        { "key_length", test_key_length, 10 },
        { "reason_buffer", test_reason_buffer, 10 },
        { "skipped", test_skipped, 10 },
        { "lines_max_length", test_lines_max_length, 10 },
        { "lines_too_long_at_eof", test_lines_too_long_at_eof, 10 },
        { "lines_last_without_newline", test_lines_last_without_newline, 10 },
        { "lines_nul_byte", test_lines_nul_byte, 10 },
        { "lines_crlf", test_lines_crlf, 10 },
        { "op_names", test_op_names, 10 },
        { "format_round_trip", test_format_round_trip, 10 },
    };
    Suite *s = kit_suite("parse", cases, KIT_NELEM(cases));
    tcase_add_loop_test(kit_tcase(s, "reject", 10), test_reject, 0, NREJECTS);
    tcase_add_loop_test(kit_tcase(s, "accept", 10), test_accept, 0, NACCEPTS);
    return s;
}

KIT_TEST_MAIN(parse_suite)
