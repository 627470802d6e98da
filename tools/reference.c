/* reference.c: bin/reference, the single-threaded reference run.
 *
 * One loop: next message, find its key's machine, apply. No threads, no
 * processes, no queues: nothing can reorder a key's messages, so its dump is
 * the truth that every phase, in every mode that keeps per-key order, must
 * reproduce byte for byte (SPEC §3). Its msgs/s is also the baseline against
 * which the phases' speedups are measured. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv.h"
#include "dump.h"
#include "fsm.h"
#include "param.h"
#include "registry.h"
#include "stream.h"
#include "timing.h"

static const char summary[] =
    "The single-threaded reference run: applies every message, in order, to one\n"
    "registry of per-key state machines. Its --dump-state is the truth every phase\n"
    "must match. It answers no queries: the common --control and --control-private\n"
    "flags below are refused.";

/* --work's result goes here so the compiler cannot drop the work; it never
 * touches the state. */
static volatile uint64_t work_sink;

static void describe_input(const struct cli *c, char *buf, size_t len)
{
    const struct stream_opts *o = &c->stream;
    if (o->input) {
        snprintf(buf, len, "'%s'", o->input);
    } else if (o->src.dist == DIST_ZIPF) {
        snprintf(buf, len, "the built-in source (%" PRIu32 " keys, zipf s=%g, seed %" PRIu64 ")",
                 o->src.keys, o->src.zipf_s, o->src.seed);
    } else {
        snprintf(buf, len, "the built-in source (%" PRIu32 " keys, uniform, seed %" PRIu64 ")",
                 o->src.keys, o->src.seed);
    }
}

int main(int argc, char **argv)
{
    struct cli c;
    cli_parse(&c, argc, argv, summary, NULL, 0, NULL, NULL);
    /* cli_parse has already refused --control-private alone (it needs --control). */
    if (c.control)
        cli_usage_error(&c, "--control%s: the reference run answers no queries (use a phase program)",
                        c.control_private ? " and --control-private" : "");
    if (c.emit)
        return cli_emit(&c);

    struct stream *s = cli_open_stream(&c);
    struct registry *reg = registry_new();
    if (!reg) {
        fprintf(stderr, "%s: cannot allocate the registry: %s\n", c.prog, strerror(errno));
        return EXIT_FAILURE_RT;
    }

    struct msg m;
    int rc;
    uint64_t t0 = now_ns();
    while ((rc = stream_next(s, &m)) == 1) {
        struct keystate *ks = registry_get(reg, m.key, m.key_len);
        if (!ks) {
            fprintf(stderr, "%s: cannot add key '%s' (%zu keys so far): %s\n", c.prog, m.key,
                    registry_count(reg), strerror(errno));
            return EXIT_FAILURE_RT;
        }
        if (c.work && m.op == OP_DATA)
            work_sink ^= work_burn(c.work, m.seq);
        fsm_apply_msg(ks, &m);
    }
    double seconds = (double)(now_ns() - t0) / 1e9;
    if (rc < 0) {
        fprintf(stderr, "%s: reading %s: %s\n", c.prog, stream_name(s), strerror(errno));
        return EXIT_FAILURE_RT;
    }

    uint64_t messages = stream_delivered(s), rejected = stream_rejected(s);
    size_t keys = registry_count(reg);
    double rate = seconds > 0 ? (double)messages / seconds : 0.0;
    char err[512];
    if (c.dump_state && dump_to_path(c.dump_state, reg, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", c.prog, err);
        return EXIT_FAILURE_RT;
    }
    if (c.csv) {
        if (csv_meta(stdout, argc, argv) < 0 ||
            printf("messages,seconds,msgs_per_s,keys,rejected,work\n"
                   "%" PRIu64 ",%.6f,%.0f,%zu,%" PRIu64 ",%" PRIu32 "\n",
                   messages, seconds, rate, keys, rejected, c.work) < 0 ||
            fflush(stdout) != 0) {
            fprintf(stderr, "%s: writing the CSV row to stdout: %s\n", c.prog, strerror(errno));
            return EXIT_FAILURE_RT;
        }
    }
    if (!c.quiet) {
        char input[256], machine[256];
        describe_input(&c, input, sizeof input);
        fprintf(stderr,
                "%s: applied %" PRIu64 " messages from %s to %zu key%s in %.3f s "
                "(%.2f M msgs/s, one thread, --work %" PRIu32 "), %" PRIu64 " lines rejected; %s\n",
                c.prog, messages, input, keys, keys == 1 ? "" : "s", seconds, rate / 1e6, c.work, rejected,
                csv_machine(machine, sizeof machine));
    }
    stream_close(s);
    registry_free(reg);
    return cli_exit_status(rejected);
}
