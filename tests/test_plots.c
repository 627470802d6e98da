/* test_plots.c: what gnuplot plotted, read back through `set table` with each
 * plots/NAME.gp run on its fixture (tests/fixtures/experiments/NAME.csv), and
 * checked against the fixture by this test, not by the scripts themselves:
 *   curves  every curve of every plot has points;
 *   series  for every experiment, each curve the plot must draw
 *           (a table below: its title and the fixture rows it shows, picked by
 *           this test's own filter) exists with exactly as many points as the
 *           fixture has rows for it, and the plot draws no curve the table
 *           does not name.
 * test_findings.c recomputes the findings; test_experiment_outputs.c checks that each
 * plot renders. Scripts are found relative to the repository root ($KIT_SRC,
 * else the current directory). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_table.h"
#include "kit_test.h"

#define MAX_CURVES 64

static const char *const names[] = {
    "scaling", "ipc_size", "serialization", "load_balance", "query_latency", "batching",
    "loop_lag", "contention", "threads_vs_processes", "parallel_map", "startup_memory", "task_queue",
    "zero_copy",
};
#define NNAMES ((int)KIT_NELEM(names))
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
    struct curve c[MAX_CURVES];
    int n = plotted(names[_i], c, MAX_CURVES);
    ck_assert_msg(n > 0, "plots/%s.gp plotted no curve", names[_i]);
    for (int i = 0; i < n; i++)
        ck_assert_msg(c[i].defined > 0, "plots/%s.gp: curve %d ('%s') has no point", names[_i], i, c[i].title);
}
END_TEST

/* A series the plot must draw: `curves` curves (one per panel that shows it)
 * titled `title`, each with one point per fixture row that passes `filter`
 * ("col=value,..."; NULL: a function, not CSV rows, that needs only points).
 * With `each` (words), the entry stands for one series per word, put in for
 * the %s of title and filter. Curves that share a title are matched to the
 * entries in table order, which is the order the plot draws them in. */
struct series {
    const char *title, *filter, *each;
    int curves;
};

static const struct series scaling[] = {
    { "ideal: N x (1 process)", NULL, NULL, 1 },
    { "ideal on 2 cores", NULL, NULL, 2 },
    { "%s", "mode=%s", "processes threads-global threads-sharded mpi shared", 2 },
    { "ideal", NULL, NULL, 1 },
    { "py-processes", "mode=py-processes", NULL, 1 },
    { "py-threads (GIL)", "mode=py-threads", NULL, 1 },
    { 0 },
};
static const struct series ipc_size[] = {
    { "%s, pinned (1 core)", "lang=c,pinned=1,transport=%s", "inproc pipe socketpair shm", 1 },
    { "%s, default", "lang=c,pinned=0,transport=%s", "inproc pipe socketpair shm", 2 },
    { "%s (2 MPI ranks)", "transport=%s", "mpi-shm mpi-tcp", 1 },
    { "python %s, pinned", "lang=python,pinned=1,transport=%s", "mp-pipe mp-queue", 2 },
    { "python %s, default", "lang=python,pinned=0,transport=%s", "mp-pipe mp-queue", 2 },
    { "%s, pinned", "lang=c,pinned=1,transport=%s", "inproc pipe socketpair shm", 1 },
    { "%s", "transport=%s", "mpi-shm mpi-tcp", 1 },
    { 0 },
};
static const struct series serialization[] = {
    { "%s", "lang=c,codec=%s", "raw msgpack json", 3 },     /* time, bytes, share */
    { "%s", "lang=python,codec=%s", "pickle4 pickle5 msgpack json", 3 },
    { 0 },
};
static const struct series load_balance[] = {
    { "worker %s", "route=modulo,worker=%s", "0 1 2 3", 1 },
    { "worker %s", "route=consistent,worker=%s", "0 1 2 3", 1 },
    { "even split", NULL, NULL, 2 },
    { 0 },
};
static const struct series query_latency[] = {
    { "phase1 (event loop) p%s", "program=phase1", "50 99", 1 },
    { "phase2 (threads) p%s", "program=phase2", "50 99", 1 },
    { "phase3 (processes) p%s", "program=phase3", "50 99", 1 },
    { "phase4 (shared memory) p%s", "program=phase4", "50 99", 1 },
    { "py_phase3 (Python processes) p%s", "program=py_phase3", "50 99", 1 },
    { 0 },
};
static const struct series batching[] = {
    { "C pool, work %s", "lang=c,mode=pool,work=%s", "0 10", 1 },
    { "C one process, work %s", "lang=c,mode=sequential,work=%s", "0 10", 1 },
    { "python ProcessPoolExecutor, work %s", "lang=python,mode=pool,work=%s", "0 10", 1 },
    { "python one process, work %s", "lang=python,mode=sequential,work=%s", "0 10", 1 },
    { "C, work %s", "lang=c,mode=pool,work=%s", "0 10", 1 },    /* speedup panel */
    { "python, work %s", "lang=python,mode=pool,work=%s", "0 10", 1 },
    { 0 },
};
static const struct series loop_lag[] = {
    { "p99, --offload %s", "lang=c,offload=%s", "none threads", 1 },
    { "p50, --offload %s", "lang=c,offload=%s", "none threads", 1 },
    { "max, --offload %s", "lang=c,offload=%s", "none threads", 1 },
    { "python p99, work on the loop", "lang=python,offload=none", NULL, 1 },
    { "python p99, run_in_executor", "lang=python,offload=threads", NULL, 1 },
    { "lag = work of one message", NULL, NULL, 1 },
    { 0 },
};
static const struct series contention[] = {
    { "--lock %s", "lock=%s", "global registry sharded", 2 },
    { 0 },
};
static const struct series hyperfine[] = {  /* untitled: boxes, error bars, labels */
    { "", "lang=c", NULL, 3 },
    { "", "lang=python", NULL, 3 },
    { 0 },
};
static const struct series startup_memory[] = {
    { "", "lang=c", NULL, 2 },      /* start time: boxes and their labels */
    { "Pss", "lang=c", NULL, 1 },
    { "private (Private_Clean + Private_Dirty)", "lang=c", NULL, 1 },
    { "", "lang=python", NULL, 2 },
    { "Pss", "lang=python", NULL, 1 },
    { "private", "lang=python", NULL, 1 },
    { 0 },
};
static const struct series task_queue[] = {
    { "%s (uniform tasks)", "lang=c,fn=spin,scheme=%s", "static dynamic shm", 1 },
    { "%s, empty tasks: the queue alone", "lang=c,fn=empty,scheme=%s", "dynamic shm", 1 },
    { "python %s (uniform tasks)", "lang=python,fn=spin,scheme=%s", "static dynamic", 1 },
    { "python mp.Queue, empty tasks", "lang=python,fn=empty,scheme=dynamic", NULL, 1 },
    { 0 },
};
static const struct series zero_copy[] = {
    { "", "program=%s", "phase3 phase4 pipe-router shm-ring", 1 },  /* throughput boxes */
    /* the steps, stacked from the top down: each drawn for both programs,
     * titled once (phase 3's box) */
    { "apply", "program=phase3", NULL, 1 }, { "", "program=phase4", NULL, 1 },
    { "decode", "program=phase3", NULL, 1 }, { "", "program=phase4", NULL, 1 },
    { "system calls", "program=phase3", NULL, 1 }, { "", "program=phase4", NULL, 1 },
    { "copy", "program=phase3", NULL, 1 }, { "", "program=phase4", NULL, 1 },
    { "encode", "program=phase3", NULL, 1 }, { "", "program=phase4", NULL, 1 },
    { "client: send to answer", "get_client_p50_us!=", NULL, 1 },
    { "server: arrival to answer ready", "get_server_p50_us!=", NULL, 1 },
    { 0 },
};

