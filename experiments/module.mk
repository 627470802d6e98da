# experiments/: the measurement programs, one driver per experiment, the plots
# and the report (catalogue: experiments/README.md).
#
#   make plots              run the experiments whose results/NAME.csv is missing
#                           (or a smaller mode than asked for: FULL=1 after quick),
#                           then draw plots/out/NAME.png for every plots/NAME.gp
#   make results/NAME.csv   run one experiment (FULL=1 for the lecture-size run)
#   make experiments        run every experiment afresh
#   make report             report/index.html: every plot and its finding, one file
#
# Experiments measure time: they never run two at once, even under make -j
# (experiments/common.sh takes a lock in the results folder).

# ------------------------------------------------------------------ programs
PROGRAMS += $(BIN)/ipcbench $(BIN)/serbench $(BIN)/startbench $(BIN)/csvmeta $(BIN)/qload
$(BIN)/ipcbench: $(call objs,experiments/ipcbench.c experiments/chan.c experiments/shmring.c) $(LIBKIT)
$(BIN)/serbench: $(call objs,experiments/serbench.c experiments/record.c experiments/record_msgpack.c \
                  experiments/record_json.c experiments/chan.c experiments/shmring.c) $(LIBKIT)
$(BIN)/startbench: $(call objs,experiments/startbench.c) $(LIBKIT)
$(BIN)/csvmeta: $(call objs,experiments/csvmeta.c) $(LIBKIT)
$(BIN)/qload: $(call objs,experiments/qload.c) $(LIBKIT)

# csvmeta records the commit through lib/csv.c.
$(O)/experiments/csvmeta.o: $(O)/gen/kit_version.h

# ------------------------------------------------------------------ experiments
RESULTS_DIR ?= results
PLOTS_OUT   ?= plots/out
REPORT_DIR  ?= report

EXPERIMENTS := scaling ipc_size serialization load_balance query_latency batching \
               loop_lag contention threads_vs_processes parallel_map startup_memory task_queue
EXPERIMENTS += zero_copy

# The programs each driver runs (besides csvmeta, which every driver uses).
EXP_NEEDS_scaling              := phase3 phase2 phase4
EXP_NEEDS_ipc_size             := ipcbench
EXP_NEEDS_serialization        := serbench
EXP_NEEDS_load_balance         := phase3
EXP_NEEDS_query_latency        := phase1 phase2 phase3 qload phase4
EXP_NEEDS_batching             := batchpool
EXP_NEEDS_loop_lag             := phase1 workcal
EXP_NEEDS_contention           := phase2
EXP_NEEDS_threads_vs_processes := clean_order
EXP_NEEDS_parallel_map         := poolmap
EXP_NEEDS_startup_memory       := startbench
EXP_NEEDS_task_queue           := taskq
EXP_NEEDS_zero_copy            := phase3 phase4 phase4-limits qload
EXP_NEEDS_scaling              += phase5
EXP_NEEDS_ipc_size             += mpibench
# The Python lane's twins, where make builds them (PY_LANE: the top Makefile).
ifeq ($(PY_LANE),yes)
EXP_NEEDS_scaling              += py_phase2 py_phase3
EXP_NEEDS_loop_lag             += py_phase1
EXP_NEEDS_query_latency        += py_phase3
endif

exp_progs = $(addprefix $(BIN)/,csvmeta $(EXP_NEEDS_$(1)))
ALL_EXP_PROGS := $(sort $(foreach e,$(EXPERIMENTS),$(call exp_progs,$(e))))

# The mode asked for (experiments/common.sh decides the same way) and the mode
# of every result already there, from its "# mode=" line: one awk per make run,
# giving words like results/scaling.csv:quick.
EXP_MODE  := $(if $(filter 1,$(FULL)),full,$(if $(filter tiny,$(QUICK)),tiny,quick))
EXP_CSVS  := $(wildcard $(RESULTS_DIR)/*.csv)
EXP_HAVE  := $(if $(EXP_CSVS),$(shell awk '/^. mode=/ { sub(/^. mode=/, ""); \
                 print FILENAME ":" $$0; nextfile }' $(EXP_CSVS) 2>/dev/null))
# The modes smaller than the one asked for: a result of one of them (or of no
# recorded mode) is run again. A bigger run is kept: `make plots` after a FULL
# run draws the FULL results and throws nothing away (`make experiments` or
# deleting the CSV runs the smaller mode).
EXP_SMALLER_tiny  :=
EXP_SMALLER_quick := tiny
EXP_SMALLER_full  := tiny quick
exp_have = $(or $(patsubst $(1):%,%,$(filter $(1):%,$(EXP_HAVE))),unrecorded)
exp_stale = $(and $(filter $(1),$(EXP_CSVS)),$(filter $(call exp_have,$(1)),$(EXP_SMALLER_$(EXP_MODE)) unrecorded))

# A result is remade when its driver changes, or when it was a smaller run than
# the mode asked for (FULL=1 after a quick run: the FORCE prerequisite); the
# programs only have to exist (order-only), so that relinking a program does not
# throw away a long run.
$(foreach e,$(EXPERIMENTS),$(eval \
    $(RESULTS_DIR)/$(e).csv: experiments/$(e).sh experiments/common.sh \
        $(if $(call exp_stale,$(RESULTS_DIR)/$(e).csv),FORCE) | $(call exp_progs,$(e))))

$(RESULTS_DIR)/%.csv:
	@$(if $(filter FORCE,$^),echo "experiments: $@ has mode=$(call exp_have,$@) but $(EXP_MODE) was asked for: running it again" >&2;) \
	    KIT_BIN=$(BIN) RESULTS=$(RESULTS_DIR) experiments/$*.sh

experiments: $(ALL_EXP_PROGS)
	@for e in $(EXPERIMENTS); do \
	    KIT_BIN=$(BIN) RESULTS=$(RESULTS_DIR) experiments/$$e.sh || exit 1; \
	done

# ------------------------------------------------------------------ plots, report
PLOT_SCRIPTS := $(wildcard plots/*.gp)
PLOT_PNGS    := $(patsubst plots/%.gp,$(PLOTS_OUT)/%.png,$(PLOT_SCRIPTS))

$(PLOTS_OUT)/%.png: plots/%.gp $(RESULTS_DIR)/%.csv plots/common.gpi plots/hyperfine.gpi plots/meta.awk
	@mkdir -p $(dir $@)
	@gnuplot -e "csv='$(RESULTS_DIR)/$*.csv'; out='$@.tmp'" plots/$*.gp && mv $@.tmp $@
	@echo "plots: $@"

plots: $(PLOT_PNGS)

report: $(REPORT_DIR)/index.html

$(REPORT_DIR)/index.html: $(PLOT_PNGS) plots/report.sh plots/findings.sh
	@mkdir -p $(dir $@)
	@plots/report.sh $(RESULTS_DIR) $(PLOTS_OUT) > $@.tmp && mv $@.tmp $@
	@echo "report: $@ ($$(grep -c '<img' $@) plots)"

.PHONY: experiments plots report

include experiments/python/python.mk
