/* dumpbench.c: bin/dumpbench, what one state dump row (SPEC §3) costs to format,
 * with lib/fmtg17.h's %.17g (dump_row, now) and with glibc's printf doing all
 * of it (dump_row before: one snprintf with five %.17g), side by side.
 *
 * A micro-benchmark, not a test: it builds the rows of a seeded run of the
 * built-in source (ROWS keys, 40 messages a key, as a phase 4 GET meets them),
 * checks that both ways print the same bytes, then formats every row with each
 * way in turn, ROUNDS times, interleaved, and reports the median ns per row in
 * thread CPU time (what the formatting itself costs; a loaded machine adds
 * waiting on top of it, not work) and in wall time, and their ratio. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "fsm.h"
#include "registry.h"
#include "source.h"
#include "timing.h"

#define ROWS   2000             /* keys, one row each */
#define ROUNDS 9                /* interleaved rounds per way; medians reported */
#define PASSES 20               /* passes over the rows per timed round */

/* dump_row as it was: glibc's printf formats the whole row. */
static int row_printf(const struct keystate *ks, char *buf, size_t len)
{
    char min[32] = "", max[32] = "", last[32] = "";
    if (ks->data_count) {
        snprintf(min, sizeof min, "%.17g", ks->min);
        snprintf(max, sizeof max, "%.17g", ks->max);
        snprintf(last, sizeof last, "%.17g", ks->last);
    }
    return snprintf(buf, len, "%s,%s,%" PRIu64 ",%" PRIu64 ",%.17g,%s,%s,%s,%.17g,%" PRIu64,
                    ks->key, state_name(ks->state), ks->messages, ks->data_count, ks->sum, min, max,
                    last, ks->feature_sum, ks->invalid);
}

static volatile size_t sink;    /* keeps the rows' lengths alive */

typedef int row_fn(const struct keystate *, char *, size_t);

/* Format every row PASSES times; *cpu and *wall get ns per row. */
static void time_rows(row_fn *fn, struct keystate *const *rows, size_t n, double *cpu, double *wall)
{
    char buf[DUMP_ROW_MAX];
    uint64_t c0 = thread_cpu_ns(), w0 = now_ns();
    for (int p = 0; p < PASSES; p++)
        for (size_t i = 0; i < n; i++)
            sink += (size_t)fn(rows[i], buf, sizeof buf);
    *cpu = (double)(thread_cpu_ns() - c0) / (double)(n * PASSES);
    *wall = (double)(now_ns() - w0) / (double)(n * PASSES);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr,
                "usage: %s\nTimes one dump row's formatting, dump_row (lib/fmtg17.h) against glibc's "
                "printf, on %d rows of a seeded stream; medians of %d interleaved rounds.\n",
                argv[0], ROWS, ROUNDS);
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    struct source_opts o = { .messages = 40 * ROWS, .keys = ROWS, .dist = DIST_UNIFORM, .seed = 1 };
    struct source *src = source_new(&o);
    struct registry *reg = registry_new();
    struct msg m;
    if (!src || !reg) {
        fprintf(stderr, "dumpbench: out of memory\n");
        return 1;
    }
    while (source_next(src, &m) == 1)
        fsm_apply_msg(registry_get(reg, m.key, m.key_len), &m);
    size_t n;
    struct keystate **rows = registry_sorted(reg, &n);
    for (size_t i = 0; i < n; i++) {
        char a[DUMP_ROW_MAX], b[DUMP_ROW_MAX];
        if (dump_row(rows[i], a, sizeof a) < 0 || row_printf(rows[i], b, sizeof b) < 0 || strcmp(a, b)) {
            fprintf(stderr, "dumpbench: the two ways differ on row %zu: '%s' vs '%s'\n", i, a, b);
            return 1;
        }
    }
    double cpu[2][ROUNDS], wall[2][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        time_rows(row_printf, rows, n, &cpu[0][r], &wall[0][r]);
        time_rows(dump_row, rows, n, &cpu[1][r], &wall[1][r]);
    }
    double pc = timing_median(cpu[0], ROUNDS), fc = timing_median(cpu[1], ROUNDS);
    double pw = timing_median(wall[0], ROUNDS), fw = timing_median(wall[1], ROUNDS);
    printf("dump_row, %zu rows of a seeded stream (same bytes both ways), median of %d interleaved rounds:\n",
           n, ROUNDS);
    printf("  glibc printf (before)  %7.0f ns CPU per row  (%7.0f ns wall)\n", pc, pw);
    printf("  fmtg17 (dump_row now)  %7.0f ns CPU per row  (%7.0f ns wall)\n", fc, fw);
    printf("  ratio before/after     %7.2fx CPU             (%7.2fx wall)\n", pc / fc, pw / fw);
    free(rows);
    registry_free(reg);
    source_free(src);
    return 0;
}
