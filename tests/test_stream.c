/* test_stream.c: one stream over a file, stdin or the built-in source; every
 * malformed line reported as "INPUT:LINE: reason", counted, and never handed
 * to the caller. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kit_test.h"
#include "stream.h"

/* Lines 1..12: good, comment, blank, bad, too long, CRLF, last without '\n'. */
static char *mixed_input(void)
{
    size_t cap = LINE_MAX_BYTES + 512, o = 0;
    char *t = malloc(cap);
    o += (size_t)sprintf(t + o, "# a comment, with, commas\n");         /* 1 skipped */
    o += (size_t)sprintf(t + o, "k1,START,\n");                         /* 2 good */
    o += (size_t)sprintf(t + o, "\n");                                  /* 3 skipped */
    o += (size_t)sprintf(t + o, "k1,DATA,12.5\n");                      /* 4 good */
    o += (size_t)sprintf(t + o, "k1,DATA\n");                           /* 5 bad */
    o += (size_t)sprintf(t + o, "k!,DATA,1\n");                         /* 6 bad */
    memset(t + o, 'x', LINE_MAX_BYTES + 1);                             /* 7 too long */
    o += LINE_MAX_BYTES + 1;
    t[o++] = '\n';
    o += (size_t)sprintf(t + o, "k2,PAUSE,\r\n");                       /* 8 CRLF */
    o += (size_t)sprintf(t + o, "k2,DATA,1e999\n");                     /* 9 bad */
    o += (size_t)sprintf(t + o, "#\n");                                 /* 10 skipped */
    o += (size_t)sprintf(t + o, "k2,Stop,\n");                          /* 11 bad */
    o += (size_t)sprintf(t + o, "k2,STOP,-0.5");                        /* 12 good, no newline */
    t[o] = '\0';
    return t;
}

static const char *expected_report(const char *name, char *buf, size_t len)
{
    static const char *const lines[] = {
        "5: expected 3 fields, got 2",
        "6: key has invalid character '!'",
        "7: line longer than 4096 bytes",
        "8: carriage return (CRLF line ending) at the end of the line",
        "9: value '1e999' is not finite",
        "11: unknown op 'Stop'",
    };
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof lines / sizeof lines[0] && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s:%s\n", name, lines[i]);
    return buf;
}

static void check_good_messages(struct stream *s)
{
    static const struct { const char *key; enum op op; int has_value; double value; } want[] = {
        { "k1", OP_START, 0, 0 }, { "k1", OP_DATA, 1, 12.5 }, { "k2", OP_STOP, 1, -0.5 },
    };
    struct msg m;
    for (size_t i = 0; i < 3; i++) {
        ck_assert_msg(stream_next(s, &m) == 1, "expected good message %zu", i);
        ck_assert_msg(strcmp(m.key, want[i].key) == 0 && m.op == want[i].op &&
                      m.has_value == want[i].has_value && m.value == want[i].value,
                      "message %zu: expected %s,%s,%g got %s,%s,%g", i, want[i].key,
                      op_name(want[i].op), want[i].value, m.key, op_name(m.op), m.value);
        ck_assert_uint_eq(m.seq, i);    /* seq counts valid messages only */
        ck_assert(m.payload == NULL && m.payload_len == 0);
    }
    ck_assert_int_eq(stream_next(s, &m), 0);
    ck_assert_int_eq(stream_next(s, &m), 0);
    ck_assert_uint_eq(stream_delivered(s), 3);
    ck_assert_uint_eq(stream_rejected(s), 6);
}

