# Phase 2: the pipeline on a pthread pool over one shared registry (bin/phase2)
# and its narrated demo.
PHASE2_SRCS := phase2_threads/main.c phase2_threads/pool.c phase2_threads/jobq.c \
               phase2_threads/store.c phase2_threads/ctlthread.c \
               phase2_threads/rendezvous.c

PROGRAMS += $(BIN)/phase2
$(BIN)/phase2: $(call objs,$(PHASE2_SRCS)) $(LIBKIT)

# `make phase2`: global vs sharded at 1 and 2 threads with CPU work, speedups.
phase2: $(BIN)/phase2 $(BIN)/reference
	@BIN=$(BIN) phase2_threads/demo.sh

.PHONY: phase2
