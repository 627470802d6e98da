/* test_experiments.c: the experiment drivers, their plots and the report.
 *
 *   drivers   each experiments/NAME.sh, run with QUICK=tiny into a private
 *             folder, writes results/NAME.csv with the SPEC §6 metadata, the SPEC
 *             §8 columns, plausible rows (no NaN, every field filled, counts that
 *             add up) and nothing left behind;
 *   plots     each plots/NAME.gp renders a non-empty PNG from the small CSV in
 *             tests/fixtures/experiments/NAME.csv; every plot has a driver and a
 *             fixture;
 *   findings  plots/findings.sh says something for every fixture;
 *   report    plots/report.sh names every plot that exists, embeds it, and no other;
 *   programs  the measuring programs' command lines (exit 2 on bad flags).
 * Drivers and scripts are found relative to the repository root ($KIT_SRC, else
 * the current directory, which is where `make test` runs). Timing is never
 * asserted: only that numbers exist, are finite and are consistent. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kit_test.h"

#define T 120                   /* seconds for one tiny driver run (scaled by CK_TIMEOUT_MULTIPLIER) */
#define MAX_COLS 64
#define MAX_ROWS 1024

struct exp {
    const char *name;
    const char *required;       /* SPEC §8 columns, comma-separated */
    int min_rows;               /* in the tiny run */
    const char *may_be_empty;   /* columns left empty where nothing was measured */
};

/* The catalogue, in experiments/README.md's order. */
static const struct exp exps[] = {
    { "scaling", "mode,workers,work,messages,seconds,msgs_per_s,speedup", 6, NULL },
    { "ipc_size", "transport,bytes,pinned,round_trip_us,one_way_us,mb_per_s,lang", 16, NULL },
    { "serialization", "codec,payload,bytes,encode_ns,decode_ns,lang", 9, NULL },
    { "load_balance", "dist,zipf_s,route,worker,messages,keys", 32, NULL },
    { "query_latency", "load,offered_msgs_per_s,p50_us,p99_us,max_us", 6,
      "server_p50_us,server_p99_us" },
    { "batching", "batch,records,seconds,per_record_us,work,lang", 8, NULL },
    { "loop_lag", "work,offload,lag_p50_ms,lag_p99_ms,lag_max_ms", 4, NULL },
    { "contention", "lock,threads,msgs_per_s,lock_wait_share", 6, NULL },
    { "threads_vs_processes", "command,mean_s,median_s,stddev_s,min_s,max_s,lang", 4, NULL },
    { "parallel_map", "command,mean_s,median_s,stddev_s,min_s,max_s,lang", 4, NULL },
    { "startup_memory", "method,us,pss_kib,lang", 4, NULL },
    { "task_queue", "scheme,tasks,seconds,tasks_per_s,lang", 6, NULL },
    { "zero_copy", "program,msgs_per_s,cpu_us_per_msg,encode_us,copy_us,syscall_us,decode_us,apply_us,"
      "syscalls_per_msg,get_client_p50_us,get_server_p50_us", 4,
      "encode_us,copy_us,syscall_us,decode_us,apply_us,syscalls_per_msg,get_client_p50_us,get_server_p50_us" },
};
#define NEXP ((int)(sizeof exps / sizeof exps[0]))

/* ------------------------------------------------------------------ a tiny CSV reader */

struct table {
    char *text;                 /* the file, cut in place */
    char *meta;                 /* the '#' lines, joined, for error messages and checks */
    int ncols, nrows;
    char *col[MAX_COLS];
    char *cell[MAX_ROWS][MAX_COLS];
};

static int split(char *line, char **out, int max)
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

/* Read path into t; fails the test on a malformed file. */
static void table_read(struct table *t, const char *path)
{
    memset(t, 0, sizeof *t);
    size_t len;
    t->text = kit_read_file(path, &len);
    ck_assert_msg(t->text != NULL, "cannot read %s", path);
    t->meta = calloc(1, len + 1);
    char *save = NULL;
    for (char *line = strtok_r(t->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            ck_assert_msg(t->ncols == 0, "%s: a '#' line after the header: %s", path, line);
            strcat(t->meta, line);
            strcat(t->meta, "\n");
            continue;
        }
        if (t->ncols == 0) {
            t->ncols = split(line, t->col, MAX_COLS);
            ck_assert_msg(t->ncols > 0, "%s: header too wide", path);
            continue;
        }
        ck_assert_msg(t->nrows < MAX_ROWS, "%s: too many rows", path);
        int n = split(line, t->cell[t->nrows], MAX_COLS);
        ck_assert_msg(n == t->ncols, "%s: row %d has %d fields, the header %d", path,
                      t->nrows + 1, n, t->ncols);
        t->nrows++;
    }
    ck_assert_msg(t->ncols > 0, "%s: no header", path);
}

static void table_free(struct table *t)
{
    free(t->text);
    free(t->meta);
}

static int table_col(const struct table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->col[i], name) == 0)
            return i;
    return -1;
}

static const char *cell(const struct table *t, int r, const char *name)
{
    int c = table_col(t, name);
    ck_assert_msg(c >= 0, "no column %s", name);
    return t->cell[r][c];
}

