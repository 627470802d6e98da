/* test_experiments.c: the experiment drivers.
 *
 *   drivers   each experiments/NAME.sh, run with QUICK=tiny into a private
 *             folder, writes results/NAME.csv with the SPEC §6 metadata, the SPEC
 *             §8 columns, plausible rows (no NaN, every field filled, counts that
 *             add up) and nothing left behind; without its program, without
 *             Python, without the Python lane it says so and does what it can;
 *   fixtures  tests/fixtures/experiments/NAME.csv passes the same checks;
 *   make      a result is run again when a bigger mode is asked for.
 * The catalogue of experiments is exp_catalogue.h; their plots, findings and
 * report are test_experiment_outputs.c's.
 * Drivers and scripts are found relative to the repository root ($KIT_SRC, else
 * the current directory, which is where `make test` runs). Timing is never
 * asserted: only that numbers exist, are finite and are consistent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exp_catalogue.h"
#include "exp_checks.h"
#include "kit_test.h"

/* ------------------------------------------------------------------ drivers */

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

    struct table *t = table_load(csv);
    check_shape(t, e, "tiny");
    check_plausible(t, e->name);
    check_lang(t, e->name);
    check_mpi_rows(t, e->name);
    table_free(t);

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
    struct table *t = table_load(path);
    check_shape(t, e, NULL);
    check_plausible(t, e->name);
    check_lang(t, e->name);
    table_free(t);
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
    struct table *t = table_load(csv);
    check_shape(t, &exps[0], "tiny");
    check_lang(t, "scaling");
    ck_assert_msg(strstr(t->meta, "# python=not measured"), "scaling without the Python lane must say "
                  "'python=not measured'; metadata:\n%s", t->meta);
    table_free(t);
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
    struct table *t = table_load(csv);
    ck_assert_msg(strstr(t->meta, "# python=not measured (no /nonexistent/python3"),
                  "no '# python=not measured' line in:\n%s", t->meta);
    check_lang(t, "batching");
    table_free(t);
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
    return s;
}

KIT_TEST_MAIN(experiments_suite)
