/* kit_table.h: an experiment's CSV (tests/fixtures/experiments/NAME.csv) read
 * by a test, so that it can count a series' rows and recompute a finding itself:
 * the header and the rows cut in place, '#' metadata lines skipped. Rows are
 * picked by a filter "col=value,col!=value" (every named cell equal, or not
 * equal, as text).
 * Header-only (static inline): the plot and findings suites share it. */
#ifndef KIT_TABLE_H
#define KIT_TABLE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"

#define TABLE_COLS 32
#define TABLE_ROWS 256

struct table {
    char *text;
    int ncols, nrows;
    char *col[TABLE_COLS];
    char *cell[TABLE_ROWS][TABLE_COLS];
};

static inline int table_split(char *line, char **out, int max)
{
    int n = 0;
    for (char *p = line; n < max; p++) {
        out[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p = '\0';
    }
    return n;
}

/* The fixture of experiment `name`, malloc'd; table_free releases it. */
static inline struct table *table_read(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%stests/fixtures/experiments/%s.csv", kit_src(""), name);
    struct table *t = calloc(1, sizeof *t);
    ck_assert_ptr_nonnull(t);
    t->text = kit_read_file(path, NULL);
    ck_assert_msg(t->text != NULL, "cannot read %s", path);
    char *save = NULL;
    for (char *l = strtok_r(t->text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (l[0] == '#' || l[0] == '\0')
            continue;
        if (!t->ncols) {
            t->ncols = table_split(l, t->col, TABLE_COLS);
            continue;
        }
        ck_assert_msg(t->nrows < TABLE_ROWS, "%s: too many rows", path);
        ck_assert_msg(table_split(l, t->cell[t->nrows], TABLE_COLS) == t->ncols, "%s: a row of the wrong width",
                      path);
        t->nrows++;
    }
    ck_assert_msg(t->nrows > 0, "%s: no rows", path);
    return t;
}

static inline void table_free(struct table *t)
{
    free(t->text);
    free(t);
}

static inline const char *cell(const struct table *t, int r, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (strcmp(t->col[c], name) == 0)
            return t->cell[r][c];
    ck_abort_msg("no column %s", name);
    return NULL;
}

static inline double num(const struct table *t, int r, const char *name)
{
    return strtod(cell(t, r, name), NULL);
}

/* Whether row r passes filter "col=value,col!=value" ("" passes every row;
 * "col!=" picks the rows where col is filled). */
static inline int table_match(const struct table *t, int r, const char *filter)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", filter);
    char *save = NULL;
    for (char *f = strtok_r(buf, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(f, '=');
        ck_assert_msg(eq != NULL, "bad filter '%s'", filter);
        int differ = eq > f && eq[-1] == '!';
        eq[-differ] = '\0';
        if ((strcmp(cell(t, r, f), eq + 1) != 0) != differ)
            return 0;
    }
    return 1;
}

/* The rows that pass filter. */
static inline int table_count(const struct table *t, const char *filter)
{
    int n = 0;
    for (int r = 0; r < t->nrows; r++)
        n += table_match(t, r, filter);
    return n;
}

/* The first row that passes the filter printf(fmt, ...) builds; -1 if none. */
static inline int table_find(const struct table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline int table_find(const struct table *t, const char *fmt, ...)
{
    char filter[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(filter, sizeof filter, fmt, ap);
    va_end(ap);
    for (int r = 0; r < t->nrows; r++)
        if (table_match(t, r, filter))
            return r;
    return -1;
}

#endif
