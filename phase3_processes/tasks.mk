# phase3_processes/tasks.mk: helper tq's programs (the task queue, the batch
# pool, the classic demos), included at the end of phase3_processes/module.mk.
TQ_DIR := phase3_processes
TASKQ_SRCS := $(addprefix $(TQ_DIR)/,taskring.c taskarena.c taskfn.c taskpool.c taskbench.c progflags.c primes.c)

PROGRAMS += $(BIN)/taskq
$(BIN)/taskq: $(call objs,$(TASKQ_SRCS) $(TQ_DIR)/taskq_main.c) $(LIBKIT)

# The suites that test the ring in-process link its objects.
$(O)/tests/test_taskq: $(call objs,$(TASKQ_SRCS))

BATCH_SRCS := $(addprefix $(TQ_DIR)/,batchrec.c batchpool.c progflags.c)
PROGRAMS += $(BIN)/batchpool
$(BIN)/batchpool: $(call objs,$(BATCH_SRCS) $(TQ_DIR)/batch_main.c) $(LIBKIT)
$(O)/tests/test_batchpool: $(call objs,$(TQ_DIR)/batchrec.c)

# The classic demos (seeds 003 and 004).
PROGRAMS += $(BIN)/clean_order $(BIN)/poolmap $(BIN)/pipeq $(BIN)/counter
$(BIN)/clean_order: $(call objs,$(TQ_DIR)/clean_order.c $(TQ_DIR)/progflags.c) $(LIBKIT)
$(BIN)/poolmap: $(call objs,$(TQ_DIR)/poolmap_main.c $(TQ_DIR)/poolmap.c $(TQ_DIR)/primes.c $(TQ_DIR)/progflags.c) $(LIBKIT)
$(BIN)/pipeq: $(call objs,$(TQ_DIR)/pipeq.c $(TQ_DIR)/progflags.c) $(LIBKIT)
$(BIN)/counter: $(call objs,$(TQ_DIR)/counter.c $(TQ_DIR)/progflags.c) $(LIBKIT)
$(O)/tests/test_demos: $(call objs,$(TQ_DIR)/poolmap.c $(TQ_DIR)/primes.c)

# Our suites include the modules' headers.
$(O)/tests/test_taskq.o $(O)/tests/test_batchpool.o $(O)/tests/test_demos.o: ALL_CFLAGS += -I$(TQ_DIR)
