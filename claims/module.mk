# claims/: the lecture's claims, each judged against the student's own results.
#
#   make claims   run the experiments whose results/NAME.csv is missing (quick
#                 mode; FULL=1 for the lecture size), then print one line per
#                 claim of claims/catalogue.txt (id, verdict, the measured
#                 numbers, the claim) and write results/claims.csv

CLAIMS_CSVS := $(addprefix $(RESULTS_DIR)/,$(addsuffix .csv,$(EXPERIMENTS)) routing.csv)

# The claims' own check: does splitting a key across workers break its state?
$(RESULTS_DIR)/routing.csv: claims/routing.sh experiments/common.sh | $(BIN)/phase3 $(BIN)/reference $(BIN)/csvmeta
	@KIT_BIN=$(BIN) RESULTS=$(RESULTS_DIR) claims/routing.sh

claims: $(CLAIMS_CSVS)
	@claims/claims.sh --results $(RESULTS_DIR) --csv $(RESULTS_DIR)/claims.csv

# The report shows each plot's verdicts: remake it when the claims change.
$(REPORT_DIR)/index.html: claims/catalogue.txt claims/claims.awk claims/csvsel.awk claims/claims.sh

.PHONY: claims
