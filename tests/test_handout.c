/* test_handout.c: the instructor's tools. scripts/handout.sh turns exercise
 * regions into TODO stubs (and refuses malformed markers); the rubric names
 * tests that exist; and, end to end, the student tree that `make handout` writes
 * builds and scores below full under `make grade` while the reference scores
 * full, and the handout's `make test` names the missing exercises.
 *
 * This suite is not shipped to students (handout.sh leaves it out). Its last
 * case builds a whole tree: it is slow, and kept as short as it can be (make
 * -j2; the reference is graded from the suites already built).
 * Scripts are found under $KIT_ROOT (default: the current directory). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kit_test.h"

static const char *root(void)
{
    const char *r = getenv("KIT_ROOT");
    return r && *r ? r : ".";
}

static char *cat(const char *a, const char *b)
{
    char *p;
    ck_assert(asprintf(&p, "%s/%s", a, b) > 0);
    return p;
}

/* Write text to dir/name, making the parent folders. */
static void put(const char *dir, const char *name, const char *text)
{
    char *p = cat(dir, name);
    for (size_t i = strlen(dir) + 1; p[i]; i++)
        if (p[i] == '/') {
            p[i] = '\0';
            mkdir(p, 0700);
            p[i] = '/';
        }
    ck_assert_msg(kit_write_file(p, text) == 0, "cannot write %s", p);
    free(p);
}

