# tests/fuzz/fuzz.mk: libFuzzer targets for the decoders of lib/ (included by
# tests/module.mk). Each tests/fuzz/NAME.c is one LLVMFuzzerTestOneInput; see
# tests/fuzz/fuzz.h for what they check and tests/fuzz/README.md for how to use them.
#
#   make fuzz            build every target with clang (-fsanitize=fuzzer,address,
#                        undefined) into build/fuzz/fuzz/ and run each for
#                        FUZZ_SECONDS (default 60) from its committed corpus
#   make fuzz-short      the same, 10 s each (CI)
#   make test            includes test_fuzz_replay: every committed corpus file
#                        through the same targets built with $(CC), no clang needed
#
# The committed corpus (tests/fuzz/corpus/NAME/) is only read while fuzzing; what
# a run finds goes to a temporary directory (see tests/fuzz/run.sh).

FUZZ_TARGETS := fuzz_parse fuzz_frame fuzz_codec_raw fuzz_codec_msgpack fuzz_codec_json \
                fuzz_ctl fuzz_dump_row fuzz_snapshot fuzz_fmtg17
FUZZ_SECONDS ?= 60
FUZZ_O       ?= build/fuzz

# fuzz_snapshot decodes bin/phase3's snapshot files (--state-dir): it links the
# pipeline's snapshot.c and recovery.c (tests may reach everything).
FUZZ_SNAPSHOT_OBJS := $(call objs,phase3_processes/pipeline/snapshot.c phase3_processes/pipeline/recovery.c)
$(O)/tests/fuzz/replay/fuzz_snapshot.o $(O)/tests/fuzz/fuzz_snapshot.o: ALL_CFLAGS += -Iphase3_processes/pipeline

# --- the replay build, in every variant: NAME.c with its entry point renamed
# NAME_one, so that all of them link into one Check suite.
FUZZ_REPLAY_OBJS := $(patsubst %,$(O)/tests/fuzz/replay/%.o,$(FUZZ_TARGETS))

$(O)/tests/fuzz/replay/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DLLVMFuzzerTestOneInput=$*_one -c $< -o $@

$(O)/tests/test_fuzz_replay: $(FUZZ_REPLAY_OBJS) $(FUZZ_SNAPSHOT_OBJS)
# The suite finds the corpus here unless $KIT_FUZZ_CORPUS says otherwise.
$(O)/tests/test_fuzz_replay.o: ALL_CFLAGS += -DFUZZ_CORPUS_DIR='"$(CURDIR)/tests/fuzz/corpus"'

# --- the libFuzzer build: only in VARIANT=fuzz (SAN_fuzz in the top Makefile
# instruments libkit with -fsanitize=fuzzer-no-link,address,undefined; the link
# adds libFuzzer's main).
ifeq ($(VARIANT),fuzz)
FUZZ_BINS := $(patsubst %,$(O)/fuzz/%,$(FUZZ_TARGETS))

$(O)/fuzz/%: $(O)/tests/fuzz/%.o $(LIBKIT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer $< $(EXTRA_FUZZ_OBJS) $(LIBKIT) $(LDLIBS) -o $@

$(O)/fuzz/fuzz_snapshot: $(FUZZ_SNAPSHOT_OBJS)
$(O)/fuzz/fuzz_snapshot: EXTRA_FUZZ_OBJS := $(FUZZ_SNAPSHOT_OBJS)

fuzz-build: $(FUZZ_BINS)
endif

fuzz:
	@$(MAKE) --no-print-directory VARIANT=fuzz CC=clang OPT=-O1 O=$(FUZZ_O) fuzz-build
	@tests/fuzz/run.sh $(FUZZ_O)/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

.PHONY: fuzz fuzz-short fuzz-build
