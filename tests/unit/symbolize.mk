# The symbolizer (analyzer/symbolize.c) and its unit test.  Include from the
# top Makefile; paths are relative to the repository root.
#
# The fixture library is built with -g, then stripped to .dynsym (strip
# keeps the build-id note and .eh_frame).  Keep SYMFIX_SRCS in this order:
# the linker lays out .text in command-line order, which puts exported
# functions just below the static one, the trap the test needs.

SYMBOLIZE_CFLAGS = -O2 -g -Wall -Wextra -Werror -Iinclude -Ianalyzer -Ishim
SYMBOLIZE_PKGS = glib-2.0 libdw
STRIP ?= strip

SYMFIX_SRCS = tests/unit/symfixture/symfix_below.c tests/unit/symfixture/symfix_sizeless.c \
	tests/unit/symfixture/symfix.c
SYMFIX_CFLAGS = -O2 -g -Wall -Wextra -Werror -fPIC -shared -Wl,--build-id

build/unit/libsymfix_debug.so: $(SYMFIX_SRCS) tests/unit/symfixture/symfix.h
	@mkdir -p $(@D)
	$(CC) $(SYMFIX_CFLAGS) -o $@ $(SYMFIX_SRCS)

build/unit/libsymfix_stripped.so: build/unit/libsymfix_debug.so
	$(STRIP) --strip-all -o $@ $<

# Linked at a non-zero address, as prelink(8) leaves libraries: the load
# bias is then not where the first PT_LOAD starts.
build/unit/libsymfix_vaddr.so: $(SYMFIX_SRCS) tests/unit/symfixture/symfix.h
	@mkdir -p $(@D)
	$(CC) $(SYMFIX_CFLAGS) -Wl,-Ttext-segment=0x10000000 -o $@ $(SYMFIX_SRCS)

build/unit/test_symbolize: tests/unit/test_symbolize.c build/analyzer/symbolize.o build/analyzer/modmatch.o \
		build/shim/modules.o build/shim/procinfo.o build/shim/real.o \
		tests/unit/symfixture/symfix.h analyzer/symbolize.h \
		| build/unit/libsymfix_debug.so build/unit/libsymfix_stripped.so \
		  build/unit/libsymfix_vaddr.so
	@mkdir -p $(@D)
	$(CC) $(SYMBOLIZE_CFLAGS) $(shell pkg-config --cflags $(SYMBOLIZE_PKGS) cmocka) \
		-o $@ $(filter %.c %.o,$^) \
		$(shell pkg-config --libs $(SYMBOLIZE_PKGS) cmocka) -lstdc++ -ldl -pthread

.PHONY: test-symbolize
test-symbolize: build/unit/test_symbolize build/unit/libsymfix_debug.so \
		build/unit/libsymfix_stripped.so build/unit/libsymfix_vaddr.so
	build/unit/test_symbolize