/* Copy a script of the kit into a fixture tree. */
static void put_script(const char *dir, const char *name)
{
    char *src = cat(root(), name);
    char *text = kit_read_file(src, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", src);
    put(dir, name, text);
    free(text);
    free(src);
}

#define assert_has(text, needle) \
    ck_assert_msg(strstr(text, needle) != NULL, "expected to find\n  %s\ngot:\n%.1500s", needle, text)

/* The markers of a region, assembled so that this file holds none itself. */
#define EX(id) "/" "* EXERCISE(" id "):"
#define END_EX "/" "* END EXERCISE *" "/"
#define STUB(code) "/" "* STUB: " code " *" "/"
#define TODO(id) "/" "* TODO(" id "):"

static const char good_a[] =
    "int pick(int key, int n);\n"
    "int pick(int key, int n)\n"
    "{\n"
    "    " EX("route-pick") " pick the worker that\n"
    "     * owns this key *" "/\n"
    "    " STUB("(void)key; (void)n;") "\n"
    "    " STUB("return 0;") "\n"
    "    return key % n;\n"
    "    " END_EX "\n"
    "}\n";

static const char good_b[] =
    "static int twice(int x)\n"
    "{\n"
    "    " EX("twice") " double it *" "/\n"
    "    return 2 * x;\n"
    "    " END_EX "\n"
    "}\n"
    "int unrelated(void);\n";

static const char fixture_rubric[] =
    "# PART | requirement | points | tests | exercises\n"
    "R3 | routing | 10 | test_route:pick | route-pick\n"
    "X | twice | 5 | test_twice:all | twice\n";

/* Make a fixture tree with handout.sh and grade.sh; returns its path. */
static char *fixture_tree(const char *a, const char *b)
{
    char *dir = kit_tmpdir();
    ck_assert_ptr_nonnull(dir);
    char *tree = cat(dir, "tree");
    free(dir);
    ck_assert_int_eq(mkdir(tree, 0700), 0);
    put_script(tree, "scripts/handout.sh");
    put_script(tree, "scripts/grade.sh");
    put(tree, "tests/rubric.txt", fixture_rubric);
    put(tree, "tests/test_route.c", "/* pick */\n");
    put(tree, "tests/test_twice.c", "/* all */\n");
    put(tree, "lib/a.c", a);
    put(tree, "lib/b.c", b);
    put(tree, "README.md", "# fixture\n");
    put(tree, "worksheets/INSTRUCTOR.md", "# for instructors only\n");
    return tree;
}

static void handout(const char *tree, struct kit_run *r, char **out)
{
    char *script = cat(tree, "scripts/handout.sh");
    *out = cat(tree, "../out");
    ck_assert_int_eq(kit_run(r, NULL, 60, "/bin/bash", script, *out, NULL), 0);
    free(script);
}

static void remove_fixture(char *tree)
{
    char *parent = cat(tree, "..");
    kit_rmtree(parent);
    free(parent);
    free(tree);
}

START_TEST(test_stubs_replace_regions)
{
    char *tree = fixture_tree(good_a, good_b), *out;
    struct kit_run r;
    handout(tree, &r, &out);
    ck_assert_msg(r.status == 0, "expected exit 0, got %d: %s", r.status, r.err);
    assert_has(r.out, "2 exercises");

    char *p = cat(out, "lib/a.c");
    char *a = kit_read_file(p, NULL);
    ck_assert_msg(a != NULL, "no %s", p);
    assert_has(a, "{\n    " TODO("route-pick") " pick the worker that owns this key *" "/\n"
                  "    (void)key; (void)n;\n    return 0;\n}\n");
    ck_assert_msg(strstr(a, "key % n") == NULL, "the reference code is still in the handout:\n%s", a);
    free(a), free(p);

    p = cat(out, "lib/b.c");
    char *b = kit_read_file(p, NULL);
    assert_has(b, "{\n    " TODO("twice") " double it *" "/\n}\nint unrelated(void);\n");
    free(b), free(p);

    p = cat(out, "worksheets/EXERCISES.md");
    char *list = kit_read_file(p, NULL);
    ck_assert_msg(list != NULL, "no %s", p);
    assert_has(list, "| `route-pick` | lib/a.c:4 | pick the worker that owns this key | R3 |");
    assert_has(list, "| `twice` | lib/b.c:3 | double it | X |");
    free(list), free(p);

    /* What only instructors get stays out; the handout has its own manifest. */
    p = cat(out, "worksheets/INSTRUCTOR.md");
    ck_assert_msg(access(p, F_OK) != 0, "%s was handed out", p);
    free(p);
    p = cat(out, "scripts/handout.sh");
    ck_assert_msg(access(p, F_OK) != 0, "%s was handed out", p);
    free(p);
    p = cat(out, "tests/MANIFEST.sha256");
    char *manifest = kit_read_file(p, NULL);
    ck_assert_msg(manifest != NULL, "no %s", p);
    assert_has(manifest, "  tests/rubric.txt\n");
    assert_has(manifest, "  tests/test_route.c\n");
    free(manifest), free(p);

    /* A second run replaces the previous handout. */
    kit_run_free(&r);
    free(out);
    handout(tree, &r, &out);
    ck_assert_msg(r.status == 0, "second run: expected exit 0, got %d: %s", r.status, r.err);
    kit_run_free(&r);
    free(out);
    remove_fixture(tree);
}
END_TEST

/* Malformed markers: the handout refuses, naming file and line. */
static const struct {
    const char *a;
    const char *reason;
} bad[] = {
    { "int f(void);\nint f(void)\n{\n    " EX("open") " never closed *" "/\n    return 1;\n}\n",
      "lib/a.c:4: exercise open is never closed" },
    { EX("outer") " x *" "/\n" EX("inner") " y *" "/\n" END_EX "\n",
      "lib/a.c:2: EXERCISE inside the region of outer" },
    { "int x;\n" END_EX "\n", "lib/a.c:2: END EXERCISE without an EXERCISE" },
    { STUB("return 0;") "\n", "lib/a.c:1: STUB outside an exercise region" },
    { EX("Bad_Id") " x *" "/\n" END_EX "\n", "lib/a.c:1: an exercise id is [a-z0-9-]+" },
    { EX("twice") " again *" "/\n" END_EX "\n", "exercise id(s) used twice: twice" },
};

START_TEST(test_bad_markers_refused)
{
    char *tree = fixture_tree(bad[_i].a, good_b), *out;
    struct kit_run r;
    handout(tree, &r, &out);
    ck_assert_msg(r.status == 1, "case %d: expected exit 1, got %d", _i, r.status);
    ck_assert_msg(strstr(r.err, bad[_i].reason) != NULL, "case %d: expected '%s' on stderr, got: %s",
                  _i, bad[_i].reason, r.err);
    kit_run_free(&r);
    free(out);
    remove_fixture(tree);
}
END_TEST

/* The rubric names suites and test cases that exist. */
START_TEST(test_rubric_lint)
{
    char *grade = cat(root(), "scripts/grade.sh");
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 30, "/bin/bash", grade, "--lint", NULL), 0);
    ck_assert_msg(r.status == 0, "expected a clean rubric, got exit %d:\n%s%s", r.status, r.out, r.err);
    assert_has(r.out, "points");
    kit_run_free(&r);
    free(grade);
}
END_TEST

