# phase5_cluster/module.mk: bin/phase5, the phase-3 pipeline on Open MPI, and
# bin/mpibench, the MPI transport bench experiments/ipc_size.sh runs.
#
# Only these objects see mpi.h and only these programs link libmpi: the flags
# come from Open MPI's own wrapper (mpicc --showme), the compiler stays $(CC),
# so gcc, clang and the sanitizer variants build phase 5 like everything else.
MPI_CFLAGS := $(shell mpicc --showme:compile 2>/dev/null)
MPI_LIBS   := $(shell mpicc --showme:link 2>/dev/null)

PHASE5_SRCS := $(addprefix phase5_cluster/,cmsg.c outbox.c asks.c peers.c leader.c keeper.c)
PHASE5_OBJS := $(call objs,$(PHASE5_SRCS) phase5_cluster/phase5_main.c phase5_cluster/mpibench.c)
$(PHASE5_OBJS): ALL_CFLAGS += $(MPI_CFLAGS)

PROGRAMS += $(BIN)/phase5 $(BIN)/mpibench
$(BIN)/phase5: $(call objs,$(PHASE5_SRCS) phase5_cluster/phase5_main.c) $(LIBKIT)
$(BIN)/mpibench: $(call objs,phase5_cluster/mpibench.c) $(LIBKIT)
$(BIN)/phase5 $(BIN)/mpibench: LDLIBS += $(MPI_LIBS)

# `make phase5`: build what the demo needs, then the narrated demo.
phase5: $(BIN)/phase5 $(BIN)/reference $(BIN)/kitctl
	@BIN=$(BIN) phase5_cluster/demo.sh

.PHONY: phase5
