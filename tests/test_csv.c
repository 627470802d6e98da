/* test_csv.c: the SPEC §6 metadata lines come first, each starting with '#',
 * the command line reads back through a shell, and fields are quoted per RFC 4180. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "kit_test.h"

/* Run fn on a memory stream and return what it wrote (malloc'd). */
static char *capture_meta(int argc, char *const argv[])
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(csv_meta(f, argc, argv), 0);
    fputs("messages,seconds,msgs_per_s\n1,2,0.5\n", f);
    ck_assert_int_eq(fclose(f), 0);
    return text;
}

START_TEST(test_meta_lines)
{
    char *argv[] = { "bin/phase3", "--workers", "2", "--csv", NULL };
    char *text = capture_meta(4, argv);
    static const char *const names[] = { "# date=", "# cores=", "# machine=", "# commit=", "# cmd=" };
    char *save, *line = strtok_r(text, "\n", &save);
    for (int i = 0; i < 5; i++, line = strtok_r(NULL, "\n", &save)) {
        ck_assert_msg(line && strncmp(line, names[i], strlen(names[i])) == 0,
                      "line %d: expected to start with \"%s\", got \"%s\"", i + 1, names[i], line ? line : "(none)");
        ck_assert_msg(strlen(line) > strlen(names[i]), "line %d: \"%s\" has no value", i + 1, line);
    }
    ck_assert_msg(line && strcmp(line, "messages,seconds,msgs_per_s") == 0,
                  "expected the header right after the metadata, got \"%s\"", line ? line : "(none)");
    free(text);

    text = capture_meta(4, argv);
    int y, mo, d, h, mi, s;
    char z;
    ck_assert_msg(sscanf(text, "# date=%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) == 7 && z == 'Z',
                  "date is not ISO 8601 UTC: %.40s", text);
    char want[64];
    snprintf(want, sizeof want, "\n# cores=%ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    ck_assert_msg(strstr(text, want) != NULL, "expected \"%s\" in:\n%s", want + 1, text);
    ck_assert_msg(strstr(text, "\n# cmd=bin/phase3 --workers 2 --csv\n") != NULL, "cmd line wrong in:\n%s", text);
    free(text);
}
END_TEST

START_TEST(test_cmd_quoting)
{
    char *argv[] = { "prog", "plain", "two words", "it's", "tab\there", "new\nline", "", "$HOME", "a\\b", NULL };
    int argc = 9, fds = kit_count_fds();
    char *text = capture_meta(argc, argv);
    char *cmd = strstr(text, "# cmd=");
    ck_assert_ptr_nonnull(cmd);
    cmd += strlen("# cmd=");
    *strchr(cmd, '\n') = '\0';          /* the command stays on one line */
    ck_assert_str_eq(cmd, "prog plain 'two words' 'it'\\''s' $'tab\\there' $'new\\nline' '' '$HOME' 'a\\b'");

    /* Pasted into bash, the line gives back the same words. */
    char *script;
    ck_assert_int_ge(asprintf(&script, "printf '[%%s]' %s", cmd), 0);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 10, "/bin/bash", "-c", script, (char *)NULL), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "[prog][plain][two words][it's][tab\there][new\nline][][$HOME][a\\b]");
    kit_run_free(&r);
    free(script);
    free(text);
    kit_assert_clean(fds);
}
END_TEST

START_TEST(test_machine)
{
    char buf[512];
    ck_assert_ptr_eq(csv_machine(buf, sizeof buf), buf);
    ck_assert_msg(strstr(buf, " cores, ") != NULL && !strchr(buf, '\n'), "unexpected machine line: \"%s\"", buf);
    char small[8];
    csv_machine(small, sizeof small);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);     /* truncated, terminated */
}
END_TEST

static char *field(const char *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(csv_field(f, s), 0);
    fclose(f);
    return text;
}

START_TEST(test_field_quoting)
{
    static const struct { const char *in, *out; } cases[] = {
        { "plain", "plain" },
        { "", "" },
        { "a,b", "\"a,b\"" },
        { "say \"hi\"", "\"say \"\"hi\"\"\"" },
        { "two\nlines", "\"two\nlines\"" },
        { "cr\r", "\"cr\r\"" },
        { "with space", "with space" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = field(cases[i].in);
        ck_assert_msg(strcmp(got, cases[i].out) == 0, "csv_field(\"%s\"): expected [%s], got [%s]",
                      cases[i].in, cases[i].out, got);
        free(got);
    }
}
END_TEST

static Suite *csv_suite(void)
{
    const struct kit_case cases[] = {
        { "meta_lines", test_meta_lines, 10 },
        { "cmd_quoting", test_cmd_quoting, 20 },
        { "machine", test_machine, 10 },
        { "field_quoting", test_field_quoting, 10 },
    };
    return kit_suite("csv", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(csv_suite)
