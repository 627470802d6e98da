# phase3_processes/demos/module.mk: the classic demos of seeds 003 and 004.
DEMOS_DIR := phase3_processes/demos

PROGRAMS += $(BIN)/clean_order $(BIN)/poolmap $(BIN)/pipeq $(BIN)/counter
$(BIN)/clean_order: $(call objs,$(DEMOS_DIR)/clean_order.c) $(LIBKIT)
$(BIN)/poolmap: $(call objs,$(DEMOS_DIR)/poolmap_main.c $(DEMOS_DIR)/poolmap.c) $(LIBKIT)
$(BIN)/pipeq: $(call objs,$(DEMOS_DIR)/pipeq.c) $(LIBKIT)
$(BIN)/counter: $(call objs,$(DEMOS_DIR)/counter.c) $(LIBKIT)

$(O)/tests/test_demos: $(call objs,$(DEMOS_DIR)/poolmap.c)
$(O)/tests/test_demos.o: ALL_CFLAGS += -I$(DEMOS_DIR)
