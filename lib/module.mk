# The common message library: every .c in lib/ goes into libkit.a, which every
# phase links. Programs live elsewhere (tools/, the phases, experiments/).
LIBKIT_SRCS += $(wildcard lib/*.c)

# csv.c records the commit; make sure the generated header exists first.
$(O)/lib/csv.o: $(O)/gen/kit_version.h
