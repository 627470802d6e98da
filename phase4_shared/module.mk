# Phase 4: the process pool with its state and channels in shared memory
# (bin/phase4), the bare limits it is measured against (bin/phase4-limits), and
# the narrated demo.
PHASE4_LIB_SRCS := $(addprefix phase4_shared/,segment.c recring.c statetab.c board.c \
                   applier.c keyidx.c crew.c feeder.c console.c)
PHASE4_SRCS := $(PHASE4_LIB_SRCS) phase4_shared/phase4_main.c

PROGRAMS += $(BIN)/phase4
$(BIN)/phase4: $(call objs,$(PHASE4_SRCS)) $(LIBKIT)

# The phase-4 suites test the ring, the table and the recovery directly.
$(O)/tests/test_phase4_shm: $(call objs,$(PHASE4_LIB_SRCS))

# `make phase4`: throughput and GET latency against phase 3, and a worker killed mid-run.
phase4: $(BIN)/phase4 $(BIN)/phase3 $(BIN)/reference $(BIN)/kitctl
	@BIN=$(BIN) phase4_shared/demo.sh

.PHONY: phase4

PROGRAMS += $(BIN)/phase4-limits
$(BIN)/phase4-limits: $(call objs,phase4_shared/limits.c $(PHASE4_LIB_SRCS)) $(LIBKIT)
$(O)/tests/test_phase4_shm.o: ALL_CFLAGS += -Iphase4_shared