START_TEST(test_file)
{
    char *dir = kit_tmpdir(), path[512], *text = mixed_input();
    snprintf(path, sizeof path, "%s/in.txt", dir);
    ck_assert_int_eq(kit_write_file(path, text), 0);
    int fds = kit_count_fds();

    char *rep = NULL;
    size_t rep_len = 0;
    FILE *report = open_memstream(&rep, &rep_len);
    struct stream_opts o = { .input = path, .report = report };
    char err[256];
    struct stream *s = stream_open(&o, err, sizeof err);
    ck_assert_msg(s != NULL, "stream_open: %s", err);
    ck_assert_str_eq(stream_name(s), path);
    check_good_messages(s);
    stream_close(s);
    fclose(report);
    ck_assert_int_eq(kit_count_fds(), fds);

    char want[2048];
    expected_report(path, want, sizeof want);
    ck_assert_msg(strcmp(rep, want) == 0, "report: expected\n%s\ngot\n%s", want, rep);
    free(rep);
    free(text);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* "-" reads stdin and names it "-" in reports. Check runs each test in its own
 * child, so replacing this process's stdin is safe. */
START_TEST(test_stdin)
{
    char *dir = kit_tmpdir(), path[512], *text = mixed_input();
    snprintf(path, sizeof path, "%s/in.txt", dir);
    ck_assert_int_eq(kit_write_file(path, text), 0);
    ck_assert(freopen(path, "r", stdin) != NULL);

    char *rep = NULL;
    size_t rep_len = 0;
    FILE *report = open_memstream(&rep, &rep_len);
    struct stream_opts o = { .input = "-", .report = report };
    char err[256];
    struct stream *s = stream_open(&o, err, sizeof err);
    ck_assert_msg(s != NULL, "stream_open(\"-\"): %s", err);
    ck_assert_str_eq(stream_name(s), "-");
    check_good_messages(s);
    stream_close(s);
    fclose(report);
    ck_assert_msg(fcntl(0, F_GETFD) >= 0, "stream_close closed stdin");

    char want[2048];
    expected_report("-", want, sizeof want);
    ck_assert_msg(strcmp(rep, want) == 0, "report: expected\n%s\ngot\n%s", want, rep);
    free(rep);
    free(text);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(test_open_errors)
{
    char err[256];
    struct stream_opts o = { .input = "/nonexistent/x.txt" };
    errno = 0;
    ck_assert(stream_open(&o, err, sizeof err) == NULL);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_str_eq(err, "cannot open '/nonexistent/x.txt': No such file or directory");

    int fds = kit_count_fds();
    o.input = "/";
    ck_assert(stream_open(&o, err, sizeof err) == NULL);
    ck_assert_msg(strstr(err, "Is a directory"), "got '%s'", err);
    ck_assert_int_eq(kit_count_fds(), fds);

    o.input = NULL;
    o.src = (struct source_opts){ .messages = 1, .keys = 0 };
    ck_assert(stream_open(&o, err, sizeof err) == NULL);
    ck_assert_msg(strstr(err, "built-in source"), "got '%s'", err);
    stream_close(NULL);
}
END_TEST

/* The built-in source through a stream: the same messages as source_next. */
START_TEST(test_builtin)
{
    struct stream_opts o = { .src = { .messages = 500, .keys = 20, .dist = DIST_ZIPF,
                                      .zipf_s = 1.1, .seed = 9, .payload = 16 } };
    char err[256];
    struct stream *s = stream_open(&o, err, sizeof err);
    struct source *src = source_new(&o.src);
    ck_assert(s && src);
    ck_assert_str_eq(stream_name(s), "built-in");
    struct msg a, b;
    uint64_t n = 0;
    while (stream_next(s, &a) == 1) {
        ck_assert_int_eq(source_next(src, &b), 1);
        ck_assert(strcmp(a.key, b.key) == 0 && a.op == b.op && a.value == b.value);
        ck_assert_uint_eq(a.seq, n++);
        ck_assert(a.payload_len == 16 && memcmp(a.payload, b.payload, 16) == 0);
    }
    ck_assert_uint_eq(n, 500);
    ck_assert_int_eq(source_next(src, &b), 0);
    ck_assert_uint_eq(stream_delivered(s), 500);
    ck_assert_uint_eq(stream_rejected(s), 0);
    stream_close(s);
    source_free(src);
}
END_TEST

/* An empty file and a file of only comments: no messages, nothing rejected. */
START_TEST(test_empty)
{
    char *dir = kit_tmpdir(), path[512], err[256];
    snprintf(path, sizeof path, "%s/empty.txt", dir);
    static const char *texts[] = { "", "# only\n#comments\n\n" };
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(kit_write_file(path, texts[i]), 0);
        struct stream_opts o = { .input = path };
        struct stream *s = stream_open(&o, err, sizeof err);
        struct msg m;
        ck_assert_int_eq(stream_next(s, &m), 0);
        ck_assert_uint_eq(stream_rejected(s), 0);
        stream_close(s);
    }
    kit_rmtree(dir);
    free(dir);
}
END_TEST

static Suite *stream_suite(void)
{
    const struct kit_case cases[] = {
        { "file", test_file, 10 },
        { "stdin", test_stdin, 10 },
        { "open_errors", test_open_errors, 10 },
        { "builtin", test_builtin, 10 },
        { "empty", test_empty, 10 },
    };
    return kit_suite("stream", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(stream_suite)
