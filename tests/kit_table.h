/* kit_table.h: an experiment's CSV read by a test (a fixture,
 * tests/fixtures/experiments/NAME.csv, or a driver's fresh result), so that it
 * can check its shape, count a series' rows and recompute a finding itself:
 * the '#' metadata lines kept, the header and the rows cut in place. Rows are
 * picked by a filter "col=value,col!=value" (every named cell equal, or not
 * equal, as text). Header-only (static inline): the plot, findings and
 * drivers' suites share it. */
#ifndef KIT_TABLE_H
#define KIT_TABLE_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"

#define TABLE_COLS 64
#define TABLE_ROWS 1024

struct table {
    char *text;                 /* the file, cut in place */
    char *meta;                 /* the '#' lines before the header, joined */
    int ncols, nrows;
    char *col[TABLE_COLS];
    char *cell[TABLE_ROWS][TABLE_COLS];
};

/* Cut line at its commas into out; the number of fields, or -1 if more than max. */
static inline int table_split(char *line, char **out, int max)
{
    int n = 0;
    for (char *f = line;; f++) {
        if (n == max)
            return -1;
        out[n++] = f;
        f = strchr(f, ',');
        if (!f)
            return n;
        *f = '\0';
    }
}

/* The CSV at path, malloc'd (table_free releases it): metadata lines, then a
 * header, then rows as wide as it. Fails the test on a malformed file. */
static inline struct table *table_load(const char *path)
{
    struct table *t = calloc(1, sizeof *t);
    ck_assert_ptr_nonnull(t);
    size_t len;
    t->text = kit_read_file(path, &len);
    ck_assert_msg(t->text != NULL, "cannot read %s", path);
    ck_assert_ptr_nonnull(t->meta = calloc(1, len + 1));
    char *save = NULL;
    for (char *l = strtok_r(t->text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (l[0] == '#') {
            ck_assert_msg(t->ncols == 0, "%s: a '#' line after the header: %s", path, l);
            strcat(strcat(t->meta, l), "\n");
        } else if (t->ncols == 0) {
            t->ncols = table_split(l, t->col, TABLE_COLS);
            ck_assert_msg(t->ncols > 0, "%s: header too wide", path);
        } else {
            ck_assert_msg(t->nrows < TABLE_ROWS, "%s: too many rows", path);
            int n = table_split(l, t->cell[t->nrows], TABLE_COLS);
            ck_assert_msg(n == t->ncols, "%s: row %d has %d fields, the header %d", path, t->nrows + 1, n,
                          t->ncols);
            t->nrows++;
        }
    }
    ck_assert_msg(t->ncols > 0, "%s: no header", path);
    return t;
}

/* The fixture of experiment `name` (tests/fixtures/experiments/NAME.csv),
 * which must have rows. */
static inline struct table *table_read(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%stests/fixtures/experiments/%s.csv", kit_src(""), name);
    struct table *t = table_load(path);
    ck_assert_msg(t->nrows > 0, "%s: no rows", path);
    return t;
}

static inline void table_free(struct table *t)
{
    free(t->text);
    free(t->meta);
    free(t);
}

/* The index of column name, or -1. */
static inline int table_col(const struct table *t, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (strcmp(t->col[c], name) == 0)
            return c;
    return -1;
}

/* Row r's cell of column name; the test fails if there is no such column. */
static inline const char *cell(const struct table *t, int r, const char *name)
{
    int c = table_col(t, name);
    ck_assert_msg(c >= 0, "no column %s", name);
    return t->cell[r][c];
}

/* The same as a number; the test fails if it is not a finite one (an empty
 * cell is not 0). */
static inline double num(const struct table *t, int r, const char *name)
{
    const char *s = cell(t, r, name);
    char *end;
    double v = strtod(s, &end);
    ck_assert_msg(*s && !*end && isfinite(v), "row %d: %s = '%s' is not a finite number", r + 1, name, s);
    return v;
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