/* The exercise ids of a handout, space-separated, from its EXERCISES.md. */
static char *exercise_ids(const char *out, int *n)
{
    char *p = cat(out, "worksheets/EXERCISES.md");
    char *list = kit_read_file(p, NULL);
    ck_assert_msg(list != NULL, "no %s", p);
    free(p);
    char *ids = calloc(1, strlen(list) + 1);
    *n = 0;
    for (char *l = strstr(list, "\n| `"); l; l = strstr(l + 1, "\n| `")) {
        char *s = l + 4, *e = strchr(s, '`');
        ck_assert_ptr_nonnull(e);
        if (*n)
            strcat(ids, ",");
        strncat(ids, s, (size_t)(e - s));
        (*n)++;
    }
    free(list);
    return ids;
}

/* The reference's markers are well formed and every exercise is graded. */
START_TEST(test_reference_markers)
{
    char *dir = kit_tmpdir(), *out = cat(dir, "handout");
    char *script = cat(root(), "scripts/handout.sh");
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 120, "/bin/bash", script, "--untracked", out, NULL), 0);
    ck_assert_msg(r.status == 0, "expected exit 0, got %d: %s", r.status, r.err);
    int n;
    char *ids = exercise_ids(out, &n);
    ck_assert_msg(n > 0, "expected exercise markers in the reference tree, found none");
    char *p = cat(out, "worksheets/EXERCISES.md");
    char *list = kit_read_file(p, NULL);
    ck_assert_msg(strstr(list, "(not graded)") == NULL,
                  "every exercise must be covered by a rubric part (tests/rubric.txt, last field):\n%s", list);
    free(list), free(p), free(ids);
    kit_run_free(&r);
    ck_assert_int_eq(kit_run(&r, NULL, 60, "/bin/grep", "-rl", "--include=*.[ch]", "EXERCISE(", out, NULL), 0);
    ck_assert_msg(r.status == 1, "expected no marker left in the handout, got: %s", r.out);
    kit_run_free(&r);
    kit_rmtree(dir);
    free(dir), free(out), free(script);
}
END_TEST

/* Where this suite's build tree is: the binary is $O/tests/test_handout. */
static char *build_tree(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ck_assert(n > 0);
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    *strrchr(self, '/') = '\0';
    return strdup(self);
}

/* The score line "Score: a/b" of a grade run. */
static void score_of(const char *text, int *a, int *b)
{
    const char *s = strstr(text, "\nScore: ");
    ck_assert_msg(s != NULL, "no 'Score:' line in:\n%.3000s", text);
    ck_assert_int_eq(sscanf(s, "\nScore: %d/%d", a, b), 2);
}

/* Every "Part ID: got/max" line of a grade run whose ID starts with prefix must
 * show got == 0 (lost) or got == max (kept), as `lost` says; returns how many. */
