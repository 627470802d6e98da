# Check suites: every tests/test_NAME.c is one suite binary $(O)/tests/test_NAME,
# linked with the shared helpers in tests/kit_test.c. A suite that needs a
# program's own objects names them below.
TEST_SRCS   := $(wildcard tests/test_*.c)
TEST_SUITES += $(patsubst tests/%.c,$(O)/tests/%,$(TEST_SRCS))
TEST_HELPER := $(call objs,tests/kit_test.c)

# Test objects see Check's headers.
$(O)/tests/%.o: ALL_CFLAGS += $(CHECK_CFLAGS) -Itests
-include tests/fuzz/fuzz.mk tests/checks.mk

# The drivers' suite shares its CSV checks (tests/exp_checks.c) as an object.
$(O)/tests/test_experiments: $(call objs,tests/exp_checks.c)

# The control-socket suites' server and client thread (tests/ctl_harness.c).
$(O)/tests/test_ctl $(O)/tests/test_ctl_hostile: $(call objs,tests/ctl_harness.c)
