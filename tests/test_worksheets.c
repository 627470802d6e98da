/* test_worksheets.c: scripts/fill-worksheets.sh, the filler behind `make
 * worksheets`: a blank becomes the student's number with its source, a missing
 * CSV names the make target that writes it, a lecture claim the machine cannot
 * show says so, and the shipped worksheets only use SPEC §8 columns.
 * The scripts are found under $KIT_ROOT (default: the current directory, the
 * repository root when run by `make test`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kit_test.h"

static const char *root(void)
{
    const char *r = getenv("KIT_ROOT");
    return r && *r ? r : ".";
}

static char *path_in(const char *dir, const char *name)
{
    char *p;
    ck_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

/* A scaling CSV as the experiment writes it, measured on 2 cores. */
static const char scaling_csv[] =
    "# date=2026-11-23T10:00:00Z\n"
    "# cores=2\n"
    "# commit=0123456789ab\n"
    "# cmd=experiments/scaling.sh\n"
    "mode,workers,work,messages,seconds,msgs_per_s,speedup\n"
    "processes,1,200,100000,2.0,50000,1\n"
    "processes,2,200,100000,1.04,96153.8,1.923\n"
    "threads-global,2,200,100000,2.1,47619,0.952\n"
    "threads-sharded,2,200,100000,1.1,90909.09,1.818\n";

/* hyperfine quotes a command that holds a comma. */
static const char hyperfine_csv[] =
    "# cores=2\n"
    "command,mean_s,stddev_s,min_s,max_s\n"
    "\"bin/clean_order --threads 2, busy\",1.50,0.01,1.49,1.52\n"
    "bin/clean_order --processes 2,0.75,0.01,0.74,0.77\n";

struct fixture {
    char *dir, *results, *out, *sheet;
};

static void fixture_make(struct fixture *f, const char *sheet_text)
{
    f->dir = kit_tmpdir();
    ck_assert_msg(f->dir != NULL, "cannot make a temporary directory");
    f->results = path_in(f->dir, "results");
    f->out = path_in(f->dir, "filled");
    f->sheet = path_in(f->dir, "sheet.md");
    ck_assert_int_eq(mkdir(f->results, 0700), 0);
    char *p = path_in(f->results, "scaling.csv");
    ck_assert_int_eq(kit_write_file(p, scaling_csv), 0);
    free(p);
    p = path_in(f->results, "threads_vs_processes.csv");
    ck_assert_int_eq(kit_write_file(p, hyperfine_csv), 0);
    free(p);
    ck_assert_int_eq(kit_write_file(f->sheet, sheet_text), 0);
}

static void fixture_free(struct fixture *f)
{
    kit_rmtree(f->dir);
    free(f->dir), free(f->results), free(f->out), free(f->sheet);
}

/* Run the filler on the fixture; returns the filled sheet (malloc'd). */
static char *fill(struct fixture *f, struct kit_run *r)
{
    char *script = path_in(root(), "scripts/fill-worksheets.sh");
    ck_assert_int_eq(kit_run(r, NULL, 30, "/bin/bash", script, "--results", f->results,
                             "--out", f->out, f->sheet, NULL), 0);
    free(script);
    char *filled = path_in(f->out, "sheet.md");
    char *text = kit_read_file(filled, NULL);
    free(filled);
    return text;
}

#define assert_has(text, needle) \
    ck_assert_msg(strstr(text, needle) != NULL, "expected the filled sheet to contain\n  %s\ngot:\n%s", needle, text)

START_TEST(test_cell_and_source)
{
    struct fixture f;
    fixture_make(&f, "# Sheet\n\nSpeedup: {{scaling.speedup where mode=processes, workers=2}}.\n"
                     "Rate: {{scaling.msgs_per_s where mode=processes,workers=2 | %.1f}}\n");
    struct kit_run r;
    char *text = fill(&f, &r);
    ck_assert_msg(r.status == 0, "expected exit 0, got %d: %s", r.status, r.err);
    ck_assert_ptr_nonnull(text);
    assert_has(text, "Speedup: **1.92** [1].");
    assert_has(text, "Rate: **96153.8** [2]");
    assert_has(text, "[1] results/scaling.csv line 7: mode=processes, workers=2, work=200");
    assert_has(text, "Filled by `make worksheets`");
    ck_assert_msg(strstr(text, "{{") == NULL, "a blank was left unfilled:\n%s", text);
    free(text);
    kit_run_free(&r);
    fixture_free(&f);
}
END_TEST