static double num(const struct table *t, int r, const char *name)
{
    const char *s = cell(t, r, name);
    char *end;
    double v = strtod(s, &end);
    ck_assert_msg(*s && !*end && isfinite(v), "row %d: %s = '%s' is not a finite number", r + 1,
                  name, s);
    return v;
}

/* ------------------------------------------------------------------ the checks */

/* True for the spellings of a non-number: nan, -nan, inf, -Infinity, n/a. */
static int not_a_number(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    return strcasecmp(s, "nan") == 0 || strcasecmp(s, "inf") == 0 ||
           strcasecmp(s, "infinity") == 0 || strcasecmp(s, "n/a") == 0 ||
           strncasecmp(s, "nan(", 4) == 0;
}

/* 1 if column `col` is named in the comma-separated list (NULL = none). */
static int listed(const char *list, const char *col)
{
    size_t n = strlen(col);
    for (const char *p = list; p; p = strchr(p, ',')) {
        if (*p == ',')
            p++;
        if (strncmp(p, col, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

/* SPEC §6 metadata, SPEC §8 columns, every field filled (but those the
 * experiment leaves empty where nothing was measured), no NaN or inf. */
static void check_shape(const struct table *t, const struct exp *e, const char *mode)
{
    static const char *const meta[] = { "# date=", "# cores=", "# machine=", "# commit=", "# cmd=" };
    for (size_t i = 0; i < sizeof meta / sizeof *meta; i++)
        ck_assert_msg(strstr(t->meta, meta[i]), "%s: no '%s' metadata line in:\n%s", e->name,
                      meta[i], t->meta);
    if (mode) {
        char want[64];
        snprintf(want, sizeof want, "# mode=%s\n", mode);
        ck_assert_msg(strstr(t->meta, want), "%s: expected '%s' in the metadata:\n%s", e->name,
                      want, t->meta);
    }
    char req[256], *save = NULL;
    snprintf(req, sizeof req, "%s", e->required);
    for (char *c = strtok_r(req, ",", &save); c; c = strtok_r(NULL, ",", &save))
        ck_assert_msg(table_col(t, c) >= 0, "%s: required column '%s' missing", e->name, c);
    ck_assert_msg(t->nrows >= e->min_rows, "%s: expected at least %d rows, got %d", e->name,
                  e->min_rows, t->nrows);
    for (int r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = t->cell[r][c];
            ck_assert_msg(*s || listed(e->may_be_empty, t->col[c]), "%s: row %d, column %s is empty",
                          e->name, r + 1, t->col[c]);
            ck_assert_msg(!not_a_number(s), "%s: row %d, column %s = '%s'", e->name, r + 1,
                          t->col[c], s);
        }
    }
}

/* What each experiment's numbers must satisfy, beyond being there. */
/* batching: C sweeps at work 0 (the IPC cost alone) and at a work > 0 (the
 * payoff, issue 14); every pool row has its reference, the same batches in one
 * process (same language, work and B). */
static void check_batching_sweeps(const struct table *t)
{
    int c0 = 0, cw = 0;
    for (int r = 0; r < t->nrows; r++) {
        if (strcmp(cell(t, r, "lang"), "c") == 0) {
            c0 |= num(t, r, "work") == 0;
            cw |= num(t, r, "work") > 0;
        }
        if (strcmp(cell(t, r, "mode"), "pool") != 0)
            continue;
        int ref = 0;
        for (int q = 0; q < t->nrows; q++)
            ref |= strcmp(cell(t, q, "mode"), "sequential") == 0 &&
                   strcmp(cell(t, q, "lang"), cell(t, r, "lang")) == 0 &&
                   num(t, q, "work") == num(t, r, "work") && num(t, q, "batch") == num(t, r, "batch");
        ck_assert_msg(ref, "batching row %d (%s pool, work %s, B=%s): no sequential row to compare",
                      r + 1, cell(t, r, "lang"), cell(t, r, "work"), cell(t, r, "batch"));
    }
    ck_assert_msg(c0 && cw, "batching: the C rows need a sweep at work 0 and one at work > 0");
}

static void check_plausible(const struct table *t, const char *name)
{
    if (strcmp(name, "batching") == 0)
        check_batching_sweeps(t);
    for (int r = 0; r < t->nrows; r++) {
        if (strcmp(name, "scaling") == 0) {
            ck_assert_msg(num(t, r, "msgs_per_s") > 0, "scaling row %d: no throughput", r + 1);
            if (num(t, r, "workers") == 1)
                ck_assert_msg(fabs(num(t, r, "speedup") - 1) < 1e-9,
                              "scaling row %d: speedup of 1 worker is %s, expected 1", r + 1,
                              cell(t, r, "speedup"));
        } else if (strcmp(name, "ipc_size") == 0) {
            ck_assert_msg(num(t, r, "round_trip_us") > 0 && num(t, r, "one_way_us") > 0 &&
                          num(t, r, "mb_per_s") > 0, "ipc_size row %d: a zero cost", r + 1);
            double p = num(t, r, "pinned");
            ck_assert_msg(p == 0 || p == 1, "ipc_size row %d: pinned = %g", r + 1, p);
        } else if (strcmp(name, "serialization") == 0) {
            ck_assert_msg(num(t, r, "bytes") > 0 && num(t, r, "encode_ns") > 0 &&
                          num(t, r, "decode_ns") > 0, "serialization row %d: a zero", r + 1);
            double s = num(t, r, "round_trip_share");
            ck_assert_msg(s > 0 && s < 1, "serialization row %d: share %g", r + 1, s);
        } else if (strcmp(name, "load_balance") == 0) {
            ck_assert_msg(num(t, r, "messages") >= 0 && num(t, r, "keys") >= 0, "negative count");
            if (num(t, r, "messages") > 0)
                ck_assert_msg(num(t, r, "apply_us_per_msg") > 0,
                              "load_balance row %d: %s messages applied in no time", r + 1,
                              cell(t, r, "messages"));
        } else if (strcmp(name, "query_latency") == 0) {
            ck_assert_msg(num(t, r, "queries") > 0, "query_latency row %d: no query answered", r + 1);
            ck_assert_msg(num(t, r, "p50_us") > 0 && num(t, r, "p50_us") <= num(t, r, "p99_us") &&
                          num(t, r, "p99_us") <= num(t, r, "max_us"),
                          "query_latency row %d: p50 %s, p99 %s, max %s out of order", r + 1,
                          cell(t, r, "p50_us"), cell(t, r, "p99_us"), cell(t, r, "max_us"));
            /* phase 1 is one loop; its own figure is read, phase 2 has none: an
             * empty cell, never a 0 that looks measured */
            const char *prog = cell(t, r, "program");
            if (strcmp(prog, "phase1") == 0)
                ck_assert_msg(num(t, r, "workers") == 1, "query_latency row %d: phase1 with %s workers",
                              r + 1, cell(t, r, "workers"));
            if (strcmp(prog, "phase2") == 0)
                ck_assert_msg(!*cell(t, r, "server_p50_us") && !*cell(t, r, "server_p99_us"),
                              "query_latency row %d: phase2 measures no server latency, got %s/%s",
                              r + 1, cell(t, r, "server_p50_us"), cell(t, r, "server_p99_us"));
            else if (*cell(t, r, "server_p50_us"))
                ck_assert_msg(num(t, r, "server_p50_us") > 0 &&
                              num(t, r, "server_p50_us") <= num(t, r, "server_p99_us"),
                              "query_latency row %d: server p50 %s, p99 %s", r + 1,
                              cell(t, r, "server_p50_us"), cell(t, r, "server_p99_us"));
        } else if (strcmp(name, "batching") == 0) {
            ck_assert_msg(num(t, r, "per_record_us") > 0, "batching row %d: zero cost", r + 1);
            ck_assert_msg(num(t, r, "work") >= 0 && num(t, r, "work") == (int)num(t, r, "work"),
                          "batching row %d: work %s is not a whole number of units", r + 1,
                          cell(t, r, "work"));
            ck_assert_msg(num(t, r, "calls") * num(t, r, "batch") >= num(t, r, "records"),
                          "batching row %d: %s calls of %s cannot carry %s records", r + 1,
                          cell(t, r, "calls"), cell(t, r, "batch"), cell(t, r, "records"));
        } else if (strcmp(name, "loop_lag") == 0) {
            ck_assert_msg(num(t, r, "lag_p50_ms") >= 0 &&
                          num(t, r, "lag_p50_ms") <= num(t, r, "lag_p99_ms") &&
                          num(t, r, "lag_p99_ms") <= num(t, r, "lag_max_ms"),
                          "loop_lag row %d: percentiles out of order", r + 1);
        } else if (strcmp(name, "contention") == 0) {
            double w = num(t, r, "lock_wait_share");
            ck_assert_msg(num(t, r, "msgs_per_s") > 0 && w >= 0 && w <= 1,
                          "contention row %d: rate %s, wait share %g", r + 1,
                          cell(t, r, "msgs_per_s"), w);
        } else if (strcmp(name, "threads_vs_processes") == 0 || strcmp(name, "parallel_map") == 0) {
            ck_assert_msg(num(t, r, "min_s") > 0 && num(t, r, "min_s") <= num(t, r, "mean_s") &&
                          num(t, r, "mean_s") <= num(t, r, "max_s"),
                          "%s row %d: min %s, mean %s, max %s", name, r + 1, cell(t, r, "min_s"),
                          cell(t, r, "mean_s"), cell(t, r, "max_s"));
            /* the plot and the findings read the median */
            ck_assert_msg(num(t, r, "min_s") <= num(t, r, "median_s") &&
                          num(t, r, "median_s") <= num(t, r, "max_s"),
                          "%s row %d: median %s outside min %s..max %s", name, r + 1,
                          cell(t, r, "median_s"), cell(t, r, "min_s"), cell(t, r, "max_s"));
        } else if (strcmp(name, "startup_memory") == 0) {
            ck_assert_msg(num(t, r, "us") > 0 && num(t, r, "pss_kib") >= 0,
                          "startup_memory row %d", r + 1);
        } else if (strcmp(name, "zero_copy") == 0) {
            /* the pipelines measure every step they have and their GETs; phase 4
             * has no encode or decode step: empty, never a 0 that looks measured */
            const char *prog = cell(t, r, "program");
            int p3 = strcmp(prog, "phase3") == 0, p4 = strcmp(prog, "phase4") == 0;
            ck_assert_msg(p3 || p4 || strcmp(prog, "pipe-router") == 0 || strcmp(prog, "shm-ring") == 0,
                          "zero_copy row %d: unknown program %s", r + 1, prog);
            ck_assert_msg(num(t, r, "msgs_per_s") > 0 && num(t, r, "cpu_us_per_msg") > 0,
                          "zero_copy row %d (%s): no rate or no CPU", r + 1, prog);
            if (p3 || p4)
                ck_assert_msg(num(t, r, "apply_us") > 0 &&
                              num(t, r, "get_client_p50_us") > 0 && num(t, r, "get_server_p50_us") > 0,
                              "zero_copy row %d (%s): a step or a GET figure missing", r + 1, prog);
            if (p3) {
                ck_assert_msg(num(t, r, "encode_us") > 0 && num(t, r, "decode_us") > 0,
                              "zero_copy row %d: phase 3 without encode or decode", r + 1);
                /* the copy / system-call split needs a fit (iocost.h): both or neither */
                ck_assert_msg(!*cell(t, r, "copy_us") == !*cell(t, r, "syscall_us"),
                              "zero_copy row %d: phase 3 has half a split", r + 1);
                ck_assert_msg(!*cell(t, r, "copy_us") || (num(t, r, "copy_us") > 0 && num(t, r, "syscall_us") > 0),
                              "zero_copy row %d: phase 3's copy or system calls measured as free", r + 1);
            }
            if (p4)
                ck_assert_msg(num(t, r, "copy_us") > 0 && *cell(t, r, "syscall_us") &&
                              !*cell(t, r, "encode_us") && !*cell(t, r, "decode_us"),
                              "zero_copy row %d: phase 4 has no codec, yet encode/decode are filled", r + 1);
        } else if (strcmp(name, "task_queue") == 0) {
            ck_assert_msg(num(t, r, "tasks_per_s") > 0, "task_queue row %d: no rate", r + 1);
            ck_assert_msg(num(t, r, "exactly_once") == 1,
                          "task_queue row %d: taskq did not run every task exactly once", r + 1);
        }
    }
    if (strcmp(name, "load_balance") == 0) {
        /* Per configuration, the workers' messages add up to what was sent and
         * every one of the source's keys is owned by exactly one worker. */
        for (int r = 0; r < t->nrows; r++) {
            if (num(t, r, "worker") != 0)
                continue;
            double msgs = 0, keys = 0, w = num(t, r, "workers");
            for (int q = r; q < r + (int)w && q < t->nrows; q++) {
                ck_assert_msg(strcmp(cell(t, q, "dist"), cell(t, r, "dist")) == 0 &&
                              strcmp(cell(t, q, "route"), cell(t, r, "route")) == 0,
                              "load_balance: rows of one configuration are not together");
                msgs += num(t, q, "messages");
                keys += num(t, q, "keys");
            }
            ck_assert_msg(msgs == num(t, r, "total_messages"),
                          "load_balance %s %s %s: workers' messages add up to %g, expected %s",
                          cell(t, r, "dist"), cell(t, r, "zipf_s"), cell(t, r, "route"), msgs,
                          cell(t, r, "total_messages"));
            ck_assert_msg(keys > 0 && keys <= 100, "load_balance: %g keys owned", keys);
        }
    }
    if (strcmp(name, "startup_memory") == 0) {
        static const char *const methods[] = { "fork", "fork_exec", "posix_spawn", "pthread" };
        for (int m = 0; m < 4; m++) {
            int found = 0;
            for (int r = 0; r < t->nrows; r++)
                found |= strcmp(cell(t, r, "method"), methods[m]) == 0;
            ck_assert_msg(found, "startup_memory: no row for %s", methods[m]);
        }
    }
}

static void render(const char *name, const char *csv, const char *png);

/* ------------------------------------------------------------------ the Python lane */

/* The experiments with the course's Python beside the C kit (issue 13), and
 * how many Python rows a tiny run writes at least. */
static const struct { const char *name; int py_rows; } py_exps[] = {
    { "ipc_size", 8 }, { "serialization", 20 }, { "startup_memory", 3 }, { "batching", 4 },
    { "threads_vs_processes", 4 }, { "parallel_map", 4 }, { "task_queue", 5 },
    { "scaling", 4 }, { "loop_lag", 4 }, { "query_latency", 2 },
};

/* lang is c or python in every row; C rows are always there; Python rows are
 * there unless the metadata says "# python=not measured", and then none is. */
static void check_lang(const struct table *t, const char *name)
{
    int py = -1, c = 0, n = 0;
    for (size_t i = 0; i < sizeof py_exps / sizeof *py_exps; i++)
        if (strcmp(py_exps[i].name, name) == 0)
            py = py_exps[i].py_rows;
    if (py < 0 || table_col(t, "lang") < 0)
        return;
    for (int r = 0; r < t->nrows; r++) {
        const char *l = cell(t, r, "lang");
        ck_assert_msg(strcmp(l, "c") == 0 || strcmp(l, "python") == 0,
                      "%s row %d: lang = '%s', expected c or python", name, r + 1, l);
        c += *l == 'c';
        n += *l == 'p';
    }
    ck_assert_msg(c > 0, "%s: no C rows", name);
    if (strstr(t->meta, "# python=not measured"))
        ck_assert_msg(n == 0, "%s: %d python rows, but the metadata says not measured", name, n);
    else
        ck_assert_msg(n >= py, "%s: %d python rows, expected at least %d (or a '# python=not "
                      "measured' line saying why not)", name, n, py);
}

/* ------------------------------------------------------------------ drivers */

/* The MPI rows (phase5_cluster/): scaling's mpi series and ipc_size's mpi-shm
 * and mpi-tcp transports, in a tiny run, wherever mpirun exists (deps.sh
 * installs it; the drivers skip the rows with one line where it does not). */
static void check_mpi_rows(const struct table *t, const char *name)
{
    if (system("command -v mpirun >/dev/null 2>&1") != 0)
        return;
    int mpi = 0, shm = 0, tcp = 0;
    for (int r = 0; r < t->nrows; r++) {
        if (strcmp(name, "scaling") == 0 && strcmp(cell(t, r, "mode"), "mpi") == 0)
            mpi++;
        if (strcmp(name, "ipc_size") == 0) {
            const char *tr = cell(t, r, "transport");
            shm += strcmp(tr, "mpi-shm") == 0;
            tcp += strcmp(tr, "mpi-tcp") == 0;
            if (strncmp(tr, "mpi-", 4) == 0)
                ck_assert_msg(num(t, r, "pinned") == 0, "ipc_size row %d: %s rows are not pinned", r + 1, tr);
        }
    }
    if (strcmp(name, "scaling") == 0)
        ck_assert_msg(mpi == 2, "scaling: expected 2 mpi rows (1 and 2 worker ranks) in a tiny run, got %d", mpi);
    if (strcmp(name, "ipc_size") == 0)
        ck_assert_msg(shm == 2 && tcp == 2, "ipc_size: expected 2 mpi-shm and 2 mpi-tcp rows, got %d and %d",
                      shm, tcp);
}


START_TEST(test_driver_tiny)
{
    const struct exp *e = &exps[_i];
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), script[512], csv[512];
    snprintf(script, sizeof script, "%s", kit_src("experiments/"));
    strncat(script, e->name, sizeof script - strlen(script) - 4);
    strcat(script, ".sh");
    snprintf(csv, sizeof csv, "%s/%s.csv", dir, e->name);
    setenv("QUICK", "tiny", 1);
    unsetenv("FULL");
    unsetenv("EXP_CSV");
    setenv("OUT", dir, 1);               /* a stray OUT must not redirect the result */
    setenv("RESULTS", dir, 1);
    if (!getenv("KIT_BIN"))
        setenv("KIT_BIN", "bin", 1);

    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, "/bin/bash", script, NULL), 0);
    ck_assert_msg(r.status == 0, "%s (QUICK=tiny) exited %d:\n%s\nrerun: CK_RUN_CASE=drivers",
                  script, r.status, r.err);
    ck_assert_msg(strstr(r.err, e->name), "%s printed no progress on stderr", script);

    struct table t;
    table_read(&t, csv);
    check_shape(&t, e, "tiny");
    check_plausible(&t, e->name);
    check_lang(&t, e->name);
    check_mpi_rows(&t, e->name);
    table_free(&t);

    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", csv);
    struct stat st;
    ck_assert_msg(stat(tmp, &st) < 0, "%s left %s behind", script, tmp);
    kit_run_free(&r);
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* The fixtures are real tiny runs: they too must pass every check. */
START_TEST(test_fixture_valid)
{
    const struct exp *e = &exps[_i];
    char path[512];
    snprintf(path, sizeof path, "%s%s.csv", kit_src("tests/fixtures/experiments/"), e->name);
    struct table t;
    table_read(&t, path);
    check_shape(&t, e, NULL);
    check_plausible(&t, e->name);
    check_lang(&t, e->name);
    table_free(&t);
}
END_TEST

/* A machine without the Python lane still runs the C lane: scaling with only
 * the C programs in KIT_BIN writes C rows, says "python=not measured", and its
 * plot and findings say so instead of failing. */
START_TEST(test_scaling_without_python_lane)
{
    int fds = kit_count_fds();
    char *dir = kit_tmpdir(), bin[512], link[600], csv[600], png[600];
    snprintf(bin, sizeof bin, "%s/bin", dir);
    ck_assert_int_eq(mkdir(bin, 0700), 0);
    const char *const progs[] = { "csvmeta", "phase2", "phase3", "phase4", "phase5" };
    for (size_t i = 0; i < KIT_NELEM(progs); i++) {
        char *target = realpath(kit_bin(progs[i]), NULL);
        if (!target && i >= 3)
            continue;               /* phase4, phase5: their series are skipped without them */
        ck_assert_msg(target, "%s: %s", kit_bin(progs[i]), strerror(errno));
        snprintf(link, sizeof link, "%s/%s", bin, progs[i]);
        ck_assert_int_eq(symlink(target, link), 0);
        free(target);
    }
    snprintf(csv, sizeof csv, "%s/scaling.csv", dir);
    setenv("QUICK", "tiny", 1);
    unsetenv("FULL");
    setenv("KIT_BIN", bin, 1);
    setenv("EXP_CSV", csv, 1);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, "/bin/bash", kit_src("experiments/scaling.sh"), NULL), 0);
    ck_assert_msg(r.status == 0, "scaling.sh without Python exited %d:\n%s", r.status, r.err);
    kit_run_free(&r);
    struct table t;
    table_read(&t, csv);
    check_shape(&t, &exps[0], "tiny");
    check_lang(&t, "scaling");
    ck_assert_msg(strstr(t.meta, "# python=not measured"), "scaling without the Python lane must say "
                  "'python=not measured'; metadata:\n%s", t.meta);
    table_free(&t);
    ck_assert_int_eq(kit_run(&r, NULL, 20, "/bin/bash", kit_src("plots/findings.sh"), "scaling", csv,
                             NULL), 0);
    ck_assert_msg(r.status == 0 && strstr(r.out, "python: not measured"),
                  "findings without Python: exit %d, %s", r.status, r.out);
    kit_run_free(&r);
    snprintf(png, sizeof png, "%s/scaling.png", dir);
    render("scaling", csv, png);
    unsetenv("EXP_CSV");
    kit_rmtree(dir);
    free(dir);
    kit_assert_clean(fds);
}
END_TEST

