# tests/checks.mk: the dynamic checks beside `make test` (included by tests/module.mk).
#
#   make sanitize   (top Makefile) every suite under ASan + UBSan, in build/asan
#   make tsan       (top Makefile) every suite under ThreadSanitizer, in build/tsan;
#                   scripts/run-tests.sh points TSAN_OPTIONS at tests/tsan.supp
#   make valgrind   bin/reference and bin/phase3 under valgrind memcheck, 0 errors
#                   and 0 leaks in every process (tests/valgrind.sh)
#   make ci         what CI runs, in order, each in its own build tree (see
#                   tests/fuzz/README.md for the measured times)
#
# valgrind needs programs built without sanitizers: it uses this variant's
# programs, so run it from a plain build (VARIANT=default, the bin/ of `make`).

VALGRIND_PROGRAMS := $(filter $(BIN)/reference $(BIN)/phase3 $(BIN)/kitctl,$(PROGRAMS))

valgrind: $(VALGRIND_PROGRAMS)
	@tests/valgrind.sh $(BIN)

ci:
	@scripts/ci.sh

# The second compiler: every program and suite built with clang under the same
# -Werror flags, in its own tree (running them again would add nothing new).
clang:
	@$(MAKE) --no-print-directory CC=clang O=build/clang BIN=build/clang/bin all \
	    $(patsubst $(O)/%,build/clang/%,$(TEST_SUITES))

.PHONY: valgrind ci clang

# Sanitized code runs 2 to 15 times slower: scale every test case's timeout
# (unless the caller chose a multiplier).
ifneq ($(filter asan tsan,$(VARIANT)),)
export CK_TIMEOUT_MULTIPLIER ?= 3
endif
