/* exp_checks.c: what an experiment's CSV must hold (exp_checks.h). */
#include "exp_checks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
void check_shape(const struct table *t, const struct exp *e, const char *mode)
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

/* What each experiment's rows must satisfy, beyond being there: one function
 * per experiment for a row, and one for the rows together. */
static void row_scaling(const struct table *t, int r)
{
    ck_assert_msg(num(t, r, "msgs_per_s") > 0, "scaling row %d: no throughput", r + 1);
    if (num(t, r, "workers") == 1)
        ck_assert_msg(fabs(num(t, r, "speedup") - 1) < 1e-9, "scaling row %d: speedup of 1 worker is %s, expected 1",
                      r + 1, cell(t, r, "speedup"));
}

static void row_ipc_size(const struct table *t, int r)
{
    ck_assert_msg(num(t, r, "round_trip_us") > 0 && num(t, r, "one_way_us") > 0 && num(t, r, "mb_per_s") > 0,
                  "ipc_size row %d: a zero cost", r + 1);
    double p = num(t, r, "pinned");
    ck_assert_msg(p == 0 || p == 1, "ipc_size row %d: pinned = %g", r + 1, p);
}

static void row_serialization(const struct table *t, int r)
{
    ck_assert_msg(num(t, r, "bytes") > 0 && num(t, r, "encode_ns") > 0 && num(t, r, "decode_ns") > 0,
                  "serialization row %d: a zero", r + 1);
    double s = num(t, r, "round_trip_share");
    ck_assert_msg(s > 0 && s < 1, "serialization row %d: share %g", r + 1, s);
}

static void row_load_balance(const struct table *t, int r)
{
    ck_assert_msg(num(t, r, "messages") >= 0 && num(t, r, "keys") >= 0, "negative count");
    if (num(t, r, "messages") > 0)
        ck_assert_msg(num(t, r, "apply_us_per_msg") > 0, "load_balance row %d: %s messages applied in no time",
                      r + 1, cell(t, r, "messages"));
}

static void row_query_latency(const struct table *t, int r)
{
    ck_assert_msg(num(t, r, "queries") > 0, "query_latency row %d: no query answered", r + 1);
    ck_assert_msg(num(t, r, "p50_us") > 0 && num(t, r, "p50_us") <= num(t, r, "p99_us") &&
                  num(t, r, "p99_us") <= num(t, r, "max_us"),
                  "query_latency row %d: p50 %s, p99 %s, max %s out of order", r + 1, cell(t, r, "p50_us"),
                  cell(t, r, "p99_us"), cell(t, r, "max_us"));
    /* phase 1 is one loop; its own figure is read, phase 2 has none: an empty
     * cell, never a 0 that looks measured */
    const char *prog = cell(t, r, "program");
    if (strcmp(prog, "phase1") == 0)
        ck_assert_msg(num(t, r, "workers") == 1, "query_latency row %d: phase1 with %s workers", r + 1,
                      cell(t, r, "workers"));
    if (strcmp(prog, "phase2") == 0)
        ck_assert_msg(!*cell(t, r, "server_p50_us") && !*cell(t, r, "server_p99_us"),
                      "query_latency row %d: phase2 measures no server latency, got %s/%s", r + 1,
                      cell(t, r, "server_p50_us"), cell(t, r, "server_p99_us"));
    else if (*cell(t, r, "server_p50_us"))
        ck_assert_msg(num(t, r, "server_p50_us") > 0 && num(t, r, "server_p50_us") <= num(t, r, "server_p99_us"),
                      "query_latency row %d: server p50 %s, p99 %s", r + 1, cell(t, r, "server_p50_us"),
                      cell(t, r, "server_p99_us"));
}

static void row_batching(const struct table *t, int r)
{
    ck_assert_msg(num(t, r, "per_record_us") > 0, "batching row %d: zero cost", r + 1);
    ck_assert_msg(num(t, r, "work") >= 0 && num(t, r, "work") == (int)num(t, r, "work"),
                  "batching row %d: work %s is not a whole number of units", r + 1, cell(t, r, "work"));
    ck_assert_msg(num(t, r, "calls") * num(t, r, "batch") >= num(t, r, "records"),
                  "batching row %d: %s calls of %s cannot carry %s records", r + 1, cell(t, r, "calls"),
                  cell(t, r, "batch"), cell(t, r, "records"));
}

static void row_loop_lag(const struct table *t, int r)
{
    ck_assert_msg(num(t, r, "lag_p50_ms") >= 0 && num(t, r, "lag_p50_ms") <= num(t, r, "lag_p99_ms") &&
                  num(t, r, "lag_p99_ms") <= num(t, r, "lag_max_ms"),
                  "loop_lag row %d: percentiles out of order", r + 1);
}

static void row_contention(const struct table *t, int r)
{
    double w = num(t, r, "lock_wait_share");
    ck_assert_msg(num(t, r, "msgs_per_s") > 0 && w >= 0 && w <= 1, "contention row %d: rate %s, wait share %g",
                  r + 1, cell(t, r, "msgs_per_s"), w);
}

