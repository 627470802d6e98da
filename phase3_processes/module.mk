# phase3_processes/module.mk: the phase-3 programs. Sections per program; the
# task queue, batch pool and demos (helper tq) live in tasks.mk, included last.

# --- bin/phase3 ---
# The fork-based process pool: supervisor + workers over socketpairs.
PHASE3_SRCS := $(addprefix phase3_processes/,channel.c wire.c worker.c pool.c query.c gather.c recovery.c lifecycle.c \
               control.c supervisor.c)

PROGRAMS += $(BIN)/phase3
$(BIN)/phase3: $(call objs,$(PHASE3_SRCS) phase3_processes/phase3_main.c) $(LIBKIT)


# `make phase3`: build what the demo needs, then the ~20 s narrated demo.
phase3: $(BIN)/phase3 $(BIN)/reference $(BIN)/kitctl
	@BIN=$(BIN) phase3_processes/demo.sh

.PHONY: phase3

# --- task queue, batch pool, demos ---
-include phase3_processes/tasks.mk
