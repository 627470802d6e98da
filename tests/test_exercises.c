/* test_exercises.c: names every exercise still left as a stub in this tree.
 *
 * In the student handout (`make handout`), each exercise of the reference code
 * is a comment "TODO(id): what to write" followed by a stub that compiles but
 * does not do the job. This suite lists the ones still there, with file and
 * line, so that `make test` says what is missing before the other suites say
 * what fails because of it. In the reference tree there are none.
 * Files are searched under $KIT_ROOT (default: the current directory). */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"

/* Folders that hold no source of the kit: build outputs and copies. */
static const char *const skipped_dirs[] = { ".git", "build", "bin", "handout", "results" };

static char found[2048];        /* "id (file:line); ..." of the stubs found */
static int nfound;
static size_t root_len;

static int is_skipped(const char *base)
{
    for (size_t i = 0; i < sizeof skipped_dirs / sizeof skipped_dirs[0]; i++)
        if (strcmp(base, skipped_dirs[i]) == 0)
            return 1;
    return 0;
}

/* A stub line starts, after blanks, with the comment opener, " TODO(", an id of
 * [a-z0-9-] and "):". The pattern is assembled here so this file is not one. */
static int stub_id(const char *line, char *id, size_t idlen)
{
    static const char open[] = "/" "* TODO(";
    line += strspn(line, " \t");
    if (strncmp(line, open, sizeof open - 1) != 0)
        return 0;
    line += sizeof open - 1;
    size_t n = strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789-");
    if (n == 0 || n >= idlen || strncmp(line + n, "):", 2) != 0)
        return 0;
    memcpy(id, line, n);
    id[n] = '\0';
    return 1;
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    const char *base = path + ftw->base;
    if (flag == FTW_D && ftw->level > 0 && is_skipped(base))
        return FTW_SKIP_SUBTREE;
    size_t len = strlen(path);
    if (flag != FTW_F || len < 2 || path[len - 2] != '.' || (path[len - 1] != 'c' && path[len - 1] != 'h'))
        return FTW_CONTINUE;
    FILE *f = fopen(path, "re");
    if (!f)
        return FTW_CONTINUE;
    char line[1024], id[64];
    for (int no = 1; fgets(line, sizeof line, f); no++) {
        if (!stub_id(line, id, sizeof id))
            continue;
        size_t used = strlen(found);
        snprintf(found + used, sizeof found - used, "%s%s (%s:%d)", nfound ? "; " : "", id,
                 path + root_len + (path[root_len] == '/'), no);
        nfound++;
    }
    fclose(f);
    return FTW_CONTINUE;
}

START_TEST(test_no_exercise_left)
{
    const char *root = getenv("KIT_ROOT");
    if (!root || !*root)
        root = ".";
    root_len = strlen(root);
    found[0] = '\0';
    nfound = 0;
    ck_assert_msg(nftw(root, visit, 16, FTW_PHYS | FTW_ACTIONRETVAL) == 0, "cannot walk %s", root);
    ck_assert_msg(nfound == 0, "expected no exercise left as a stub, got %d: %s "
                  "(worksheets/EXERCISES.md says what each one asks)", nfound, found);
}
END_TEST

static Suite *exercises_suite(void)
{
    Suite *s = suite_create("exercises");
    TCase *tc = tcase_create("no_exercise_left");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_no_exercise_left);
    suite_add_tcase(s, tc);
    return s;
}

KIT_TEST_MAIN(exercises_suite)
