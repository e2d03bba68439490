# tally — top-level build.  `make` builds build/libtally.so and build/tally;
# `make test`, `make demo`, `make bench`, `make install PREFIX=...`.
# Missing Debian packages are installed (as root) or the apt-get command is
# printed, before anything is compiled.

CC ?= gcc
CXX ?= g++
PREFIX ?= /usr/local
BUILD := build

WARN := -Wall -Wextra -Werror
CFLAGS_COMMON := -O2 -g $(WARN) -Iinclude -D_GNU_SOURCE
PKG = $(shell pkg-config --cflags $(1) 2>/dev/null)
PKGLIBS = $(shell pkg-config --libs $(1) 2>/dev/null)

# The shim: no GLib, no libunwind link (it is dlopen'ed; see shim/unwind.h),
# only the interposed names exported.
SHIM_SRC := $(wildcard shim/*.c)
SHIM_ASM := $(wildcard shim/*.S)
SHIM_OBJ := $(SHIM_SRC:%.c=$(BUILD)/%.o) $(SHIM_ASM:%.S=$(BUILD)/%.o)
SHIM_CFLAGS = $(CFLAGS_COMMON) -fPIC -fvisibility=hidden -pthread \
	-fno-strict-aliasing -fasynchronous-unwind-tables $(call PKG,libunwind)

# The analyzer CLI.
ANALYZER_SRC := $(wildcard analyzer/*.c)
ANALYZER_OBJ := $(ANALYZER_SRC:%.c=$(BUILD)/%.o)
ANALYZER_CFLAGS = $(CFLAGS_COMMON) -Ianalyzer -Ishim $(call PKG,glib-2.0 libdw)
ANALYZER_LIBS = $(call PKGLIBS,glib-2.0 libdw) -lelf -lstdc++

.PHONY: all deps deps-test test unit integration demo bench install clean
all: deps $(BUILD)/libtally.so $(BUILD)/tally examples

deps:
	@scripts/ensure-deps.sh build
deps-test:
	@scripts/ensure-deps.sh test

$(BUILD)/shim/%.o: shim/%.c $(wildcard shim/*.h) include/tally/format.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) -c $< -o $@

$(BUILD)/shim/%.o: shim/%.S | deps
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) -c $< -o $@

$(BUILD)/libtally.so: $(SHIM_OBJ)
	$(CC) -shared -pthread -Wl,-z,now -Wl,--no-undefined -o $@ $^ -ldl

$(BUILD)/analyzer/%.o: analyzer/%.c $(wildcard analyzer/*.h shim/*.h) include/tally/format.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(ANALYZER_CFLAGS) -c $< -o $@

$(BUILD)/tally: $(ANALYZER_OBJ) $(BUILD)/shim/procinfo.o $(BUILD)/shim/real.o $(BUILD)/shim/settings.o \
		$(BUILD)/shim/rules.o
	$(CC) -o $@ $^ $(ANALYZER_LIBS) -ldl

-include examples/build.mk
examples: $(EXAMPLES_BINS)

-include tests/tests.mk
-include bench/bench.mk

# The example gateway with its extra per-packet reference, under tally.
demo: all
	@echo "== the example gateway with --bug (5 add / RTP / remove cycles) under tally"
	$(BUILD)/tally run --rules gateway --port-range 20000-20099 -- $(BUILD)/examples/gateway --bug --cycles 5 --packets 20

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/tally
	install -m 755 $(BUILD)/tally $(DESTDIR)$(PREFIX)/bin/tally
	install -m 644 $(BUILD)/libtally.so $(DESTDIR)$(PREFIX)/lib/tally/libtally.so

clean:
	rm -rf $(BUILD)