/* A driver that cannot find its program says so in one line and writes nothing. */
START_TEST(test_driver_missing_program)
{
    char *dir = kit_tmpdir();
    setenv("KIT_BIN", dir, 1);           /* an empty folder: no programs at all */
    setenv("RESULTS", dir, 1);
    setenv("QUICK", "tiny", 1);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, "/bin/bash", kit_src("experiments/ipc_size.sh"), NULL), 0);
    ck_assert_msg(r.status == 1, "expected exit 1, got %d", r.status);
    ck_assert_msg(strstr(r.err, "ipc_size: ") && strstr(r.err, "ipcbench is missing"),
                  "expected a one-line reason naming ipcbench, got: %s", r.err);
    char csv[512];
    snprintf(csv, sizeof csv, "%s/ipc_size.csv", dir);
    struct stat st;
    ck_assert_msg(stat(csv, &st) < 0, "a failed driver wrote %s", csv);
    kit_run_free(&r);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* Without a usable Python the C lane still runs: the driver exits 0 with its C
 * rows, the metadata and the findings say "python: not measured". */
START_TEST(test_driver_without_python)
{
    char *dir = kit_tmpdir(), csv[512];
    setenv("PYTHON", "/nonexistent/python3", 1);
    setenv("RESULTS", dir, 1);
    setenv("QUICK", "tiny", 1);
    unsetenv("EXP_CSV");
    if (!getenv("KIT_BIN"))
        setenv("KIT_BIN", "bin", 1);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, "/bin/bash", kit_src("experiments/batching.sh"), NULL), 0);
    unsetenv("PYTHON");
    ck_assert_msg(r.status == 0, "batching.sh without python exited %d:\n%s", r.status, r.err);
    ck_assert_msg(strstr(r.err, "python: not measured"), "no progress line says python was not "
                  "measured: %s", r.err);
    kit_run_free(&r);
    snprintf(csv, sizeof csv, "%s/batching.csv", dir);
    struct table t;
    table_read(&t, csv);
    ck_assert_msg(strstr(t.meta, "# python=not measured (no /nonexistent/python3"),
                  "no '# python=not measured' line in:\n%s", t.meta);
    check_lang(&t, "batching");
    table_free(&t);
    ck_assert_int_eq(kit_run(&r, NULL, 20, "/bin/bash", kit_src("plots/findings.sh"), "batching", csv,
                             NULL), 0);
    ck_assert_msg(r.status == 0 && strstr(r.out, "python: not measured") && strstr(r.out, "B=1"),
                  "findings without python: %s", r.out);
    kit_run_free(&r);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* `make -n RESULTS_DIR=dir dir/scaling.csv` with the given mode: 1 if make
 * would run the driver. The CSV is fresher than its driver, so only its
 * "# mode=" line can make it stale. */
