# phase3_processes/taskq/module.mk: bin/taskq, MPOP's shared-memory task ring
# beside the static and pipe-based schemes it is measured against.
TQ_DIR := phase3_processes/taskq
TASKQ_SRCS := $(addprefix $(TQ_DIR)/,taskring.c taskarena.c taskfn.c taskrun.c taskworker.c taskrecover.c taskpool.c taskbench.c)

PROGRAMS += $(BIN)/taskq
$(BIN)/taskq: $(call objs,$(TASKQ_SRCS) $(TQ_DIR)/taskq_main.c) $(LIBKIT)

# The suite that tests the ring in-process links its objects and reads its headers.
$(O)/tests/test_taskq: $(call objs,$(TASKQ_SRCS))
$(O)/tests/test_taskq.o: ALL_CFLAGS += -I$(TQ_DIR)