START_TEST(test_aggregates_and_ratio)
{
    struct fixture f;
    fixture_make(&f, "# Sheet\n"
                     "max {{max scaling.speedup}} min {{min scaling.msgs_per_s where workers=2}}\n"
                     "mean {{mean scaling.seconds where workers=2}} count {{count scaling.mode where workers=2}}\n"
                     "median {{median scaling.speedup}}\n"
                     "ratio {{ratio scaling.msgs_per_s where mode=processes, workers=2 over "
                     "scaling.msgs_per_s where mode=threads-global, workers=2}}\n"
                     "cores {{meta scaling cores}}\n");
    struct kit_run r;
    char *text = fill(&f, &r);
    ck_assert_msg(r.status == 0, "expected exit 0, got %d: %s", r.status, r.err);
    assert_has(text, "max **1.92** [1]");
    assert_has(text, "found at line 7");
    assert_has(text, "min **47619** [2]");
    assert_has(text, "mean **1.41** [3]");         /* (1.04 + 2.1 + 1.1) / 3 */
    assert_has(text, "count **3** [4]");
    assert_has(text, "median **1.41** [5]");       /* (1 + 1.818) / 2 */
    assert_has(text, "ratio **2.02** [6]");        /* 96153.8 / 47619 */
    assert_has(text, "cores **2** [7]");
    assert_has(text, "[7] results/scaling.csv metadata line '# cores=2'");
    free(text);
    kit_run_free(&r);
    fixture_free(&f);
}
END_TEST

START_TEST(test_missing_csv_and_row)
{
    struct fixture f;
    fixture_make(&f, "# Sheet\n"
                     "a {{ipc_size.round_trip_us where transport=pipe, bytes=100, pinned=1}}\n"
                     "b {{scaling.speedup where mode=processes, workers=16}}\n"
                     "c {{scaling.no_such_column}}\n");
    struct kit_run r;
    char *text = fill(&f, &r);
    ck_assert_msg(r.status == 0, "expected exit 0, got %d: %s", r.status, r.err);
    assert_has(text, "a _(no results/ipc_size.csv yet: run make results/ipc_size.csv)_");
    assert_has(text, "b _(no row of results/scaling.csv has mode=processes, workers=16");
    assert_has(text, "c _(results/scaling.csv has no column no_such_column)_");
    free(text);
    kit_run_free(&r);
    fixture_free(&f);
}
END_TEST

START_TEST(test_claims_use_cores)
{
    struct fixture f;
    fixture_make(&f, "# Sheet\n"
                     "> {{claim scaling cores>=16: sixteen workers, sixteen times one}}\n"
                     "> {{claim scaling cores>=2: two workers, twice one}}\n"
                     "> {{claim batching cores>=4: four workers}}\n");
    struct kit_run r;
    char *text = fill(&f, &r);
    ck_assert_msg(r.status == 0, "expected exit 0, got %d: %s", r.status, r.err);
    assert_has(text, "> **Not on this machine.** The lecture's claim (sixteen workers, sixteen times one) "
                     "needs at least 16 cores; results/scaling.csv was measured on 2");
    assert_has(text, "> **This machine can test it.** results/scaling.csv was measured on 2 cores");
    assert_has(text, "> _(no results/batching.csv yet: run make results/batching.csv)_");
    free(text);
    kit_run_free(&r);
    fixture_free(&f);
}
END_TEST

START_TEST(test_quoted_fields_and_escape)
{
    struct fixture f;
    fixture_make(&f, "# Sheet\n"
                     "t2 {{threads_vs_processes.mean_s where command~threads 2}}\n"
                     "p2 {{threads_vs_processes.mean_s where command~processes 2}}\n"
                     "literal \\{{scaling.speedup}}\n");
    struct kit_run r;
    char *text = fill(&f, &r);
    ck_assert_msg(r.status == 0, "expected exit 0, got %d: %s", r.status, r.err);
    assert_has(text, "t2 **1.50** [1]");
    assert_has(text, "p2 **0.75** [2]");
    assert_has(text, "command=bin/clean_order --threads 2, busy");
    assert_has(text, "literal {{scaling.speedup}}");
    free(text);
    kit_run_free(&r);
    fixture_free(&f);
}
END_TEST

START_TEST(test_malformed_blank)
{
    struct fixture f;
    fixture_make(&f, "# Sheet\n\nbad {{scaling speedup}}\n");
    struct kit_run r;
    char *text = fill(&f, &r);
    ck_assert_msg(r.status == 1, "expected exit 1 for a malformed blank, got %d", r.status);
    ck_assert_msg(strstr(r.err, "sheet.md:3: expected NAME.COLUMN") != NULL,
                  "expected the reason with file:line on stderr, got: %s", r.err);
    assert_has(text, "bad _(malformed blank: expected NAME.COLUMN");
    free(text);
    kit_run_free(&r);
    fixture_free(&f);
}
END_TEST

