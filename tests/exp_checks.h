/* exp_checks.h: what an experiment's CSV must hold, for the suites that run
 * the drivers (test_experiments.c): a small reader for the CSV (SPEC §6: '#'
 * metadata lines, a header, rows) and the checks, each failing the calling
 * test with a message that names the experiment, the row and the column. */
#ifndef KIT_EXP_CHECKS_H
#define KIT_EXP_CHECKS_H

#include "exp_catalogue.h"

#define MAX_COLS 64
#define MAX_ROWS 1024

struct table {
    char *text;                 /* the file, cut in place */
    char *meta;                 /* the '#' lines, joined, for error messages and checks */
    int ncols, nrows;
    char *col[MAX_COLS];
    char *cell[MAX_ROWS][MAX_COLS];
};

/* Read path into t; fails the test on a malformed file. */
void table_read(struct table *t, const char *path);
void table_free(struct table *t);
/* The index of column name, or -1. */
int table_col(const struct table *t, const char *name);
/* Row r's cell of column name (the test fails if there is no such column);
 * num: the same as a finite number (the test fails if it is not one). */
const char *cell(const struct table *t, int r, const char *name);
double num(const struct table *t, int r, const char *name);

/* SPEC §6 metadata (with "# mode=MODE" unless mode is NULL), SPEC §8 columns,
 * enough rows, every field filled (but those e may leave empty), no NaN. */
void check_shape(const struct table *t, const struct exp *e, const char *mode);
/* What each experiment's numbers must satisfy: rates above 0, percentiles in
 * order, counts that add up, empty cells only for steps a program lacks. */
void check_plausible(const struct table *t, const char *name);
/* lang is c or python; Python rows present unless "# python=not measured". */
void check_lang(const struct table *t, const char *name);
/* scaling's mpi rows and ipc_size's mpi-shm/mpi-tcp rows, wherever mpirun exists. */
void check_mpi_rows(const struct table *t, const char *name);

#endif