static int parts_check(const char *text, const char *prefix, int lost)
{
    int n = 0;
    char want[64];
    snprintf(want, sizeof want, "\nPart %s", prefix);
    for (const char *l = strstr(text, want); l; l = strstr(l + 1, want)) {
        char id[64];
        int got, max;
        ck_assert_int_eq(sscanf(l, "\nPart %63[^:]: %d/%d", id, &got, &max), 3);
        ck_assert_msg(lost ? got == 0 : got == max, "part %s: %d/%d, expected %s", id, got, max,
                      lost ? "0: every exercise is a stub, so each exercise part must lose all its points"
                           : "full");
        n++;
    }
    return n;
}

/* The handout's `make test` names each missing exercise (its test_exercises
 * suite fails, naming them). */
static void handout_names_missing(const char *out)
{
    int n;
    char *ids = exercise_ids(out, &n);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 120, "/usr/bin/env", "-u", "MAKEFLAGS", "-u", "MAKELEVEL",
                             "-u", "MFLAGS", "-u", "VARIANT", "-u", "OPT", "make", "-C", out,
                             "--no-print-directory", "O=build/grade", "BIN=build/grade/bin",
                             "build/grade/tests/test_exercises", NULL), 0);
    ck_assert_msg(r.status == 0, "cannot build the handout's test_exercises: %s", r.err);
    kit_run_free(&r);
    char *suite = cat(out, "build/grade/tests/test_exercises"), *kr;
    ck_assert(asprintf(&kr, "KIT_ROOT=%s", out) > 0);
    ck_assert_int_eq(kit_run(&r, NULL, 60, "/usr/bin/env", kr, suite, NULL), 0);
    ck_assert_msg(r.status != 0, "the handout's test_exercises must fail");
    for (char *id = strtok(ids, ","); id; id = strtok(NULL, ",")) {
        char *named;
        ck_assert(asprintf(&named, "%s (", id) > 0);
        ck_assert_msg(strstr(r.out, named) || strstr(r.err, named),
                      "expected the handout's make test to name exercise %s, got:\n%s%s", id, r.out, r.err);
        free(named);
    }
    kit_run_free(&r);
    free(ids), free(suite), free(kr);
}

/* A graded file changed: the grader refuses, naming it (exit 3). */
static void handout_refuses_changed_rubric(const char *out, const char *hgrade)
{
    char *rub = cat(out, "tests/rubric.txt");
    char *text = kit_read_file(rub, NULL);
    ck_assert_ptr_nonnull(text);
    char *more;
    ck_assert(asprintf(&more, "%s# a student's edit\n", text) > 0);
    ck_assert_int_eq(kit_write_file(rub, more), 0);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 60, "/usr/bin/env", "O=build/grade", "BIN=build/grade/bin",
                             "/bin/bash", hgrade, "--no-build", NULL), 0);
    ck_assert_msg(r.status == 3 && strstr(r.err, "graded file tests/rubric.txt (differs)")
                  && strstr(r.err, "REFUSED"), "a changed rubric must be refused with exit 3, got %d: %s",
                  r.status, r.err);
    kit_run_free(&r);
    free(rub), free(text), free(more);
}

/* The whole rubric, end to end: the reference scores full (100); the blank
 * handout (every exercise a stub) builds, scores at most 20, and loses every
 * point of every exercise part (EX-*, one grade run: tests/rubric.txt makes each
 * exercise part of tests that its stub fails); its `make test` names each
 * missing exercise. What each exercise costs stubbed alone is measured with
 * `scripts/handout.sh --only ID` (worksheets/INSTRUCTOR.md has the table). */
