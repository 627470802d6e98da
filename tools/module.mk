# tools/module.mk: the kit's own small programs that every phase uses.
#   reference   the single-threaded truth every pipeline's dump must equal
#   workcal     how long one --work unit takes on this machine
#   kitctl      PATH COMMAND...: the control-socket client students use in demos
#   dumpbench   what formatting one dump row costs: dump_row against glibc's printf
PROGRAMS += $(BIN)/reference $(BIN)/workcal $(BIN)/kitctl
$(BIN)/reference: $(call objs,tools/reference.c) $(LIBKIT)
$(BIN)/workcal: $(call objs,tools/workcal.c) $(LIBKIT)
$(BIN)/kitctl: $(call objs,tools/kitctl.c) $(LIBKIT)
PROGRAMS += $(BIN)/dumpbench
$(BIN)/dumpbench: $(call objs,tools/dumpbench.c) $(LIBKIT)
