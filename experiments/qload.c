/* qload: the two halves of the query_latency experiment.
 *
 *   qload --control PATH --qps Q [--keys K]
 *       The query client. Sends `GET key` on one control connection at Q queries
 *       per second (a fixed schedule; keys taken in turn from the built-in
 *       source's names for K keys), times each answer, and keeps going until the
 *       program on the other end goes away (or --max-queries). Prints one CSV row:
 *       queries, errors, unknown (answered "ERR unknown key"), p50/p99/max/mean
 *       latency in µs. A query is timed from just before its send to its answer.
 *
 *   qload --pace R [--count N] < stream > pipeline's stdin
 *       The offered load. Copies lines from stdin to stdout at R lines per second
 *       (every millisecond, as many lines as the schedule allows so far), so a
 *       pipeline reading `--input -` sees a steady rate instead of a flood.
 *
 * Both wait on the clock with clock_nanosleep(TIMER_ABSTIME) to the next slot of
 * their schedule, so lateness does not accumulate. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "ctlclient.h"
#include "hist.h"
#include "param.h"
#include "source.h"
#include "timing.h"

#define ANSWER_MAX  1024        /* longest answer line we keep */
#define QUERY_MS    2000        /* a query not answered by then counts as an error */

static const char usage_text[] =
    "usage: qload --control PATH --qps Q [--keys K] [--max-queries N] [--connect-ms MS] [--quiet]\n"
    "       qload --pace R [--count N]\n"
    "The query client and the load pacer of the query_latency experiment.\n"
    "  --control PATH     send GET queries to the control socket at PATH\n"
    "  --qps Q            queries per second (default 100)\n"
    "  --keys K           keys to ask about, named as the built-in source names K keys (default 100)\n"
    "  --max-queries N    stop after N queries (default: until the program goes away)\n"
    "  --connect-ms MS    how long to wait for the socket to appear (default 10000)\n"
    "  --pace R           copy stdin to stdout at R lines per second\n"
    "  --count N          with --pace: stop after N lines\n"
    "  --quiet            no summary on stderr\n"
    "Output (query client): CSV on stdout, columns\n"
    "queries,errors,unknown,p50_us,p99_us,max_us,mean_us,qps.\n";

static void usage_error(const char *why, const char *arg)
{
    fprintf(stderr, "qload: %s%s\n%s", why, arg ? arg : "", usage_text);
    exit(EXIT_USAGE);
}

static double parse_num(const char *s, double lo, double hi, const char *flag)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        usage_error("bad value for ", flag);
    return v;
}