/* Occurrences of needle in text. */
static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Refilling keeps what the student wrote under each "_Your answer:_". */
START_TEST(test_answers_survive_refill)
{
    struct fixture f;
    fixture_make(&f, "# Sheet\n\n**A1.** Speedup {{scaling.speedup where mode=processes, workers=2}}?\n\n"
                     "_Your answer:_\n\n**A2.** Why?\n\n_Your answer:_\n\n## More\n");
    struct kit_run r;
    char *text = fill(&f, &r);
    kit_run_free(&r);
    /* The student answers A1 in the filled copy... */
    char *filled = path_in(f.out, "sheet.md");
    char *answered = NULL;
    const char *at = strstr(text, "_Your answer:_\n");
    ck_assert_ptr_nonnull(at);
    ck_assert(asprintf(&answered, "%.*s_Your answer:_\n\nTwo cores, so about 2x.\nSee [1].\n%s",
                       (int)(at - text), text, at + strlen("_Your answer:_\n")) > 0);
    ck_assert_int_eq(kit_write_file(filled, answered), 0);
    free(text);
    /* ...then new results arrive and the sheet is filled again. */
    char *csv = path_in(f.results, "scaling.csv");
    char *newer = strdup(scaling_csv);
    char *p = strstr(newer, "1.923");
    memcpy(p, "1.987", 5);
    ck_assert_int_eq(kit_write_file(csv, newer), 0);
    text = fill(&f, &r);
    ck_assert_msg(r.status == 0, "expected exit 0, got %d: %s", r.status, r.err);
    assert_has(text, "**A1.** Speedup **1.99** [1]?\n\n_Your answer:_\n\nTwo cores, so about 2x.\nSee [1].\n\n**A2.**");
    assert_has(text, "**A2.** Why?\n\n_Your answer:_\n\n## More\n");
    ck_assert_msg(strstr(r.err, "kept your answers to 1 question(s)") != NULL, "expected a note on stderr, got: %s", r.err);
    char *bak = path_in(f.out, "sheet.md.bak");
    char *old = kit_read_file(bak, NULL);
    ck_assert_msg(old && strcmp(old, answered) == 0, "the previous copy must be kept as %s", bak);
    free(old), free(bak), free(csv), free(newer), free(answered), free(filled), free(text);
    kit_run_free(&r);
    fixture_free(&f);
}
END_TEST

static const char *const shipped[] = {
    "worksheets/phase1.md", "worksheets/phase2.md", "worksheets/phase3.md",
    "worksheets/taskqueue_batch.md",
    "worksheets/phase5.md", "worksheets/phase4.md",
};
#define NSHIPPED (int)(sizeof shipped / sizeof shipped[0])

/* Every blank of a shipped worksheet parses and names only SPEC §8 columns. */
START_TEST(test_shipped_sheets_lint)
{
    char *script = path_in(root(), "scripts/fill-worksheets.sh");
    char *sheet = path_in(root(), shipped[_i]);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 30, "/bin/bash", script, "--lint", sheet, NULL), 0);
    ck_assert_msg(r.status == 0, "%s: expected every blank to be well-formed, got exit %d:\n%s",
                  shipped[_i], r.status, r.err);
    kit_run_free(&r);
    free(script);
    free(sheet);
}
END_TEST

/* Without any results, every blank of a shipped sheet tells the student what to run. */
START_TEST(test_shipped_sheets_without_results)
{
    struct fixture f;
    fixture_make(&f, "");
    char *empty = path_in(f.dir, "none");
    ck_assert_int_eq(mkdir(empty, 0700), 0);
    char *script = path_in(root(), "scripts/fill-worksheets.sh");
    char *sheet = path_in(root(), shipped[_i]);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 30, "/bin/bash", script, "--results", empty, "--out", f.out,
                             sheet, NULL), 0);
    ck_assert_msg(r.status == 0, "expected exit 0, got %d: %s", r.status, r.err);
    const char *base = strrchr(shipped[_i], '/') + 1;
    char *filled = path_in(f.out, base);
    char *text = kit_read_file(filled, NULL);
    ck_assert_msg(text != NULL, "no filled copy %s", filled);
    /* Only the escaped examples (\\{{) may still show braces. */
    char *src = kit_read_file(sheet, NULL);
    ck_assert_int_eq(count(text, "{{"), count(src, "\\{{"));
    free(src);
    ck_assert_msg(strstr(text, "run make results/") != NULL, "%s: expected 'run make results/...' notes", base);
    free(text);
    free(filled);
    free(script);
    free(sheet);
    free(empty);
    kit_run_free(&r);
    fixture_free(&f);
}
END_TEST

static Suite *worksheets_suite(void)
{
    Suite *s = suite_create("worksheets");
    struct { const char *name; const TTest *fn; int loops; } cases[] = {
        { "cell_and_source", test_cell_and_source, 1 },
        { "aggregates_and_ratio", test_aggregates_and_ratio, 1 },
        { "missing_csv_and_row", test_missing_csv_and_row, 1 },
        { "claims_use_cores", test_claims_use_cores, 1 },
        { "quoted_fields_and_escape", test_quoted_fields_and_escape, 1 },
        { "malformed_blank", test_malformed_blank, 1 },
        { "answers_survive_refill", test_answers_survive_refill, 1 },
        { "shipped_sheets_lint", test_shipped_sheets_lint, NSHIPPED },
        { "shipped_sheets_without_results", test_shipped_sheets_without_results, NSHIPPED },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 30);
        tcase_add_loop_test(tc, cases[i].fn, 0, cases[i].loops);
        suite_add_tcase(s, tc);
    }
    return s;
}

KIT_TEST_MAIN(worksheets_suite)
