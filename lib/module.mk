# The common message library: every .c in lib/ but the programs below goes
# into libkit.a, which every phase links.
LIB_PROGRAM_SRCS := lib/reference.c lib/workcal.c lib/kitctl.c
LIBKIT_SRCS += $(filter-out $(LIB_PROGRAM_SRCS),$(wildcard lib/*.c))

PROGRAMS += $(BIN)/reference $(BIN)/workcal
$(BIN)/reference: $(call objs,lib/reference.c) $(LIBKIT)
$(BIN)/workcal: $(call objs,lib/workcal.c) $(LIBKIT)

# kitctl PATH COMMAND...: the control-socket client students use in demos.
PROGRAMS += $(BIN)/kitctl
$(BIN)/kitctl: $(call objs,lib/kitctl.c) $(LIBKIT)

# csv.c records the commit; make sure the generated header exists first.
$(O)/lib/csv.o: $(O)/gen/kit_version.h
