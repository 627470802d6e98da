/* mpibench: what it costs to move a message between two MPI ranks, by size,
 * over whatever transport mpirun picked (the ipc_size experiment's MPI rows):
 *
 *   mpirun -np 2 bin/mpibench --label mpi-shm                       (shared memory)
 *   mpirun -np 2 --mca pml ob1 --mca btl tcp,self bin/mpibench --label mpi-tcp
 *
 * For every size it measures, as the median of --repeats runs of at least
 * --min-ms each, with ipcbench's columns:
 *   round_trip_us  MPI_Send of `bytes` to rank 1, which sends as many back;
 *   one_way_us     a stream of MPI_Send of `bytes` back to back, per message
 *                  (rank 1 acks every STREAM_BURST messages, so the clock
 *                  stops only when they have all arrived);
 *   mb_per_s       bytes / one_way_us (10^6 bytes per second).
 * pinned is 0: mpirun places the ranks (its default binding, one core each
 * when there are enough). CSV on stdout (metadata and header unless
 * --no-header); rank 1 only answers. */
#include <getopt.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "param.h"
#include "timing.h"

#define SIZES_MAX    32         /* most sizes in one --sizes list */
#define STREAM_BURST 64         /* messages between two acks in the stream */

enum { TAG_PING = 1, TAG_STREAM, TAG_BURST_END, TAG_ACK, TAG_STOP };

struct mpibench_opts {
    size_t size[SIZES_MAX];
    int nsize;
    unsigned min_ms, repeats;
    const char *label;
    int header;
};

static const char usage_text[] =
    "usage: mpirun -np 2 [MPI OPTIONS] mpibench [--sizes LIST] [--min-ms MS] [--repeats R]\n"
    "                                     [--label NAME] [--no-header]\n"
    "  --sizes LIST   message sizes in bytes (default 100,1024,10240,102400,1048576)\n"
    "  --min-ms MS    minimum timed duration of one run (default 50)\n"
    "  --repeats R    runs per point; the median is reported (default 3)\n"
    "  --label NAME   the transport column (default mpi)\n"
    "  --no-header    rows only (to append to another bench's CSV)\n";

static int parse(struct mpibench_opts *o, int argc, char **argv)
{
    static const struct option lo[] = {
        { "sizes", required_argument, NULL, 's' }, { "min-ms", required_argument, NULL, 'm' },
        { "repeats", required_argument, NULL, 'r' }, { "label", required_argument, NULL, 'l' },
        { "no-header", no_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
    };
    *o = (struct mpibench_opts){ .min_ms = 50, .repeats = 3, .label = "mpi", .header = 1 };
    const char *sizes = "100,1024,10240,102400,1048576";
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 's': sizes = optarg; break;
        case 'm': o->min_ms = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'r': o->repeats = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'l': o->label = optarg; break;
        case 'n': o->header = 0; break;
        default: return -1;
        }
    }
    for (const char *p = sizes; *p && o->nsize < SIZES_MAX;) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v == 0 || v > PAYLOAD_MAX)
            return -1;
        o->size[o->nsize++] = v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return optind == argc && o->nsize > 0 && o->min_ms > 0 && o->repeats > 0 && o->repeats <= 101 ? 0 : -1;
}

/* Rank 1: answer pings, swallow streams, ack bursts, until TAG_STOP. */
static void echo(char *buf, size_t cap)
{
    for (;;) {
        MPI_Status st;
        MPI_Recv(buf, (int)cap, MPI_BYTE, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        int n = 0;
        MPI_Get_count(&st, MPI_BYTE, &n);
        if (st.MPI_TAG == TAG_STOP)
            return;
        if (st.MPI_TAG == TAG_PING)
            MPI_Send(buf, n, MPI_BYTE, 0, TAG_PING, MPI_COMM_WORLD);
        else if (st.MPI_TAG == TAG_BURST_END)
            MPI_Send(buf, 1, MPI_BYTE, 0, TAG_ACK, MPI_COMM_WORLD);
    }
}

/* One timed run: per-operation microseconds and the operation count. */
static double run_once(char *buf, size_t bytes, int stream, unsigned min_ms, unsigned long *ops)
{
    uint64_t t0 = now_ns(), until = t0 + (uint64_t)min_ms * 1000000u;
    unsigned long n = 0;
    do {
        if (!stream) {
            MPI_Send(buf, (int)bytes, MPI_BYTE, 1, TAG_PING, MPI_COMM_WORLD);
            MPI_Recv(buf, (int)bytes, MPI_BYTE, 1, TAG_PING, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            n++;
        } else {
            for (int i = 0; i < STREAM_BURST; i++)
                MPI_Send(buf, (int)bytes, MPI_BYTE, 1, i + 1 < STREAM_BURST ? TAG_STREAM : TAG_BURST_END,
                         MPI_COMM_WORLD);
            MPI_Recv(buf, 1, MPI_BYTE, 1, TAG_ACK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            n += STREAM_BURST;
        }
    } while (now_ns() < until);
    *ops = n;
    return (double)(now_ns() - t0) / 1e3 / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(char *buf, size_t bytes, int stream, const struct mpibench_opts *o, unsigned long *ops)
{
    double t[101];
    for (unsigned r = 0; r < o->repeats; r++)
        t[r] = run_once(buf, bytes, stream, o->min_ms, ops);
    qsort(t, o->repeats, sizeof t[0], cmp_double);
    return t[o->repeats / 2];
}

int main(int argc, char **argv)
{
    struct mpibench_opts o;
    MPI_Init(&argc, &argv);
    int rank = 0, size = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (parse(&o, argc, argv) < 0 || size != 2) {
        if (rank == 0)
            fprintf(stderr, "mpibench: %s\n%s", size != 2 ? "needs exactly 2 ranks" : "bad arguments", usage_text);
        MPI_Finalize();
        return EXIT_USAGE;
    }
    size_t cap = 1;
    for (int i = 0; i < o.nsize; i++)
        cap = o.size[i] > cap ? o.size[i] : cap;
    char *buf = calloc(1, cap);
    if (!buf)
        MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE_RT);
    if (rank == 1) {
        echo(buf, cap);
    } else {
        if (o.header && (csv_meta(stdout, argc, argv) < 0 ||
                         printf("transport,bytes,pinned,round_trip_us,one_way_us,mb_per_s,rt_ops,ow_ops,repeats\n") < 0))
            MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE_RT);
        for (int i = 0; i < o.nsize; i++) {
            unsigned long rt_ops = 0, ow_ops = 0;
            double rt = median(buf, o.size[i], 0, &o, &rt_ops);
            double ow = median(buf, o.size[i], 1, &o, &ow_ops);
            printf("%s,%zu,0,%.3f,%.3f,%.6g,%lu,%lu,%u\n", o.label, o.size[i], rt, ow, (double)o.size[i] / ow,
                   rt_ops, ow_ops, o.repeats);
            fprintf(stderr, "mpibench: %s %zu B: round trip %.2f us, one way %.2f us\n", o.label, o.size[i], rt, ow);
        }
        fflush(stdout);
        MPI_Send(buf, 0, MPI_BYTE, 1, TAG_STOP, MPI_COMM_WORLD);
    }
    free(buf);
    MPI_Finalize();
    return EXIT_OK;
}
