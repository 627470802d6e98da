/* keeper.c: the worker rank's loop.
 *
 * One blocking MPI_Probe(rank 0, any tag) at the top of the loop takes rank
 * 0's messages in the order they were sent: batches, then END, then BYE. A GET
 * must not wait behind the batches queued before it, so while a batch is being
 * applied the worker asks MPI_Iprobe(rank 0, CMSG_GET) every KEEPER_SLICE_NS:
 * a receive for one tag matches the first message of that tag, whatever came
 * before it. A GET waits at most one slice, whatever --work is.
 *
 * Open MPI's blocking calls spin on the CPU while they wait (and yield the CPU
 * when mpirun knows the node is oversubscribed): an idle worker rank still
 * shows up in top. That is MPI's trade, latency for cores. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmsg.h"
#include "codec.h"
#include "frame.h"
#include "dump.h"
#include "fsm.h"
#include "keeper.h"
#include "registry.h"
#include "timing.h"

#define KEEPER_SLICE_NS 250000  /* apply at most this long between looks for a GET */

struct keeper {
    MPI_Comm comm;
    uint32_t work;
    struct registry *reg;
    struct buf in;              /* the last message received */
    struct framer fr;           /* cuts a batch into its frames */
    struct cmsg_report rep;
    char *err;
    size_t errlen;
};

/* --work's result goes here so the compiler cannot drop the work. */
static volatile uint64_t work_sink;

static int fail_mpi(struct keeper *k, int rc, const char *what)
{
    char s[MPI_MAX_ERROR_STRING];
    int n = 0;
    MPI_Error_string(rc, s, &n);
    snprintf(k->err, k->errlen, "%s: %s", what, s);
    return -1;
}

/* Receive the message st announced into k->in. */
static int recv_into(struct keeper *k, const MPI_Status *st, int tag)
{
    int n = 0;
    MPI_Get_count(st, MPI_BYTE, &n);
    buf_reset(&k->in);
    if (n > 0 && buf_reserve(&k->in, (size_t)n) < 0) {
        snprintf(k->err, k->errlen, "no memory for a message of %d bytes", n);
        return -1;
    }
    int rc = MPI_Recv(k->in.data, n, MPI_BYTE, 0, tag, k->comm, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS)
        return fail_mpi(k, rc, "MPI_Recv from rank 0");
    k->in.len = (size_t)n;
    return 0;
}

static int answer_get(struct keeper *k)
{
    struct cmsg_get g;
    int rc = MPI_Recv(&g, (int)sizeof g, MPI_BYTE, 0, CMSG_GET, k->comm, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS)
        return fail_mpi(k, rc, "MPI_Recv of a GET");
    g.key[KEY_MAX] = '\0';
    char out[8 + DUMP_ROW_MAX];
    memcpy(out, &g.id, 8);
    int len = 0;
    const struct keystate *ks = registry_find(k->reg, g.key, strlen(g.key));
    if (ks)
        len = dump_row(ks, out + 8, DUMP_ROW_MAX);
    rc = MPI_Send(out, 8 + (len > 0 ? len : 0), MPI_BYTE, 0, CMSG_ANSWER, k->comm);
    return rc == MPI_SUCCESS ? 0 : fail_mpi(k, rc, "MPI_Send of an answer");
}

