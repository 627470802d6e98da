/* exp_checks.h: what an experiment's CSV (read with kit_table.h) must hold,
 * for the suite that runs the drivers (test_experiments.c): each check fails
 * the calling test with a message that names the experiment, the row and the
 * column. */
#ifndef KIT_EXP_CHECKS_H
#define KIT_EXP_CHECKS_H

#include "exp_catalogue.h"
#include "kit_table.h"

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
