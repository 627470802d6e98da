/* serbench: what serialization costs (the serialization experiment, the seed's
 * "prove that pickling is the bottleneck").
 *
 * For each codec (raw, msgpack, json) and payload (flat: one kit message through
 * lib/codec.h; nested: a map with a sub-map and a list; array: 1000 doubles; see
 * record.h) it measures the encoded size and the encode and decode time (median
 * of --repeats runs of at least --min-ms each), checks that decoding gives back
 * exactly what was encoded, and puts the figure next to a pipe round trip of the
 * same number of bytes measured in the same run (default scheduling):
 *
 *   round_trip_share = 2 (encode + decode) / (2 (encode + decode) + pipe_rt)
 *
 * i.e. the share of a request/reply exchange of two such records that goes to
 * turning them into bytes and back rather than moving the bytes. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "codec.h"
#include "csv.h"
#include "msg.h"
#include "param.h"
#include "record.h"
#include "timing.h"

#define REPEATS_MAX 101         /* most --repeats */

enum payload { PL_FLAT, PL_NESTED, PL_ARRAY, PL_COUNT };
static const char *const payload_names[PL_COUNT] = { "flat", "nested", "array" };

/* One thing to encode and decode. */
struct subject {
    enum codec codec;
    enum payload pl;
    struct msg flat;            /* the originals */
    struct nested nested;
    struct numarray array;
    struct buf enc;             /* the encoding (encode target) */
    struct msg flat_out;        /* decode targets */
    struct nested nested_out;
    struct numarray array_out;
    struct buf scratch;         /* for the json message decoder */
};

static int do_encode(struct subject *s)
{
    buf_reset(&s->enc);
    switch (s->pl) {
    case PL_FLAT: return codec_encode(s->codec, &s->flat, &s->enc);
    case PL_NESTED: return nested_encode(s->codec, &s->nested, &s->enc);
    default: return numarray_encode(s->codec, &s->array, &s->enc);
    }
}

static int do_decode(struct subject *s)
{
    switch (s->pl) {
    case PL_FLAT:
        buf_reset(&s->scratch);
        return codec_decode(s->codec, s->enc.data, s->enc.len, &s->flat_out, &s->scratch,
                            NULL, 0);
    case PL_NESTED: return nested_decode(s->codec, s->enc.data, s->enc.len, &s->nested_out);
    default: return numarray_decode(s->codec, s->enc.data, s->enc.len, &s->array_out);
    }
}

static int decoded_equal(const struct subject *s)
{
    switch (s->pl) {
    case PL_FLAT:
        return strcmp(s->flat.key, s->flat_out.key) == 0 && s->flat.op == s->flat_out.op &&
               s->flat.value == s->flat_out.value && s->flat.seq == s->flat_out.seq &&
               s->flat.has_value == s->flat_out.has_value && s->flat_out.payload_len == 0;
    case PL_NESTED: return nested_equal(&s->nested, &s->nested_out);
    default: return numarray_equal(&s->array, &s->array_out);
    }
}

/* ns per call of op(s), in doubling batches until min_ns have passed. */
static int time_op(int (*op)(struct subject *), struct subject *s, uint64_t min_ns, double *ns)
{
    for (int i = 0; i < 8; i++)         /* warm caches and allocators */
        if (op(s) < 0)
            return -1;
    uint64_t t0 = now_ns(), batch = 1, ops = 0, el;
    do {
        for (uint64_t i = 0; i < batch; i++)
            if (op(s) < 0)
                return -1;
        ops += batch;
        el = now_ns() - t0;
        if (el * 16 < min_ns && batch < (1u << 22))
            batch *= 2;
    } while (el < min_ns);
    *ns = (double)el / (double)ops;
    return 0;
}

static const char usage_text[] =
    "usage: serbench [--min-ms MS] [--repeats R] [--quiet]\n"
    "Encode + decode cost and size of raw / msgpack / json x flat / nested / array,\n"
    "and their share of a pipe round trip of the same size measured in the same run.\n"
    "  --min-ms MS   minimum timed duration of one run (default 50)\n"
    "  --repeats R   runs per point; the median is reported (default 3)\n"
    "  --quiet       no progress on stderr\n"
    "Output: CSV on stdout, columns codec,payload,bytes,encode_ns,decode_ns,\n"
    "pipe_rt_us,round_trip_share,repeats.\n";

static unsigned parse_u(const char *s, unsigned lo, unsigned hi, const char *flag)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v < lo || v > hi) {
        fprintf(stderr, "serbench: bad value for %s: %s\n%s", flag, s, usage_text);
        exit(EXIT_USAGE);
    }
    return (unsigned)v;
}

