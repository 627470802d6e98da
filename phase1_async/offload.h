/* offload.h: --offload threads, the run_in_executor of libuv. The CPU work of a
 * DATA message runs on libuv's thread pool (uv_queue_work) while the loop thread
 * keeps answering timers and queries; the state update stays on the loop thread
 * and happens in each key's stream order (how: offload.c's top comment). */
#ifndef P1_OFFLOAD_H
#define P1_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "fsm.h"
#include "msg.h"

struct offload;

/* Called on the loop thread after each message is applied to its state. */
typedef void (*offload_applied_fn)(void *ctx);

/* An offloader on loop for `work` units per DATA message, holding at most
 * max_held messages (queued in chains or running) at once. Returns NULL with errno. */
struct offload *offload_new(uv_loop_t *loop, uint32_t work, size_t max_held,
                            offload_applied_fn fn, void *ctx);

/* Take message m for machine ks (which must stay valid: registry entries do).
 * It is applied now if its key has nothing pending and it needs no work,
 * otherwise later, after the key's earlier messages. Returns 0, or -1 with
 * EAGAIN when max_held messages are already held (try again after an
 * applied callback). */
int offload_push(struct offload *o, struct keystate *ks, const struct msg *m);

/* Messages taken and not yet applied. */
size_t offload_held(const struct offload *o);

/* Jobs handed to the thread pool so far, and the most running at once. */
uint64_t offload_submitted(const struct offload *o);
size_t offload_peak_running(const struct offload *o);

/* Free everything; only when offload_held() is 0. */
void offload_free(struct offload *o);

#endif
