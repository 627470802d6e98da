/* chan.h: a channel between this process and one forked peer, over one of four
 * transports, and the two measurements the ipc_size experiment makes on it:
 *
 *   inproc      no peer at all: a function call that copies the message in (and
 *               the reply out). The baseline every IPC figure is compared with.
 *   pipe        two pipes, one per direction.
 *   socketpair  one AF_UNIX SOCK_STREAM socketpair, used in both directions.
 *   shm         a MAP_SHARED ring of fixed slots per direction; an empty or full
 *               ring sleeps on a futex, never a polling sleep.
 *
 * Every transport copies a message twice per direction (sender -> kernel or
 * slot, then -> the receiver's own buffer), so the transports differ only in
 * what the copy goes through and how the peer is woken.
 *
 * "pinned" runs both ends on CPU 0: a hand-off is then a context switch on the
 * same core. Unpinned, the peer usually sleeps on the other core and every
 * message pays for waking it (an inter-processor interrupt, on a VM a trip
 * through the hypervisor): for small messages that wake-up is most of the cost. */
#ifndef KIT_CHAN_H
#define KIT_CHAN_H

#include <stddef.h>
#include <stdint.h>

#define CHAN_MAX_BYTES   (16u << 20)  /* largest message a measurement accepts */
#define CHAN_RING_BYTES  (256u << 10) /* target bytes of one shm ring (>= 2 slots) */

enum transport { TR_INPROC, TR_PIPE, TR_SOCKETPAIR, TR_SHM, TR_COUNT };

/* Parse "inproc", "pipe", "socketpair" or "shm". Returns 0, or -1 if unknown. */
int transport_parse(const char *s, enum transport *out);
const char *transport_name(enum transport t);

struct chan_result {
    double ns_per_op;           /* wall time of one round trip (or one message), ns */
    uint64_t ops;               /* operations timed (warm-up excluded) */
};

/* Ping-pong: send `bytes`, the peer receives them and sends `bytes` back; repeat
 * for at least min_ns after a short warm-up. With pinned, both ends run on CPU 0.
 * Returns 0, or -1 with errno (and a reason in err). */
int chan_round_trip(enum transport t, size_t bytes, int pinned, uint64_t min_ns,
                    struct chan_result *res, char *err, size_t errlen);

/* One-way stream: send `bytes`-sized messages back to back for at least min_ns,
 * then wait for the peer's acknowledgement that it received every one; ns_per_op
 * is the total time over the messages sent. Returns 0, or -1 with errno. */
int chan_one_way(enum transport t, size_t bytes, int pinned, uint64_t min_ns,
                 struct chan_result *res, char *err, size_t errlen);

#endif