static int make_would_run(const char *dir, const char *csv_mode, int full)
{
    char csv[512], cmd[2048];
    snprintf(csv, sizeof csv, "%s/scaling.csv", dir);
    snprintf(cmd, sizeof cmd, "# date=x\n# mode=%s\nmode,workers\nprocesses,1\n", csv_mode);
    ck_assert_int_eq(kit_write_file(csv, cmd), 0);
    unsetenv("MAKEFLAGS");               /* a parent make's jobserver is not ours */
    unsetenv("MAKELEVEL");
    unsetenv("QUICK");
    if (full)
        setenv("FULL", "1", 1);
    else
        unsetenv("FULL");
    snprintf(cmd, sizeof cmd, "cd '%s' && make -n --no-print-directory O='%s/o' BIN='%s/bin' "
             "RESULTS_DIR='%s' '%s'", kit_src(""), dir, dir, dir, csv);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 60, "/bin/sh", "-c", cmd, NULL), 0);
    ck_assert_msg(r.status == 0, "make -n exited %d: %s", r.status, r.err);
    int runs = strstr(r.out, "experiments/scaling.sh") != NULL;
    if (runs)
        ck_assert_msg(strstr(r.out, "has mode=quick but full was asked for"),
                      "make reruns scaling but does not say why; the end of make -n:\n%s",
                      r.out + (r.out_len > 1500 ? r.out_len - 1500 : 0));
    kit_run_free(&r);
    return runs;
}

