/* cmsg.h: what rank 0 and the worker ranks say to each other over MPI.
 *
 * Every message travels on one communicator (a duplicate of MPI_COMM_WORLD, so
 * no library sharing the world can match ours) and its tag says what it is.
 * MPI keeps the order of messages between two ranks on one communicator when
 * the receiver matches them in order (MPI_Probe with MPI_ANY_TAG), which is the
 * per-key order the dump depends on; a receive for one tag only (a worker's
 * MPI_Iprobe for CMSG_GET between slices) may overtake messages of other tags,
 * which is how a query jumps the queue of batches (phase 3 needs a second
 * socketpair for that).
 *
 *   rank 0 -> worker   CMSG_BATCH  messages, each one lib/frame.h frame ([u32 LE length]
 *                                  [body]) holding its raw codec encoding: the
 *                                  worker decodes them with the kit's framer and
 *                                  codec, both fuzzed (tests/fuzz/)
 *                      CMSG_GET    struct cmsg_get
 *                      CMSG_END    nothing: no more batches (sent behind the last)
 *                      CMSG_BYE    nothing: no more queries either, finalize
 *   worker -> rank 0   CMSG_ACK    struct cmsg_ack after each batch applied
 *                      CMSG_ANSWER u64 id, then the key's dump row (none: unknown key)
 *                      CMSG_REPORT struct cmsg_report, after CMSG_END
 *                      CMSG_ROWS   the worker's dump rows, one per line
 *
 * The raw codec (lib/codec.h) is a fixed little-endian layout: ranks on
 * machines of another byte order still read it. The fixed structs below assume
 * ranks of one architecture, as an MPI job of one binary does. */
#ifndef KIT_CMSG_H
#define KIT_CMSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "codec.h"
#include "frame.h"
#include "msg.h"
#include "param.h"

#define CMSG_BATCH_MSGS   256           /* messages in one batch at most */
#define CMSG_BATCH_BYTES  (64u << 10)   /* a batch is sent once it holds this many bytes */
#define CMSG_RECORD_MAX   (FRAME_HDR + CODEC_RAW_FIXED + KEY_MAX)  /* one message's bytes besides its payload */

enum cmsg_tag {
    CMSG_BATCH = 1, CMSG_GET, CMSG_END, CMSG_BYE,
    CMSG_ACK, CMSG_ANSWER, CMSG_REPORT, CMSG_ROWS,
};

struct cmsg_get {
    uint64_t id;                /* rank 0's correlation id, echoed in the answer */
    char key[KEY_MAX + 1];      /* NUL-terminated */
};

struct cmsg_ack {
    uint64_t applied;           /* messages applied since the start (cumulative) */
    uint64_t keys;              /* keys the worker holds now */
};

struct cmsg_report {
    uint64_t messages;          /* messages applied */
    uint64_t keys;
    uint64_t batches;           /* batches received */
    uint64_t cpu_ns;            /* the worker process's CPU time */
    uint64_t apply_ns;          /* time spent applying (decode + fsm + --work) */
    uint64_t wait_ns;           /* time blocked in MPI_Probe waiting for rank 0 */
};

/* Who a rank is, gathered once at the start (for the summary and the abort report). */
struct cmsg_hello {
    int64_t pid;
    char host[64];              /* gethostname(), NUL-terminated */
};

/* Append m (with its payload) to batch b as one frame (lib/frame.h's layout,
 * encoded in place: no copy of the message). Returns 0, or -1 with errno
 * (ENOMEM; EINVAL if m breaks msg.h's contract). */
int cmsg_put(struct buf *b, const struct msg *m);

#endif
