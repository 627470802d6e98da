/* worker.h: one phase-3 worker process: owns the state machines of the keys
 * routed to it, applies their messages in order, answers queries about them. */
#ifndef P3_WORKER_H
#define P3_WORKER_H

#include <stdint.h>

#include "codec.h"

struct registry;

#define WORKER_SLICE 256        /* most messages applied per loop turn before queries get a look-in */
#define WORKER_SLICE_NS 250000u /* ... or this much time (250 µs), whichever comes first */

#define WORKER_EXIT_OK       0  /* pill received and report sent, or supervisor gone */
#define WORKER_EXIT_PROTOCOL 3  /* a corrupt frame on a channel */
#define WORKER_EXIT_NOMEM    4  /* out of memory */

struct worker_cfg {
    unsigned slot;              /* which slot of the process table this is */
    enum codec codec;           /* how messages are encoded on the data channel */
    uint32_t work;              /* --work units per DATA message */
    unsigned slice;             /* messages per loop turn (WORKER_SLICE) */
    int checkpoints;            /* 1: track changed keys and answer CKPT_REQ (--recovery on) */
    /* A respawn starts from its slot's last checkpoint. The child is a fork of
     * the supervisor, so the checkpoint reaches it as inherited memory: these
     * point into the child's copy of the supervisor's heap (NULL/0: start empty). */
    const struct registry *restore;  /* the checkpoint's rows, copied into the worker's registry */
    uint64_t base;              /* slot messages inside that checkpoint (the replay starts after) */
    uint64_t base_seq;          /* stream seq of the last of them (valid when base > 0) */
};

/* Run the worker on its two socketpair ends until the poison pill (then report
 * and return WORKER_EXIT_OK) or until the supervisor disappears. Builds its own
 * libuv loop; closes both fds. Returns the process's exit status. */
int worker_run(const struct worker_cfg *cfg, int data_fd, int query_fd);

#endif