/* A result is run again when a bigger mode is asked for than the one it was
 * run in (FULL=1 after a quick run), and kept otherwise. */
START_TEST(test_make_reruns_smaller_mode)
{
    char *dir = kit_tmpdir();
    ck_assert_msg(!make_would_run(dir, "quick", 0), "quick asked, quick CSV: make would rerun it");
    ck_assert_msg(make_would_run(dir, "quick", 1), "FULL=1 asked, quick CSV: make would keep it");
    ck_assert_msg(!make_would_run(dir, "full", 1), "FULL=1 asked, full CSV: make would rerun it");
    ck_assert_msg(!make_would_run(dir, "full", 0),
                  "quick asked, full CSV: make would throw the bigger run away");
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------------ plots */

static void render(const char *name, const char *csv, const char *png)
{
    char expr[1200], script[512];
    snprintf(expr, sizeof expr, "csv='%s'; out='%s'", csv, png);
    snprintf(script, sizeof script, "%s%s.gp", kit_src("plots/"), name);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 60, "/usr/bin/gnuplot", "-e", expr, script, NULL), 0);
    ck_assert_msg(r.status == 0 && r.err_len == 0, "gnuplot %s exited %d:\n%s", script, r.status,
                  r.err);
    kit_run_free(&r);
    size_t len;
    char *img = kit_read_file(png, &len);
    ck_assert_msg(img && len > 1000, "%s: %zu bytes, expected a real PNG", png, img ? len : 0);
    ck_assert_msg(memcmp(img, "\x89PNG\r\n\x1a\n", 8) == 0, "%s is not a PNG", png);
    free(img);
}