START_TEST(test_handout_scores_below_full)
{
    char *dir = kit_tmpdir(), *out = cat(dir, "handout");
    char *script = cat(root(), "scripts/handout.sh");
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 120, "/bin/bash", script, "--untracked", out, NULL), 0);
    ck_assert_msg(r.status == 0, "make handout: expected exit 0, got %d: %s", r.status, r.err);
    kit_run_free(&r);
    int n, a, b;
    char *ids = exercise_ids(out, &n);
    ck_assert_msg(n >= 12, "expected at least 12 exercises in the reference tree, found %d", n);

    /* The reference, graded from the suites `make test` has just built. */
    char *o = build_tree();
    char *grade = cat(root(), "scripts/grade.sh"), *obin, *bin;
    ck_assert(asprintf(&obin, "O=%s", o) > 0);
    const char *kb = getenv("KIT_BIN");
    ck_assert(asprintf(&bin, "BIN=%s", kb && *kb ? kb : "bin") > 0);
    ck_assert_int_eq(kit_run(&r, NULL, 280, "/usr/bin/env", "-u", "MAKEFLAGS", "-u", "MAKELEVEL",
                             "-u", "MFLAGS", obin, bin, "/bin/bash", grade, "--no-build", NULL), 0);
    score_of(r.out, &a, &b);
    ck_assert_msg(r.status == 0 && a == b && b == 100, "the reference must score 100/100, "
                  "got %d/%d (exit %d):\n%.3000s", a, b, r.status, r.out);
    ck_assert_int_ge(parts_check(r.out, "EX-", 0), 12);
    kit_run_free(&r);

    /* The handout: its own build, its own grade of the whole rubric. */
    char *hgrade = cat(out, "scripts/grade.sh");
    ck_assert_int_eq(kit_run(&r, NULL, 400, "/usr/bin/env", "-u", "MAKEFLAGS", "-u", "MAKELEVEL",
                             "-u", "MFLAGS", "-u", "VARIANT", "-u", "OPT", "O=build/grade",
                             "BIN=build/grade/bin", "GRADE_JOBS=2", "/bin/bash", hgrade, NULL), 0);
    ck_assert_msg(strstr(r.out, "the build failed") == NULL,
                  "the handout must build (the stubs compile -Werror clean), got:\n%.3000s", r.out);
    score_of(r.out, &a, &b);
    ck_assert_msg(r.status == 1 && a <= 20 && b == 100, "the blank handout must score at most 20/100, "
                  "got %d/%d (exit %d):\n%.3000s", a, b, r.status, r.out);
    ck_assert_int_ge(parts_check(r.out, "EX-", 1), 12);
    for (char *id = strtok(ids, ","); id; id = strtok(NULL, ",")) {
        char *line;
        ck_assert(asprintf(&line, "\n  %s: 0/", id) > 0);
        ck_assert_msg(strstr(r.out, line), "the grade's exercise summary must show %s at 0 points:\n%.3000s",
                      id, r.out);
        free(line);
    }
    ck_assert_msg(strstr(r.out, "rerun one: CK_RUN_CASE="), "the summary must say how to rerun a test");
    kit_run_free(&r);

    handout_names_missing(out);
    handout_refuses_changed_rubric(out, hgrade);
    kit_rmtree(dir);
    free(dir), free(out), free(script), free(ids), free(o), free(grade), free(obin), free(bin);
    free(hgrade);
}
END_TEST

static Suite *handout_suite(void)
{
    Suite *s = suite_create("handout");
    struct { const char *name; const TTest *fn; int loops, timeout; } cases[] = {
        { "stubs_replace_regions", test_stubs_replace_regions, 1, 60 },
        { "bad_markers_refused", test_bad_markers_refused, (int)(sizeof bad / sizeof bad[0]), 60 },
        { "rubric_lint", test_rubric_lint, 1, 30 },
        { "reference_markers", test_reference_markers, 1, 120 },
        /* A full build of the student tree at -j2 and two grade runs: within
         * run-tests.sh's 600 s bound for the whole suite. */
        { "handout_scores_below_full", test_handout_scores_below_full, 1, 900 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, cases[i].timeout);
        tcase_add_loop_test(tc, cases[i].fn, 0, cases[i].loops);
        suite_add_tcase(s, tc);
    }
    return s;
}

KIT_TEST_MAIN(handout_suite)
