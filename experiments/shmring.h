/* shmring.h: a single-producer single-consumer ring of fixed slots in shared
 * memory (MAP_SHARED | MAP_ANONYMOUS, so it must be made before fork()), the
 * shared-memory transport of the ipc_size experiment.
 *
 * A full ring blocks the producer and an empty one the consumer, both asleep on
 * a futex, never a polling sleep. A message is copied in by the producer and out
 * by the consumer, like the two copies of a pipe: the ring saves the system calls
 * and the kernel's buffer, not the copying. */
#ifndef KIT_SHMRING_H
#define KIT_SHMRING_H

#include <stddef.h>
#include <stdint.h>

/* A ring whose slots hold messages of up to msg_bytes (at least 8), with as many
 * slots (a power of two, at least 2) as fit in about ring_bytes. Returns the
 * ring, or NULL with errno. */
struct shmring *shmring_new(size_t msg_bytes, size_t ring_bytes);

/* Unmap the ring (NULL is fine). */
void shmring_free(struct shmring *r);

/* Producer: copy n bytes (n <= msg_bytes) into the next slot, sleeping while the
 * ring is full. */
void shmring_put(struct shmring *r, const void *p, uint32_t n);

/* Producer: tell the consumer that no more messages follow. */
void shmring_stop(struct shmring *r);

/* Consumer: copy the next message into p (at most cap bytes), sleeping while the
 * ring is empty. Returns 1, or 0 once it reaches the stop mark. */
int shmring_get(struct shmring *r, void *p, size_t cap);

#endif