START_TEST(test_plot_renders)
{
    const struct exp *e = &exps[_i];
    char *dir = kit_tmpdir(), csv[512], png[512];
    snprintf(csv, sizeof csv, "%s%s.csv", kit_src("tests/fixtures/experiments/"), e->name);
    snprintf(png, sizeof png, "%s/%s.png", dir, e->name);
    render(e->name, csv, png);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* Every plots/NAME.gp belongs to the catalogue: a driver and a fixture exist. */
START_TEST(test_every_plot_has_driver_and_fixture)
{
    struct kit_run r;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && ls plots/*.gp", kit_src(""));
    ck_assert_int_eq(kit_run(&r, NULL, 10, "/bin/sh", "-c", cmd, NULL), 0);
    ck_assert_msg(r.status == 0, "no plots/*.gp: %s", r.err);
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[256], path[512];
        snprintf(name, sizeof name, "%.*s", (int)(strlen(line) - strlen("plots/") - 3),
                 line + strlen("plots/"));
        int known = 0;
        for (int i = 0; i < NEXP; i++)
            known |= strcmp(exps[i].name, name) == 0;
        ck_assert_msg(known, "plots/%s.gp is not in the catalogue of this suite", name);
        struct stat st;
        snprintf(path, sizeof path, "%s%s.sh", kit_src("experiments/"), name);
        ck_assert_msg(stat(path, &st) == 0, "plots/%s.gp has no driver %s", name, path);
        n++;
    }
    ck_assert_msg(n == NEXP, "expected %d plot scripts, found %d", NEXP, n);
    kit_run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ findings, report */

START_TEST(test_findings)
{
    const struct exp *e = &exps[_i];
    char csv[512];
    snprintf(csv, sizeof csv, "%s%s.csv", kit_src("tests/fixtures/experiments/"), e->name);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 20, "/bin/bash", kit_src("plots/findings.sh"), e->name, csv,
                             NULL), 0);
    ck_assert_msg(r.status == 0, "findings.sh %s exited %d: %s", e->name, r.status, r.err);
    ck_assert_msg(r.out_len > 10 && !strstr(r.out, "no rows") && !strstr(r.out, "missing") &&
                  !strstr(r.out, "n/a") && !strcasestr(r.out, "nan"),
                  "findings for %s: '%s'", e->name, r.out);
    ck_assert_msg(strpbrk(r.out, "0123456789"), "findings for %s contain no number: %s",
                  e->name, r.out);
    kit_run_free(&r);
}
END_TEST

