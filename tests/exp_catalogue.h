/* exp_catalogue.h: the experiments the suites test_experiments.c and
 * test_experiment_outputs.c check, and the plot rendering both use. The
 * catalogue is this test's own, not read from the drivers: a driver, plot or
 * fixture that is not in it, or a column SPEC §8 names that a CSV lacks, fails. */
#ifndef KIT_EXP_CATALOGUE_H
#define KIT_EXP_CATALOGUE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"

#define T 120                   /* seconds for one tiny driver run (scaled by CK_TIMEOUT_MULTIPLIER) */

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

/* Render plots/NAME.gp from csv into png with gnuplot: exit 0, nothing on
 * stderr, a real PNG of more than 1000 bytes. */
static inline void render(const char *name, const char *csv, const char *png)
{
    char expr[2048], script[512];
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

#endif
