# The concurrency lab kit: one non-recursive Makefile.
#
# Every folder contributes a module.mk fragment that appends to PROGRAMS,
# TEST_SUITES and LIBKIT_SRCS; this file owns the flags and the generic rules.
# Objects live under $(O) (one tree per build variant), programs under $(BIN).
#
#   make               build the library and every program into bin/
#   make test          build and run every Check suite
#   make sanitize      the suites under AddressSanitizer + UBSan
#   make tsan          the suites under ThreadSanitizer
#   make clean

SHELL      := /bin/bash
.DEFAULT_GOAL := all

VARIANT    ?= default
O          ?= build/$(VARIANT)
BIN        ?= $(if $(filter default,$(VARIANT)),bin,$(O)/bin)

CC         ?= cc

# A fresh machine installs what is missing before anything else is read
# (scripts/deps.sh: apt-get as root, otherwise the exact command to run).
ifeq ($(filter clean deps,$(MAKECMDGOALS)),)
  ifneq ($(shell scripts/deps.sh --check >/dev/null 2>&1; echo $$?),0)
    $(info lab kit: installing missing packages (scripts/deps.sh) ...)
    ifneq ($(shell scripts/deps.sh >&2; echo $$?),0)
      $(error missing packages: see the message above)
    endif
  endif
endif

PKGS       := libuv msgpack jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

OPT        ?= -O2
SAN_asan   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_tsan   := -fsanitize=thread -fno-omit-frame-pointer
SAN_fuzz   := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SANFLAGS   := $(SAN_$(VARIANT))

WARN       := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# DWARF 4: valgrind 3.19 (Debian 12) cannot read the DWARF 5 that gcc 12 writes by default.
CFLAGS     ?= $(OPT) -gdwarf-4
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) \
              -Ilib -I$(O)/gen $(PKG_CFLAGS) -MMD -MP
LDLIBS     := $(PKG_LIBS) -lpthread -lm -lrt
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

LIBKIT     := $(O)/libkit.a
PROGRAMS   :=
TEST_SUITES :=
LIBKIT_SRCS :=

# Turn a list of .c files into their objects in this variant's tree.
objs = $(patsubst %.c,$(O)/%.o,$(1))

# ---------------------------------------------------------------- the Python lane
# The Python twins of the three pipelines run on Debian's interpreter, whose
# packages scripts/deps.sh installs (PATH may put another python3 first).
# $(BIN)/py_phaseN is a wrapper that execs $(PYTHON) on the twin. A machine
# whose $(PYTHON) cannot import uvloop builds the C lane only, and says so once.
PYTHON     ?= /usr/bin/python3
PY_TWINS   := py_phase1 py_phase2 py_phase3
PY_SRC_py_phase1 := phase1_async/python/py_phase1.py
PY_SRC_py_phase2 := phase2_threads/python/py_phase2.py
PY_SRC_py_phase3 := phase3_processes/pipeline/python/py_phase3.py
PY_ROOT    := $(shell realpath -m --relative-to=$(BIN) .)
ifeq ($(filter clean deps,$(MAKECMDGOALS)),)
  ifeq ($(shell $(PYTHON) -c 'import uvloop' >/dev/null 2>&1 && echo ok),ok)
    PY_LANE  := yes
    PROGRAMS += $(addprefix $(BIN)/,$(PY_TWINS))
  else
    $(info lab kit: no Python lane: '$(PYTHON)' cannot import uvloop; install python3 python3-uvloop python3-msgpack python3-numpy (scripts/deps.sh) or set PYTHON=)
  endif
endif

$(addprefix $(BIN)/,$(PY_TWINS)): Makefile
	@mkdir -p $(dir $@)
	@{ echo '#!/bin/sh'; \
	   echo '# Made by make: the Python twin $(PY_SRC_$(@F)) on $(PYTHON).'; \
	   echo 'here=$$(dirname "$$0")'; \
	   echo 'KIT_PROG="$$0" KIT_CSVMETA="$$here/csvmeta" exec $(PYTHON) "$$here/$(PY_ROOT)/$(PY_SRC_$(@F))" "$$@"'; \
	 } > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@

# Every .py of the tree, linted by Debian's pyflakes3 (make ci's first step).
pyflakes:
	@files=$$(find . -name '*.py' -not -path './build/*' -not -path './.git/*' -not -path './handout/*'); \
	 pyflakes3 $$files && echo "pyflakes: $$(wc -w <<< "$$files") files clean"
.PHONY: pyflakes

include lib/module.mk
include tools/module.mk
-include phase1_async/module.mk
-include phase2_threads/module.mk
-include phase3_processes/module.mk
-include phase4_shared/module.mk
-include phase5_cluster/module.mk
-include experiments/module.mk
-include claims/module.mk
-include worksheets/module.mk
-include tests/module.mk

# ---------------------------------------------------------------- generic rules

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBKIT): $(call objs,$(LIBKIT_SRCS))
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# Programs list their objects as prerequisites in module.mk; the library
# comes last so that its archive members are pulled in on demand.
$(BIN)/%:
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $(filter %.o,$^) $(LIBKIT) $(LDLIBS) -o $@

# The commit the programs report in their CSV metadata. Rewritten only when it
# changes, so a new commit relinks nothing but what records it.
KIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
$(O)/gen/kit_version.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define KIT_COMMIT "$(KIT_COMMIT)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

deps:
	@scripts/deps.sh

all: $(PROGRAMS)

test: all $(TEST_SUITES)
	@scripts/run-tests.sh $(BIN) $(TEST_SUITES)

sanitize:
	@$(MAKE) --no-print-directory VARIANT=asan OPT=-O1 test

tsan:
	@$(MAKE) --no-print-directory VARIANT=tsan OPT=-O1 test

clean:
	rm -rf build bin

.PHONY: all test sanitize tsan clean deps FORCE
.DELETE_ON_ERROR:
# Keep objects that only pattern rules mention (test suites), so a rebuild is incremental.
.SECONDARY:

-include $(shell find $(O) -name '*.d' 2>/dev/null)

# Check suites link the Check library; they live in $(O)/tests, not bin/.
$(O)/tests/%: $(O)/tests/%.o $(TEST_HELPER) $(LIBKIT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $(filter %.o,$^) $(LIBKIT) $(CHECK_LIBS) $(LDLIBS) -o $@
