/* test_plots.c: what the plots and the findings say, checked against the
 * fixtures (tests/fixtures/experiments/NAME.csv) by this test, not by the
 * scripts themselves:
 *   plots     what gnuplot plotted, read back through `set table`: every curve
 *             of every plots/NAME.gp has points; the scaling and contention
 *             series have as many points as the CSV has rows for them;
 *   findings  scaling's and contention's findings (plots/findings.sh) equal the
 *             ones this test computes from the CSV.
 * Scripts are found relative to the repository root ($KIT_SRC, else the
 * current directory). test_experiments.c checks that each plot renders. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"

#define MAX_COLS 32
#define MAX_ROWS 256

static const char *const names[] = {
    "scaling", "ipc_size", "serialization", "load_balance", "query_latency", "batching",
    "loop_lag", "contention", "threads_vs_processes", "parallel_map", "startup_memory", "task_queue",
    "zero_copy",
};
#define NNAMES ((int)(sizeof names / sizeof names[0]))

/* A fixture: its header and rows, cut in place ('#' lines skipped). */
struct table {
    char *text;
    int ncols, nrows;
    char *col[MAX_COLS];
    char *cell[MAX_ROWS][MAX_COLS];
};

static int split(char *line, char **out, int max)
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

static void table_read(struct table *t, const char *path)
{
    t->text = kit_read_file(path, NULL);
    ck_assert_msg(t->text != NULL, "cannot read %s", path);
    char *save = NULL;
    for (char *l = strtok_r(t->text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (l[0] == '#' || l[0] == '\0')
            continue;
        if (!t->ncols) {
            t->ncols = split(l, t->col, MAX_COLS);
            continue;
        }
        ck_assert_msg(t->nrows < MAX_ROWS, "%s: too many rows", path);
        ck_assert_msg(split(l, t->cell[t->nrows], MAX_COLS) == t->ncols, "%s: a row of the wrong width", path);
        t->nrows++;
    }
}

static void table_free(struct table *t)
{
    free(t->text);
}

static const char *cell(const struct table *t, int r, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (strcmp(t->col[c], name) == 0)
            return t->cell[r][c];
    ck_abort_msg("no column %s", name);
    return NULL;
}

static double num(const struct table *t, int r, const char *name)
{
    return strtod(cell(t, r, name), NULL);
}

/* What gnuplot plotted, read back through `set table`: one block per curve
 * ("# Curve i of n, k points", "# Curve title: ...", then a line per point that
 * ends in i, o or u: in range, out of range, undefined; a label's line ends in
 * its quoted text). */
struct curve {
    char title[128];
    int defined;                /* points of type i or o */
};

static int plotted(const char *name, struct curve *c, int max)
{
    char *dir = kit_tmpdir(), tab[512], expr[1400], script[512];
    snprintf(tab, sizeof tab, "%s/table.txt", dir);
    snprintf(expr, sizeof expr, "csv='%stests/fixtures/experiments/%s.csv'; out='%s/x.png'; set table '%s'",
             kit_src(""), name, dir, tab);
    snprintf(script, sizeof script, "%s%s.gp", kit_src("plots/"), name);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 60, "/usr/bin/gnuplot", "-e", expr, script, NULL), 0);
    ck_assert_msg(r.status == 0, "gnuplot %s with set table exited %d: %s", script, r.status, r.err);
    kit_run_free(&r);
    char *text = kit_read_file(tab, NULL);
    ck_assert_msg(text != NULL, "gnuplot wrote no table for %s", name);
    int n = -1;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (strncmp(l, "# Curve title: \"", 16) == 0 && n >= 0) {
            snprintf(c[n].title, sizeof c[n].title, "%s", l + 16);
            char *q = strrchr(c[n].title, '"');
            if (q)
                *q = '\0';
        } else if (strncmp(l, "# Curve ", 8) == 0 && isdigit((unsigned char)l[8])) {
            ck_assert_msg(++n < max, "%s: more than %d curves", name, max);
            c[n] = (struct curve){ "", 0 };
        } else if (l[0] != '#' && n >= 0) {
            size_t len = strlen(l);
            while (len && l[len - 1] == ' ')
                len--;
            if (len && (l[len - 1] == 'i' || l[len - 1] == 'o' || l[len - 1] == '"'))
                c[n].defined++; /* a point in or out of range, or a label */
        }
    }
    free(text);
    kit_rmtree(dir);
    free(dir);
    return n + 1;
}

/* Every plot draws at least one curve, and every curve it draws has points:
 * a series whose column or filter went wrong plots as an empty line. */
START_TEST(test_plot_curves_have_points)
{
    struct curve c[64];
    int n = plotted(names[_i], c, 64);
    ck_assert_msg(n > 0, "plots/%s.gp plotted no curve", names[_i]);
    for (int i = 0; i < n; i++)
        ck_assert_msg(c[i].defined > 0, "plots/%s.gp: curve %d ('%s') has no point", names[_i], i, c[i].title);
}
END_TEST

