/* outbox.c: batches to one worker rank, with MPI_Isend and credits. */
#include <errno.h>
#include <stdio.h>

#include "cmsg.h"
#include "outbox.h"

void outbox_init(struct outbox *o, MPI_Comm comm, int rank, unsigned depth)
{
    *o = (struct outbox){ .rank = rank, .comm = comm, .depth = depth };
    for (unsigned i = 0; i < OUTBOX_RING; i++)
        o->ring[i].req = MPI_REQUEST_NULL;
}

uint64_t outbox_in_flight(const struct outbox *o)
{
    return o->routed - o->applied;
}

bool outbox_room(const struct outbox *o, uint32_t payload_len)
{
    if (o->count == OUTBOX_RING)    /* a free slot, so the current batch can always go */
        return false;
    if (outbox_in_flight(o) == 0)
        return true;
    size_t bytes = o->bytes_in_flight + o->cur.len + CMSG_RECORD_MAX + payload_len;
    return outbox_in_flight(o) < o->depth && bytes <= OUTBOX_BYTES;
}

static int mpi_fail(int rc, const char *what, int rank, char *err, size_t errlen)
{
    char s[MPI_MAX_ERROR_STRING];
    int n = 0;
    MPI_Error_string(rc, s, &n);
    snprintf(err, errlen, "%s to rank %d failed: %s", what, rank, s);
    errno = EIO;
    return -1;
}

int outbox_flush(struct outbox *o, char *err, size_t errlen)
{
    if (o->cur_msgs == 0)
        return 0;
    if (o->count == OUTBOX_RING) {      /* outbox_room prevents it */
        snprintf(err, errlen, "no free batch slot for rank %d", o->rank);
        errno = ENOBUFS;
        return -1;
    }
    struct outbox_batch *b = &o->ring[(o->head + o->count) % OUTBOX_RING];
    struct buf t = b->data;     /* swap buffers: the ring's old one is reused for filling */
    buf_reset(&t);
    b->data = o->cur;
    o->cur = t;
    b->msgs_end = o->routed;
    o->bytes_in_flight += b->data.len;
    o->count++;
    o->cur_msgs = 0;
    o->batches++;
    int rc = MPI_Isend(b->data.data, (int)b->data.len, MPI_BYTE, o->rank, CMSG_BATCH, o->comm, &b->req);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(rc, "MPI_Isend of a batch", o->rank, err, errlen);
}

int outbox_put(struct outbox *o, const struct msg *m, char *err, size_t errlen)
{
    if (cmsg_put(&o->cur, m) < 0) {
        snprintf(err, errlen, "encoding message %llu for rank %d failed", (unsigned long long)m->seq, o->rank);
        return -1;
    }
    o->cur_msgs++;
    o->routed++;
    if (o->cur_msgs >= CMSG_BATCH_MSGS || o->cur.len >= CMSG_BATCH_BYTES)
        return outbox_flush(o, err, errlen);
    return 0;
}

/* Drop the oldest batches that are both sent and applied. */
static void retire(struct outbox *o)
{
    while (o->count > 0) {
        struct outbox_batch *b = &o->ring[o->head];
        if (b->req != MPI_REQUEST_NULL || b->msgs_end > o->applied)
            return;
        o->bytes_in_flight -= b->data.len;
        buf_reset(&b->data);
        o->head = (o->head + 1) % OUTBOX_RING;
        o->count--;
    }
}

int outbox_progress(struct outbox *o, char *err, size_t errlen)
{
    for (unsigned i = 0; i < o->count; i++) {
        struct outbox_batch *b = &o->ring[(o->head + i) % OUTBOX_RING];
        if (b->req == MPI_REQUEST_NULL)
            continue;
        int done = 0;
        int rc = MPI_Test(&b->req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return mpi_fail(rc, "MPI_Test of a batch", o->rank, err, errlen);
        if (!done)
            break;              /* sends to one rank complete in order */
    }
    retire(o);
    return 0;
}

void outbox_ack(struct outbox *o, uint64_t applied, uint64_t keys)
{
    if (applied > o->applied)
        o->applied = applied;
    o->keys = keys;
    retire(o);
}

bool outbox_busy(const struct outbox *o)
{
    return o->count > 0 || o->cur_msgs > 0;
}

void outbox_free(struct outbox *o)
{
    buf_free(&o->cur);
    for (unsigned i = 0; i < OUTBOX_RING; i++)
        buf_free(&o->ring[i].data);
}
