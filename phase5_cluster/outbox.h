/* outbox.h: rank 0's outgoing side to one worker rank: the batch being
 * filled, the batches in flight (sent with MPI_Isend, not yet acked) and the
 * credits that bound them, so that memory stays bounded whatever the input
 * rate (phase 3's back-pressure, over MPI).
 *
 * A batch's buffer must live until MPI says the send is complete (MPI_Test);
 * its credit is returned when the worker acks having applied it. Both must
 * happen before the batch leaves the ring. At most OUTBOX_RING batches,
 * `depth` messages and OUTBOX_BYTES bytes are in flight per worker; then
 * outbox_room says no and the caller holds its message (a stall).
 * MPI calls: the caller's thread must be the one that initialised MPI. */
#ifndef KIT_OUTBOX_H
#define KIT_OUTBOX_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

#define OUTBOX_RING  64                 /* batches in flight per worker */
#define OUTBOX_BYTES (4u << 20)         /* bytes in flight per worker */

struct outbox_batch {
    MPI_Request req;            /* MPI_REQUEST_NULL once the send completed */
    struct buf data;
    uint64_t msgs_end;          /* outbox.routed after this batch: acked when applied >= this */
};

struct outbox {
    int rank;                   /* the worker's rank in comm */
    MPI_Comm comm;
    unsigned depth;             /* messages in flight at most */
    struct buf cur;             /* the batch being filled */
    unsigned cur_msgs;
    struct outbox_batch ring[OUTBOX_RING];
    unsigned head, count;       /* oldest batch in flight, and how many */
    size_t bytes_in_flight;     /* bytes of the ring's batches */
    uint64_t routed;            /* messages put, cur included */
    uint64_t applied;           /* the worker's last cumulative ack */
    uint64_t keys;              /* keys the worker held at its last ack */
    uint64_t batches;           /* batches sent */
};

void outbox_init(struct outbox *o, MPI_Comm comm, int rank, unsigned depth);

/* True if a message of payload_len bytes may be put now without going past a
 * limit (always true when nothing at all is in flight, so a message larger
 * than OUTBOX_BYTES still goes, alone). */
bool outbox_room(const struct outbox *o, uint32_t payload_len);

/* Add m to the current batch, sending it once it is full. Returns 0, or -1
 * with errno (ENOMEM, EINVAL; EIO with the MPI error in err if the send failed). */
int outbox_put(struct outbox *o, const struct msg *m, char *err, size_t errlen);

/* Send the current batch now if it holds anything. Returns 0 or -1 as above. */
int outbox_flush(struct outbox *o, char *err, size_t errlen);

/* Retire completed sends (MPI_Test). Returns 0, or -1 with a reason in err. */
int outbox_progress(struct outbox *o, char *err, size_t errlen);

/* The worker acked: it has applied `applied` messages and holds `keys` keys. */
void outbox_ack(struct outbox *o, uint64_t applied, uint64_t keys);

/* Messages routed and not yet applied. */
uint64_t outbox_in_flight(const struct outbox *o);

/* True while a send is not complete or a batch not acked. */
bool outbox_busy(const struct outbox *o);

/* Free the buffers (every send must be complete). */
void outbox_free(struct outbox *o);

#endif