/* Answer every GET already waiting. */
static int answer_waiting(struct keeper *k)
{
    for (;;) {
        int flag = 0;
        int rc = MPI_Iprobe(0, CMSG_GET, k->comm, &flag, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return fail_mpi(k, rc, "MPI_Iprobe for a GET");
        if (!flag)
            return 0;
        if (answer_get(k) < 0)
            return -1;
    }
}

/* One message of a batch: decode, apply (and --work), count. */
static int apply_one(struct keeper *k, const uint8_t *body, size_t len)
{
    struct msg m;
    char why[128];
    if (codec_decode(CODEC_RAW, body, len, &m, NULL, why, sizeof why) < 0) {
        snprintf(k->err, k->errlen, "batch %llu from rank 0: a message does not decode: %s",
                 (unsigned long long)k->rep.batches, why);
        return -1;
    }
    struct keystate *ks = registry_get(k->reg, m.key, m.key_len);
    if (!ks) {
        snprintf(k->err, k->errlen, "cannot add key '%s' (%zu keys so far): %s", m.key,
                 registry_count(k->reg), strerror(errno));
        return -1;
    }
    if (k->work && m.op == OP_DATA)
        work_sink ^= work_burn(k->work, m.seq);
    fsm_apply_msg(ks, &m);
    k->rep.messages++;
    return 0;
}

static int apply_batch(struct keeper *k)
{
    uint64_t t0 = now_ns(), slice = t0;
    if (framer_feed(&k->fr, k->in.data, k->in.len) < 0) {
        snprintf(k->err, k->errlen, "no memory for a batch of %zu bytes", k->in.len);
        return -1;
    }
    const uint8_t *body;
    size_t len;
    int r;
    while ((r = framer_next(&k->fr, &body, &len)) == 1) {
        if (apply_one(k, body, len) < 0)
            return -1;
        if ((k->rep.messages & 15) == 0 && now_ns() - slice >= KEEPER_SLICE_NS) {
            if (answer_waiting(k) < 0)
                return -1;
            slice = now_ns();
        }
    }
    if (r < 0 || k->fr.off != k->fr.in.len) {   /* a frame cut by the end of its batch */
        snprintf(k->err, k->errlen, "batch %llu from rank 0 ends inside a frame", (unsigned long long)k->rep.batches);
        return -1;
    }
    k->rep.batches++;
    k->rep.apply_ns += now_ns() - t0;
    struct cmsg_ack ack = { k->rep.messages, registry_count(k->reg) };
    int rc = MPI_Send(&ack, (int)sizeof ack, MPI_BYTE, 0, CMSG_ACK, k->comm);
    return rc == MPI_SUCCESS ? 0 : fail_mpi(k, rc, "MPI_Send of an ack");
}

static int append_row(struct keystate *ks, void *arg)
{
    struct buf *b = arg;
    char row[DUMP_ROW_MAX];
    int n = dump_row(ks, row, sizeof row);
    if (n < 0 || buf_append(b, row, (size_t)n) < 0 || buf_append(b, "\n", 1) < 0)
        return -1;
    return 0;
}

/* CMSG_END: the report, then every row (unsorted: rank 0 sorts the whole dump). */
static int send_rows(struct keeper *k)
{
    k->rep.keys = registry_count(k->reg);
    k->rep.cpu_ns = cpu_ns();
    int rc = MPI_Send(&k->rep, (int)sizeof k->rep, MPI_BYTE, 0, CMSG_REPORT, k->comm);
    if (rc != MPI_SUCCESS)
        return fail_mpi(k, rc, "MPI_Send of the report");
    struct buf rows = BUF_INIT;
    if (registry_each(k->reg, append_row, &rows) != 0) {
        buf_free(&rows);
        snprintf(k->err, k->errlen, "no memory for the rows of %zu keys", registry_count(k->reg));
        return -1;
    }
    rc = MPI_Send(rows.data, (int)rows.len, MPI_BYTE, 0, CMSG_ROWS, k->comm);
    buf_free(&rows);
    return rc == MPI_SUCCESS ? 0 : fail_mpi(k, rc, "MPI_Send of the rows");
}

static int serve(struct keeper *k)
{
    for (;;) {
        MPI_Status st;
        uint64_t t0 = now_ns();
        int rc = MPI_Probe(0, MPI_ANY_TAG, k->comm, &st);
        k->rep.wait_ns += now_ns() - t0;
        if (rc != MPI_SUCCESS)
            return fail_mpi(k, rc, "MPI_Probe");
        switch (st.MPI_TAG) {
        case CMSG_BATCH:
            if (recv_into(k, &st, CMSG_BATCH) < 0 || apply_batch(k) < 0)
                return -1;
            break;
        case CMSG_GET:
            if (answer_get(k) < 0)
                return -1;
            break;
        case CMSG_END:
            if (recv_into(k, &st, CMSG_END) < 0 || send_rows(k) < 0)
                return -1;
            break;
        case CMSG_BYE:
            return recv_into(k, &st, CMSG_BYE);
        default:
            snprintf(k->err, k->errlen, "unexpected tag %d from rank 0", st.MPI_TAG);
            return -1;
        }
    }
}

int keeper_run(MPI_Comm comm, uint32_t work, char *err, size_t errlen)
{
    struct keeper k = { .comm = comm, .work = work, .err = err, .errlen = errlen };
    framer_init(&k.fr);
    k.reg = registry_new();
    if (!k.reg) {
        snprintf(err, errlen, "cannot allocate the registry: %s", strerror(errno));
        return -1;
    }
    int rc = serve(&k);
    buf_free(&k.in);
    framer_free(&k.fr);
    registry_free(k.reg);
    return rc;
}