START_TEST(test_report_names_every_plot)
{
    char *dir = kit_tmpdir(), pngs[512], csv[512], png[600];
    snprintf(pngs, sizeof pngs, "%s/out", dir);
    mkdir(pngs, 0700);
    /* Every plot but the last: the page must name exactly the ones that exist. */
    for (int i = 0; i < NEXP - 1; i++) {
        snprintf(csv, sizeof csv, "%s%s.csv", kit_src("tests/fixtures/experiments/"), exps[i].name);
        snprintf(png, sizeof png, "%s/%s.png", pngs, exps[i].name);
        render(exps[i].name, csv, png);
    }
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 60, "/bin/bash", kit_src("plots/report.sh"),
                             kit_src("tests/fixtures/experiments"), pngs, NULL), 0);
    ck_assert_msg(r.status == 0, "report.sh exited %d: %s", r.status, r.err);
    ck_assert_msg(strstr(r.out, "<html") && strstr(r.out, "</html>"), "not an HTML page");
    for (int i = 0; i < NEXP; i++) {
        char id[128], img[128];
        snprintf(id, sizeof id, "<h2 id=\"%s\">", exps[i].name);
        snprintf(img, sizeof img, "<img alt=\"%s\" src=\"data:image/png;base64,iVBORw0KGgo",
                 exps[i].name);
        if (i < NEXP - 1) {
            ck_assert_msg(strstr(r.out, id), "the report does not name %s", exps[i].name);
            ck_assert_msg(strstr(r.out, img), "the report does not embed %s's PNG", exps[i].name);
        } else {
            ck_assert_msg(!strstr(r.out, id), "the report names %s, which has no plot",
                          exps[i].name);
        }
    }
    ck_assert_msg(!strstr(r.out, "src=\"plots/") && !strstr(r.out, "src=\"http"),
                  "the report links to an outside file instead of embedding it");
    kit_run_free(&r);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------------ programs */

