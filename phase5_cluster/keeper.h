/* keeper.h: a worker rank (1..N). It owns the keys rank 0 routes to it: it
 * applies every batch in order to its registry of state machines (lib/fsm.h),
 * acks each batch (rank 0's credits), answers GETs between slices of work, and
 * at the end sends its report and its rows to rank 0. */
#ifndef KIT_KEEPER_H
#define KIT_KEEPER_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

/* Serve rank 0 on comm until CMSG_BYE. work: --work units per DATA message.
 * Returns 0, or -1 with a reason in err (an MPI error, a batch that does not
 * decode, no memory). */
int keeper_run(MPI_Comm comm, uint32_t work, char *err, size_t errlen);

#endif
