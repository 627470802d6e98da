# Phase 1: the pipeline on one libuv event loop (bin/phase1) and its narrated demo.
PHASE1_SRCS := phase1_async/main.c phase1_async/pipeline.c phase1_async/msgring.c \
               phase1_async/offload.c phase1_async/heartbeat.c phase1_async/probe.c

PROGRAMS += $(BIN)/phase1
$(BIN)/phase1: $(call objs,$(PHASE1_SRCS)) $(LIBKIT)

# `make phase1`: work 0 vs heavy work vs offload, lag figures side by side.
phase1: $(BIN)/phase1 $(BIN)/reference
	@BIN=$(BIN) phase1_async/demo.sh

.PHONY: phase1