START_TEST(test_programs_command_line)
{
    static const char *const progs[] = { "ipcbench", "serbench", "startbench", "qload" };
    for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
        struct kit_run h, b;
        ck_assert_int_eq(kit_run(&h, NULL, 10, kit_bin(progs[i]), "--help", NULL), 0);
        ck_assert_msg(h.status == 0 && strstr(h.out, "usage:"), "%s --help: exit %d", progs[i],
                      h.status);
        ck_assert_int_eq(kit_run(&b, NULL, 10, kit_bin(progs[i]), "--no-such-flag", NULL), 0);
        ck_assert_msg(b.status == 2 && strstr(b.err, "usage:") && b.out_len == 0,
                      "%s --no-such-flag: expected exit 2 with the usage on stderr, got %d",
                      progs[i], b.status);
        kit_run_free(&h), kit_run_free(&b);
    }
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 10, kit_bin("ipcbench"), "--sizes", "0", NULL), 0);
    ck_assert_msg(r.status == 2, "ipcbench --sizes 0: expected exit 2, got %d", r.status);
    kit_run_free(&r);
    ck_assert_int_eq(kit_run(&r, NULL, 10, kit_bin("qload"), "--qps", "10", NULL), 0);
    ck_assert_msg(r.status == 2, "qload without --control or --pace: expected 2, got %d", r.status);
    kit_run_free(&r);
    ck_assert_int_eq(kit_run(&r, NULL, 10, kit_bin("csvmeta"), NULL), 0);
    ck_assert_msg(r.status == 2, "csvmeta without a command: expected 2, got %d", r.status);
    kit_run_free(&r);
}
END_TEST

/* The pacer passes every line through, in order, and stops at --count. */
START_TEST(test_qload_pace)
{
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, "a,DATA,1\nb,DATA,2\nc,DATA,3\n", 10, kit_bin("qload"),
                             "--pace", "1000", "--count", "2", NULL), 0);
    ck_assert_msg(r.status == 0 && strcmp(r.out, "a,DATA,1\nb,DATA,2\n") == 0,
                  "qload --pace --count 2: exit %d, out '%s'", r.status, r.out);
    kit_run_free(&r);
    ck_assert_int_eq(kit_run(&r, "x\ny\n", 10, kit_bin("qload"), "--pace", "50", NULL), 0);
    ck_assert_msg(r.status == 0 && strcmp(r.out, "x\ny\n") == 0, "qload --pace: out '%s'", r.out);
    kit_run_free(&r);
}
END_TEST

static Suite *experiments_suite(void)
{
    Suite *s = suite_create("experiments");
    TCase *tc = kit_tcase(s, "drivers", T + 30);
    tcase_add_loop_test(tc, test_driver_tiny, 0, NEXP);
    tcase_add_test(tc, test_driver_missing_program);
    tcase_add_test(tc, test_driver_without_python);
    tcase_add_test(kit_tcase(s, "make", 120), test_make_reruns_smaller_mode);

    tcase_add_loop_test(kit_tcase(s, "fixtures", 30), test_fixture_valid, 0, NEXP);
    tcase_add_test(kit_tcase(s, "no_python_lane", T + 30), test_scaling_without_python_lane);

    tc = kit_tcase(s, "plots", 60);
    tcase_add_loop_test(tc, test_plot_renders, 0, NEXP);
    tcase_add_test(tc, test_every_plot_has_driver_and_fixture);

    tcase_add_loop_test(kit_tcase(s, "findings", 30), test_findings, 0, NEXP);
    tcase_add_test(kit_tcase(s, "report", 300), test_report_names_every_plot);

    tc = kit_tcase(s, "programs", 30);
    tcase_add_test(tc, test_programs_command_line);
    tcase_add_test(tc, test_qload_pace);
    return s;
}

KIT_TEST_MAIN(experiments_suite)
