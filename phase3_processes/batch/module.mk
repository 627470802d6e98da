# phase3_processes/batch/module.mk: bin/batchpool, Lecture 36's batch pool.
BATCH_DIR := phase3_processes/batch
BATCH_SRCS := $(addprefix $(BATCH_DIR)/,batchrec.c batchpool.c)

PROGRAMS += $(BIN)/batchpool
$(BIN)/batchpool: $(call objs,$(BATCH_SRCS) $(BATCH_DIR)/batch_main.c) $(LIBKIT)

$(O)/tests/test_batchpool: $(call objs,$(BATCH_DIR)/batchrec.c)
$(O)/tests/test_batchpool.o: ALL_CFLAGS += -I$(BATCH_DIR)
