# phase3_processes/tasks.mk: helper tq's programs (the task queue, the batch
# pool, the classic demos), included at the end of phase3_processes/module.mk.
TQ_DIR := phase3_processes
TASKQ_SRCS := $(addprefix $(TQ_DIR)/,taskring.c taskarena.c taskfn.c taskpool.c taskbench.c progflags.c)

PROGRAMS += $(BIN)/taskq
$(BIN)/taskq: $(call objs,$(TASKQ_SRCS) $(TQ_DIR)/taskq_main.c) $(LIBKIT)

# The suites that test the ring in-process link its objects.
$(O)/tests/test_taskq: $(call objs,$(TASKQ_SRCS))

BATCH_SRCS := $(addprefix $(TQ_DIR)/,batchrec.c batchpool.c progflags.c)
PROGRAMS += $(BIN)/batchpool
$(BIN)/batchpool: $(call objs,$(BATCH_SRCS) $(TQ_DIR)/batch_main.c) $(LIBKIT)
$(O)/tests/test_batchpool: $(call objs,$(TQ_DIR)/batchrec.c)
