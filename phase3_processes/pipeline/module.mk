# phase3_processes/pipeline/module.mk: bin/phase3, the fork-based process pool
# (supervisor + workers over socketpairs).
P3_DIR := phase3_processes/pipeline
PHASE3_SRCS := $(addprefix $(P3_DIR)/,iocost.c channel.c wire.c worker.c pool.c query.c gather.c recovery.c \
               lifecycle.c watchdog.c counts.c snapshot.c statedir.c durable.c supervisor.c control.c report.c)

PROGRAMS += $(BIN)/phase3
$(BIN)/phase3: $(call objs,$(PHASE3_SRCS) $(P3_DIR)/phase3_main.c) $(LIBKIT)

# `make phase3`: build what the demo needs, then the narrated demo.
phase3: $(BIN)/phase3 $(BIN)/reference $(BIN)/kitctl
	@BIN=$(BIN) $(P3_DIR)/demo.sh

.PHONY: phase3

# `make p3-calls`: who calls whom inside the room (nm); fails if two files call each other.
p3-calls: $(call objs,$(PHASE3_SRCS) $(P3_DIR)/phase3_main.c)
	@$(P3_DIR)/calls.sh $(O)/$(P3_DIR)

.PHONY: p3-calls

# tests/test_iocost.c checks the channel's copy / system-call split on its own.
$(O)/tests/test_iocost: $(call objs,$(P3_DIR)/iocost.c)
$(O)/tests/test_iocost.o: ALL_CFLAGS += -I$(P3_DIR)