/* threads_vs_processes, parallel_map: hyperfine's figures, in order */
static void row_timings(const struct table *t, int r)
{
    ck_assert_msg(num(t, r, "min_s") > 0 && num(t, r, "min_s") <= num(t, r, "mean_s") &&
                  num(t, r, "mean_s") <= num(t, r, "max_s"),
                  "row %d: min %s, mean %s, max %s", r + 1, cell(t, r, "min_s"), cell(t, r, "mean_s"),
                  cell(t, r, "max_s"));
    /* the plot and the findings read the median */
    ck_assert_msg(num(t, r, "min_s") <= num(t, r, "median_s") && num(t, r, "median_s") <= num(t, r, "max_s"),
                  "row %d: median %s outside min %s..max %s", r + 1, cell(t, r, "median_s"),
                  cell(t, r, "min_s"), cell(t, r, "max_s"));
}

static void row_startup_memory(const struct table *t, int r)
{
    ck_assert_msg(num(t, r, "us") > 0 && num(t, r, "pss_kib") >= 0, "startup_memory row %d", r + 1);
}

/* The pipelines measure every step they have and their GETs; a step a program
 * does not have is empty, never a 0 that looks measured. */
static void row_zero_copy(const struct table *t, int r)
{
    const char *prog = cell(t, r, "program");
    int p3 = strcmp(prog, "phase3") == 0, p4 = strcmp(prog, "phase4") == 0;
    ck_assert_msg(p3 || p4 || strcmp(prog, "pipe-router") == 0 || strcmp(prog, "shm-ring") == 0,
                  "zero_copy row %d: unknown program %s", r + 1, prog);
    ck_assert_msg(num(t, r, "msgs_per_s") > 0 && num(t, r, "cpu_us_per_msg") > 0,
                  "zero_copy row %d (%s): no rate or no CPU", r + 1, prog);
    if (p3 || p4)
        ck_assert_msg(num(t, r, "apply_us") > 0 && num(t, r, "get_client_p50_us") > 0 &&
                      num(t, r, "get_server_p50_us") > 0,
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
        ck_assert_msg(num(t, r, "copy_us") > 0 && *cell(t, r, "syscall_us") && !*cell(t, r, "encode_us") &&
                      !*cell(t, r, "decode_us"),
                      "zero_copy row %d: phase 4 without its dispatch or futex figure, or with a codec step", r + 1);
}

static void row_task_queue(const struct table *t, int r)
{
    ck_assert_msg(num(t, r, "tasks_per_s") > 0, "task_queue row %d: no rate", r + 1);
    ck_assert_msg(num(t, r, "exactly_once") == 1, "task_queue row %d: taskq did not run every task exactly once",
                  r + 1);
}

/* Per configuration, the workers' messages add up to what was sent and every
 * one of the source's keys is owned by exactly one worker. */
static void all_load_balance(const struct table *t)
{
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
                      "load_balance %s %s %s: workers' messages add up to %g, expected %s", cell(t, r, "dist"),
                      cell(t, r, "zipf_s"), cell(t, r, "route"), msgs, cell(t, r, "total_messages"));
        ck_assert_msg(keys > 0 && keys <= 100, "load_balance: %g keys owned", keys);
    }
}

static void all_startup_memory(const struct table *t)
{
    static const char *const methods[] = { "fork", "fork_exec", "posix_spawn", "pthread" };
    for (int m = 0; m < 4; m++) {
        int found = 0;
        for (int r = 0; r < t->nrows; r++)
            found |= strcmp(cell(t, r, "method"), methods[m]) == 0;
        ck_assert_msg(found, "startup_memory: no row for %s", methods[m]);
    }
}

static const struct {
    const char *name;
    void (*row)(const struct table *t, int r);
    void (*all)(const struct table *t);
} plausible[] = {
    { "scaling", row_scaling, NULL }, { "ipc_size", row_ipc_size, NULL },
    { "serialization", row_serialization, NULL }, { "load_balance", row_load_balance, all_load_balance },
    { "query_latency", row_query_latency, NULL }, { "batching", row_batching, check_batching_sweeps },
    { "loop_lag", row_loop_lag, NULL }, { "contention", row_contention, NULL },
    { "threads_vs_processes", row_timings, NULL }, { "parallel_map", row_timings, NULL },
    { "startup_memory", row_startup_memory, all_startup_memory }, { "zero_copy", row_zero_copy, NULL },
    { "task_queue", row_task_queue, NULL },
};

void check_plausible(const struct table *t, const char *name)
{
    for (size_t i = 0; i < sizeof plausible / sizeof plausible[0]; i++) {
        if (strcmp(plausible[i].name, name) != 0)
            continue;
        for (int r = 0; r < t->nrows; r++)
            plausible[i].row(t, r);
        if (plausible[i].all)
            plausible[i].all(t);
        return;
    }
    ck_abort_msg("%s: no plausibility checks for this experiment", name);
}

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
void check_lang(const struct table *t, const char *name)
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

/* The MPI rows (phase5_cluster/): scaling's mpi series and ipc_size's mpi-shm
 * and mpi-tcp transports, in a tiny run, wherever mpirun exists (deps.sh
 * installs it; the drivers skip the rows with one line where it does not). */
void check_mpi_rows(const struct table *t, const char *name)
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