/* Sleep until the absolute monotonic time t_ns. */
static void sleep_until_ns(uint64_t t_ns)
{
    struct timespec ts = { .tv_sec = (time_t)(t_ns / 1000000000u),
                           .tv_nsec = (long)(t_ns % 1000000000u) };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static int pace(double rate, unsigned long long count)
{
    char line[LINE_MAX_BYTES + 2];
    unsigned long long sent = 0;
    uint64_t t0 = now_ns(), tick = t0;
    for (;;) {
        /* Lines the schedule allows by now, minus those already sent. */
        unsigned long long due = (unsigned long long)((double)(tick - t0) / 1e9 * rate) + 1;
        while (sent < due && (count == 0 || sent < count)) {
            if (!fgets(line, sizeof line, stdin))
                goto done;
            if (fputs(line, stdout) == EOF)
                goto done;
            sent++;
        }
        if (count && sent >= count)
            break;
        if (fflush(stdout) == EOF)
            break;
        tick += 1000000;                    /* 1 ms */
        sleep_until_ns(tick);
    }
done:
    fflush(stdout);
    return EXIT_OK;
}

static int query(const char *path, double qps, unsigned keys, unsigned long long max_q,
                 int connect_ms, int quiet, int argc, char **argv)
{
    /* The program under test may not have created its socket yet: retry a
     * missing or refusing socket until connect_ms have passed (a start-up wait,
     * once per run). */
    uint64_t give_up = now_ns() + (uint64_t)connect_ms * 1000000u;
    int fd;
    while ((fd = ctlclient_open(path, connect_ms)) < 0 &&
           (errno == ENOENT || errno == ECONNREFUSED) && now_ns() < give_up)
        sleep_until_ns(now_ns() + 5000000);
    if (fd < 0) {
        fprintf(stderr, "qload: connecting to %s failed: %s\n", path, strerror(errno));
        return EXIT_FAILURE_RT;
    }
    struct hist *h = malloc(sizeof *h);
    if (!h) {
        fprintf(stderr, "qload: out of memory\n");
        close(fd);
        return EXIT_FAILURE_RT;
    }
    hist_init(h);
    unsigned long long queries = 0, errors = 0, unknown = 0;
    char cmd[64], key[KEY_MAX + 1], answer[ANSWER_MAX], first_err[128] = "";
    uint64_t period = (uint64_t)(1e9 / qps), next = now_ns();
    for (unsigned i = 0; max_q == 0 || queries < max_q; i = (i + 1) % keys) {
        sleep_until_ns(next);
        next += period;
        source_key_name_of(keys, i, key);
        snprintf(cmd, sizeof cmd, "GET %s", key);
        uint64_t t = now_ns();
        int n = ctlclient_request(fd, cmd, answer, sizeof answer, QUERY_MS);
        uint64_t lat = now_ns() - t;
        if (n < 0 && errno == EMSGSIZE)
            n = 0;                          /* answered, just longer than we keep */
        if (n < 0) {
            if (errno == ETIMEDOUT) {
                errors++;
                if (!first_err[0])
                    snprintf(first_err, sizeof first_err, "no answer within %d ms", QUERY_MS);
                continue;
            }
            break;                          /* the program went away: the run is over */
        }
        if (strncmp(answer, "ERR shutting down", 17) == 0)
            break;
        queries++;
        if (strncmp(answer, "ERR unknown key", 15) == 0)
            unknown++;
        else if (strncmp(answer, "ERR", 3) == 0 && errors++ == 0)
            snprintf(first_err, sizeof first_err, "%.100s", answer);
        hist_add(h, lat);
    }
    close(fd);
    if (csv_meta(stdout, argc, argv) < 0) {
        fprintf(stderr, "qload: writing CSV metadata failed: %s\n", strerror(errno));
        free(h);
        return EXIT_FAILURE_RT;
    }
    printf("queries,errors,unknown,p50_us,p99_us,max_us,mean_us,qps\n");
    printf("%llu,%llu,%llu,%.1f,%.1f,%.1f,%.1f,%g\n", queries, errors, unknown,
           hist_quantile(h, 0.5) / 1e3, hist_quantile(h, 0.99) / 1e3, hist_quantile(h, 1.0) / 1e3,
           hist_mean(h) / 1e3, qps);
    if (!quiet)
        fprintf(stderr, "qload: %llu queries at %g/s on %s: p50 %.1f us, p99 %.1f us, max %.1f us; "
                "%llu errors%s%s%s, %llu unknown keys\n", queries, qps, path,
                hist_quantile(h, 0.5) / 1e3, hist_quantile(h, 0.99) / 1e3,
                hist_quantile(h, 1.0) / 1e3, errors, first_err[0] ? " (first: " : "",
                first_err[0] ? first_err : "", first_err[0] ? ")" : "", unknown);
    free(h);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILURE_RT;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "control", required_argument, NULL, 'c' },
        { "qps", required_argument, NULL, 'q' },
        { "keys", required_argument, NULL, 'k' },
        { "max-queries", required_argument, NULL, 'm' },
        { "connect-ms", required_argument, NULL, 't' },
        { "pace", required_argument, NULL, 'p' },
        { "count", required_argument, NULL, 'n' },
        { "quiet", no_argument, NULL, 'Q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *control = NULL;
    double qps = 100, rate = 0;
    unsigned keys = KEYS_DEFAULT;
    unsigned long long max_q = 0, count = 0;
    int connect_ms = 10000, quiet = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': control = optarg; break;
        case 'q': qps = parse_num(optarg, 0.1, 1e6, "--qps"); break;
        case 'k': keys = (unsigned)parse_num(optarg, 1, 1e7, "--keys"); break;
        case 'm': max_q = (unsigned long long)parse_num(optarg, 1, 1e12, "--max-queries"); break;
        case 't': connect_ms = (int)parse_num(optarg, 1, 3.6e6, "--connect-ms"); break;
        case 'p': rate = parse_num(optarg, 1, 1e9, "--pace"); break;
        case 'n': count = (unsigned long long)parse_num(optarg, 1, 1e15, "--count"); break;
        case 'Q': quiet = 1; break;
        case 'h': fputs(usage_text, stdout); return EXIT_OK;
        default: usage_error("unknown option or missing value: ", argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected argument ", argv[optind]);
    if ((control != NULL) == (rate > 0))
        usage_error("give exactly one of --control and --pace", NULL);
    /* A reader that goes away ends the run; it must not kill us mid-write. */
    signal(SIGPIPE, SIG_IGN);
    if (rate > 0)
        return pace(rate, count);
    return query(control, qps, keys, max_q, connect_ms, quiet, argc, argv);
}