/* The series of the scaling and contention plots, against the fixture: one
 * curve per mode (lock) in each panel, with as many points as the CSV has rows
 * for it, counted here. */
START_TEST(test_plot_series_match_csv)
{
    static const struct { const char *name, *col, *fmt; } plots[] = {
        { "scaling", "mode", "%s" }, { "contention", "lock", "--lock %s" },
    };
    for (size_t p = 0; p < sizeof plots / sizeof plots[0]; p++) {
        char path[512];
        snprintf(path, sizeof path, "%stests/fixtures/experiments/%s.csv", kit_src(""), plots[p].name);
        struct table *t = calloc(1, sizeof *t);
        table_read(t, path);
        struct curve c[64];
        int n = plotted(plots[p].name, c, 64), series = 0;
        for (int r = 0; r < t->nrows; r++) {
            const char *v = cell(t, r, plots[p].col);
            int first = 1, rows = 0;
            for (int q = 0; q < t->nrows; q++) {
                first &= !(q < r && strcmp(cell(t, q, plots[p].col), v) == 0);
                rows += strcmp(cell(t, q, plots[p].col), v) == 0;
            }
            if (!first)
                continue;
            series++;
            char title[128];
            snprintf(title, sizeof title, plots[p].fmt, v);
            int curves = 0;
            for (int i = 0; i < n; i++)
                if (strncmp(c[i].title, title, strlen(title)) == 0 && strchr(" ", c[i].title[strlen(title)])) {
                    curves++;
                    ck_assert_msg(c[i].defined == rows, "plots/%s.gp: curve '%s' has %d points, the CSV %d rows",
                                  plots[p].name, title, c[i].defined, rows);
                }
            ck_assert_msg(curves >= 1, "plots/%s.gp: no curve titled '%s'", plots[p].name, title);
        }
        ck_assert_msg(series >= 2, "%s: expected at least 2 series in the fixture", path);
        table_free(t);
        free(t);
    }
}
END_TEST

/* Findings recomputed here from the CSV: scaling's "MODE: W: R.RRx of 1; peak
 * P msgs/s at W" per mode, contention's "LOCK lock: W threads P msgs/s, R.RRx
 * of 1 thread" per lock, with W the most workers (threads) of the mode. */
START_TEST(test_findings_recomputed)
{
    static const struct { const char *name, *col, *xcol, *fmt; } cases[] = {
        { "scaling", "mode", "workers", "%s: %.0f: %.2fx of 1; peak %.0f msgs/s at %.0f" },
        { "contention", "lock", "threads", "%s lock: %.0f threads %.0f msgs/s, %.2fx of 1 thread" },
    };
    for (size_t e = 0; e < 2; e++) {
        char path[512];
        snprintf(path, sizeof path, "%stests/fixtures/experiments/%s.csv", kit_src(""), cases[e].name);
        struct table *t = calloc(1, sizeof *t);
        table_read(t, path);
        struct kit_run r;
        ck_assert_int_eq(kit_run(&r, NULL, 20, "/bin/bash", kit_src("plots/findings.sh"), cases[e].name, path,
                                 NULL), 0);
        ck_assert_msg(r.status == 0, "findings.sh %s exited %d: %s", cases[e].name, r.status, r.err);
        for (int i = 0; i < t->nrows; i++) {
            const char *v = cell(t, i, cases[e].col);
            if (strncmp(v, "py-", 3) == 0)
                continue; /* python's rows share one line of another form, not checked here */
            double one = NAN, xmax = -1, at_max = NAN, peak = -1, peak_x = NAN;
            for (int q = 0; q < t->nrows; q++) {
                if (strcmp(cell(t, q, cases[e].col), v) != 0)
                    continue;
                double x = num(t, q, cases[e].xcol), rate = num(t, q, "msgs_per_s");
                if (x == 1)
                    one = rate;
                if (x > xmax)
                    xmax = x, at_max = rate;
                if (rate > peak)
                    peak = rate, peak_x = x;
            }
            char want[256];
            if (e == 0)
                snprintf(want, sizeof want, cases[e].fmt, v, xmax, at_max / one, peak, peak_x);
            else
                snprintf(want, sizeof want, cases[e].fmt, v, xmax, at_max, at_max / one);
            ck_assert_msg(strstr(r.out, want), "findings for %s: expected '%s' (computed from the CSV), got:\n%s",
                          cases[e].name, want, r.out);
        }
        kit_run_free(&r);
        table_free(t);
        free(t);
    }
}
END_TEST

static Suite *plots_suite(void)
{
    Suite *s = suite_create("plots");
    TCase *tc = kit_tcase(s, "plotted", 120);
    tcase_add_loop_test(tc, test_plot_curves_have_points, 0, NNAMES);
    tcase_add_test(tc, test_plot_series_match_csv);
    tcase_add_test(kit_tcase(s, "findings", 30), test_findings_recomputed);
    return s;
}

KIT_TEST_MAIN(plots_suite)
