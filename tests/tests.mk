# Tests: cmocka unit tests (tests/unit/test_*.c, one binary each) and
# integration tests (tests/integration/test_*.sh, tests/janus/test_janus.sh)
# that drive real programs through the real CLI.  `make test` runs them all
# through tests/run.sh, which ends with "N passed, M failed".

UNIT_SRC := $(filter-out tests/unit/test_symbolize.c,$(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%) $(BUILD)/unit/test_symbolize

# Everything but the interposing wrappers and the constructor: a unit test
# must not have its own socket() calls recorded.
UNIT_SHIM_OBJ := $(filter-out $(BUILD)/shim/hooks_%.o $(BUILD)/shim/shim.o $(BUILD)/shim/refhooks.o,$(SHIM_OBJ))
UNIT_ANALYZER_OBJ := $(filter-out $(BUILD)/analyzer/main.o,$(ANALYZER_OBJ))
UNIT_CFLAGS = $(CFLAGS_COMMON) -Ishim -Ianalyzer -Wno-unused-parameter \
	$(call PKG,glib-2.0 libdw cmocka)
UNIT_LIBS = $(call PKGLIBS,glib-2.0 libdw cmocka) -lelf -lstdc++ -ldl -pthread

$(BUILD)/unit/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $(UNIT_SHIM_OBJ) $(UNIT_ANALYZER_OBJ) | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_SHIM_OBJ) $(UNIT_ANALYZER_OBJ) $(UNIT_LIBS)

# The fault guard's test asks GLib's type system about real GObjects.
$(BUILD)/unit/test_guard: UNIT_CFLAGS += $(call PKG,gobject-2.0)
$(BUILD)/unit/test_guard: UNIT_LIBS += $(call PKGLIBS,gobject-2.0)

-include tests/unit/symbolize.mk
-include tests/unit/entryhook.mk
-include tests/unit/refhooks.mk

# Helper programs the integration tests run (C and C++).
PROG_C := $(wildcard tests/progs/*.c)
PROG_CXX := $(wildcard tests/progs/*.cc)
PROG_BINS := $(PROG_C:tests/progs/%.c=$(BUILD)/progs/%) $(PROG_CXX:tests/progs/%.cc=$(BUILD)/progs/%)

$(BUILD)/progs/%: tests/progs/%.c $(wildcard tests/progs/*.h) include/tally/format.h | deps
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -pthread -o $@ $< -ldl

# C++ sources ending in _plugin.cc become shared objects for dlopen.
$(BUILD)/progs/%_plugin: tests/progs/%_plugin.cc $(wildcard tests/progs/*.h) | deps
	@mkdir -p $(dir $@)
	$(CXX) -O2 -g -Wall -Wextra -Werror -fPIC -shared -o $@.so $< && touch $@

$(BUILD)/progs/%: tests/progs/%.cc $(wildcard tests/progs/*.h) | deps
	@mkdir -p $(dir $@)
	$(CXX) -O2 -g -Wall -Wextra -Werror -pthread -o $@ $< -ldl

-include tests/progs/refprogs.mk
-include tests/progs/rev.mk

unit: $(UNIT_BINS) $(BUILD)/unit/libsymfix_debug.so $(BUILD)/unit/libsymfix_stripped.so \
	$(BUILD)/unit/libsymfix_vaddr.so

# The shim again, built to check every replayed stack against libunwind
# (shim/replay.h): tests/integration/test_replay_check.sh runs programs
# under it; a replayed stack that differs aborts them.
CHECK_SHIM_OBJ := $(SHIM_SRC:%.c=$(BUILD)/check/%.o) $(SHIM_ASM:%.S=$(BUILD)/check/%.o)

$(BUILD)/check/shim/%.o: shim/%.c $(wildcard shim/*.h) include/tally/format.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) -DTALLY_REPLAY_CHECK -c $< -o $@

$(BUILD)/check/shim/%.o: shim/%.S | deps
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) -DTALLY_REPLAY_CHECK -c $< -o $@

$(BUILD)/check/libtally.so: $(CHECK_SHIM_OBJ)
	$(CC) -shared -pthread -Wl,-z,now -Wl,--no-undefined -o $@ $^ -ldl

test: deps-test all unit $(PROG_BINS) $(BUILD)/check/libtally.so
	@tests/run.sh

.PHONY: unit
