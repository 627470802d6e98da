# experiments/: the measurement programs, one driver per experiment, the plots
# and the report. See experiments/README.md for the catalogue.
PROGRAMS += $(BIN)/ipcbench $(BIN)/csvmeta
$(BIN)/ipcbench: $(call objs,experiments/ipcbench.c experiments/chan.c) $(LIBKIT)
$(BIN)/csvmeta: $(call objs,experiments/csvmeta.c) $(LIBKIT)