/* The command line; --help and every error exit here (0, or EXIT_USAGE). */
static void parse_args(int argc, char **argv, unsigned *min_ms, unsigned *repeats, int *quiet)
{
    static const struct option longopts[] = {
        { "min-ms", required_argument, NULL, 'm' },
        { "repeats", required_argument, NULL, 'r' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': *min_ms = parse_u(optarg, 1, 60000, "--min-ms"); break;
        case 'r': *repeats = parse_u(optarg, 1, REPEATS_MAX, "--repeats"); break;
        case 'q': *quiet = 1; break;
        case 'h': fputs(usage_text, stdout); exit(EXIT_OK);
        default:
            fprintf(stderr, "serbench: unknown option or missing value: %s\n%s",
                    argv[optind - 1], usage_text);
            exit(EXIT_USAGE);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "serbench: unexpected argument %s\n%s", argv[optind], usage_text);
        exit(EXIT_USAGE);
    }
}

/* One CSV row: s's codec on s's payload, medians of `repeats` measurements.
 * Returns 0, or -1 after a one-line message on stderr. */
static int measure_row(struct subject *s, unsigned repeats, uint64_t min_ns, double m[4])
{
    double enc[REPEATS_MAX], dec[REPEATS_MAX], rt[REPEATS_MAX];
    char err[256];
    const char *what = payload_names[s->pl], *cname = codec_name(s->codec);
    if (do_encode(s) < 0 || do_decode(s) < 0 || !decoded_equal(s)) {
        fprintf(stderr, "serbench: %s %s: the decoded record differs from the original "
                "(or a codec failed: %s)\n", cname, what, strerror(errno));
        return -1;
    }
    size_t bytes = s->enc.len;
    for (unsigned r = 0; r < repeats; r++) {
        struct chan_result pr;
        if (time_op(do_encode, s, min_ns, &enc[r]) < 0 || time_op(do_decode, s, min_ns, &dec[r]) < 0) {
            fprintf(stderr, "serbench: %s %s failed: %s\n", cname, what, strerror(errno));
            return -1;
        }
        if (chan_round_trip(TR_PIPE, bytes, 0, min_ns, &pr, err, sizeof err) < 0) {
            fprintf(stderr, "serbench: pipe round trip of %zu B: %s\n", bytes, err);
            return -1;
        }
        rt[r] = pr.ns_per_op;
    }
    double e = timing_median(enc, repeats), d = timing_median(dec, repeats), p = timing_median(rt, repeats);
    double share = 2 * (e + d) / (2 * (e + d) + p);
    printf("%s,%s,%zu,%.1f,%.1f,%.3f,%.4f,%u\n", cname, what, bytes, e, d, p / 1000.0, share, repeats);
    fflush(stdout);
    m[0] = e, m[1] = d, m[2] = p, m[3] = share;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned min_ms = 50, repeats = 3;
    int quiet = 0;
    parse_args(argc, argv, &min_ms, &repeats, &quiet);
    signal(SIGPIPE, SIG_IGN);
    uint64_t min_ns = (uint64_t)min_ms * 1000000u;

    struct subject *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "serbench: out of memory\n");
        return EXIT_FAILURE_RT;
    }
    msg_set_key(&s->flat, "k0042", 5);
    s->flat.op = OP_DATA;
    s->flat.has_value = true;
    s->flat.value = 57.25;
    s->flat.seq = 123456;
    nested_sample(&s->nested);
    numarray_sample(&s->array);

    if (csv_meta(stdout, argc, argv) < 0) {
        fprintf(stderr, "serbench: writing CSV metadata failed: %s\n", strerror(errno));
        return EXIT_FAILURE_RT;
    }
    printf("# repeats=%u\n# min_ms=%u\n", repeats, min_ms);
    printf("# round_trip_share=2*(encode+decode)/(2*(encode+decode)+pipe round trip of the same "
           "bytes, default scheduling)\n");
    printf("codec,payload,bytes,encode_ns,decode_ns,pipe_rt_us,round_trip_share,repeats\n");

    int total = CODEC_COUNT * PL_COUNT, done = 0;
    for (int pl = 0; pl < PL_COUNT; pl++) {
        for (int cd = 0; cd < CODEC_COUNT; cd++) {
            s->codec = (enum codec)cd;
            s->pl = (enum payload)pl;
            double m[4];        /* encode ns, decode ns, pipe round trip ns, share */
            if (measure_row(s, repeats, min_ns, m) < 0)
                return EXIT_FAILURE_RT;
            done++;
            if (!quiet)
                fprintf(stderr, "serialization: %d/%d %s %s: %zu B, encode %.0f ns, decode %.0f ns,"
                        " pipe round trip %.1f us, share %.1f %%\n", done, total, codec_name(s->codec),
                        payload_names[pl], s->enc.len, m[0], m[1], m[2] / 1000.0, 100 * m[3]);
        }
    }
    buf_free(&s->enc);
    buf_free(&s->scratch);
    free(s);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "serbench: writing the CSV failed: %s\n", strerror(errno));
        return EXIT_FAILURE_RT;
    }
    return EXIT_OK;
}
