/* test_experiment_outputs.c: what the experiments' results turn into.
 *
 *   plots     each plots/NAME.gp renders a non-empty PNG from the small CSV in
 *             tests/fixtures/experiments/NAME.csv; every plot has a driver and a
 *             fixture (the catalogue: exp_catalogue.h);
 *   findings  plots/findings.sh says something for every fixture (test_plots.c
 *             recomputes what it says);
 *   report    plots/report.sh names every plot that exists, embeds it, and no other;
 *   programs  the measuring programs' command lines (exit 2 on bad flags).
 * test_experiments.c runs the drivers themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "exp_catalogue.h"
#include "kit_test.h"

/* ------------------------------------------------------------------ plots */

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

static Suite *experiment_outputs_suite(void)
{
    Suite *s = suite_create("experiment_outputs");
    TCase *tc = kit_tcase(s, "plots", 60);
    tcase_add_loop_test(tc, test_plot_renders, 0, NEXP);
    tcase_add_test(tc, test_every_plot_has_driver_and_fixture);

    tcase_add_loop_test(kit_tcase(s, "findings", 30), test_findings, 0, NEXP);
    tcase_add_test(kit_tcase(s, "report", 300), test_report_names_every_plot);

    tc = kit_tcase(s, "programs", 30);
    tcase_add_test(tc, test_programs_command_line);
    tcase_add_test(tc, test_qload_pace);
    return s;
}

KIT_TEST_MAIN(experiment_outputs_suite)
