# Worksheets, grading and the student handout (worksheets/README.md).
#
#   make worksheets   fill worksheets/filled/*.md from your results/*.csv
#   make grade        build into build/grade, run the graded suites, score them
#                     against tests/rubric.txt (GRADE_TIME_SCALE=3 on a slow machine;
#                     REPEAT=N runs the graded suites N times and lists every test
#                     that did not pass every time)
#   make handout      write the student tree to handout/ (exercises become TODO stubs)
#   make manifest     record the graded test files in tests/MANIFEST.sha256

WORKSHEETS   := $(addprefix worksheets/,phase1.md phase2.md phase3.md taskqueue_batch.md phase5.md)
WORKSHEETS   += worksheets/phase4.md
RESULTS_DIR  ?= results
GRADE_O      ?= build/grade
HANDOUT_DIR  ?= handout

worksheets:
	@scripts/fill-worksheets.sh --results $(RESULTS_DIR) --out worksheets/filled $(WORKSHEETS)

# The grader runs its own build (its own tree, so it never grades stale objects
# of another variant); GRADE_ARGS passes options such as --parts EX-reaper.
REPEAT       ?= 1
grade:
	@O=$(GRADE_O) BIN=$(GRADE_O)/bin MAKE="$(MAKE)" scripts/grade.sh --repeat $(REPEAT) $(GRADE_ARGS)

handout:
	@scripts/handout.sh $(HANDOUT_DIR)

manifest:
	@scripts/grade.sh --manifest

.PHONY: worksheets grade handout manifest