static const struct {
    const char *name;
    const struct series *series;
} plots[] = {
    { "scaling", scaling }, { "ipc_size", ipc_size }, { "serialization", serialization },
    { "load_balance", load_balance }, { "query_latency", query_latency }, { "batching", batching },
    { "loop_lag", loop_lag }, { "contention", contention }, { "threads_vs_processes", hyperfine },
    { "parallel_map", hyperfine }, { "startup_memory", startup_memory }, { "task_queue", task_queue },
    { "zero_copy", zero_copy },
};

/* Claim `want` curves titled `title` not yet claimed, in plot order; each must
 * have `rows` points (rows < 0: a function, any number but 0). */
static void claim(const char *name, struct curve *c, int n, int *claimed, const char *title, int want, int rows)
{
    for (int i = 0, got = 0; got < want; i++) {
        ck_assert_msg(i < n, "plots/%s.gp: %d curve(s) titled '%s' expected, %d drawn", name, want, title, got);
        if (claimed[i] || strcmp(c[i].title, title) != 0)
            continue;
        claimed[i] = 1;
        got++;
        if (rows < 0)
            ck_assert_msg(c[i].defined > 0, "plots/%s.gp: function '%s' has no point", name, title);
        else
            ck_assert_msg(c[i].defined == rows, "plots/%s.gp: curve %d '%s' has %d points, the fixture %d rows",
                          name, i, title, c[i].defined, rows);
    }
}

/* Each series of the table is drawn with one point per fixture row of it, and
 * every curve drawn is a series of the table. */
START_TEST(test_plot_series_match_csv)
{
    const char *name = plots[_i].name;
    struct table *t = table_read(name);
    struct curve c[MAX_CURVES];
    int n = plotted(name, c, MAX_CURVES), claimed[MAX_CURVES] = { 0 };
    for (const struct series *s = plots[_i].series; s->title; s++) {
        char words[128], *save = NULL;
        snprintf(words, sizeof words, "%s", s->each ? s->each : "-"); /* one pass without a word */
        for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            char title[128], filter[128];
            snprintf(title, sizeof title, s->title, w);
            snprintf(filter, sizeof filter, s->filter ? s->filter : "", w);
            int rows = s->filter ? table_count(t, filter) : -1;
            ck_assert_msg(rows != 0, "%s fixture: no rows for '%s'", name, filter);
            claim(name, c, n, claimed, title, s->curves, rows);
        }
    }
    for (int i = 0; i < n; i++)
        ck_assert_msg(claimed[i], "plots/%s.gp: curve %d '%s' is not a series of the test's table", name, i,
                      c[i].title);
    table_free(t);
}
END_TEST

static Suite *plots_suite(void)
{
    Suite *s = suite_create("plots");
    TCase *tc = kit_tcase(s, "plotted", 60);
    tcase_add_loop_test(tc, test_plot_curves_have_points, 0, NNAMES);
    tc = kit_tcase(s, "series", 60);
    tcase_add_loop_test(tc, test_plot_series_match_csv, 0, (int)KIT_NELEM(plots));
    return s;
}

KIT_TEST_MAIN(plots_suite)
