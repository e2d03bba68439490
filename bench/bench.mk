# bench/bench.mk — `make bench`; included by the top-level Makefile.
#
#   build/bench/bench_socket       the measured program (run with and without
#                                  the shim, interleaved)
#   build/bench/libcountmalloc.so  counts malloc-family calls (preloaded after
#                                  libtally.so)
#   build/bench/logstat            prints a log's header counters; knows only
#                                  include/tally/format.h
#   build/bench/libbenchref.so     a reference-counted object (br_new,
#                                  br_ref, br_unref, ...) for the rules
#   build/bench/bench_ref          times booked reference calls on it
#   build/bench/rtpblast           paced RTP sender for the Janus section
#   build/bench/bench_ref_threads  booked calls from several threads at once
#   build/bound/*/libtally.so      the floor builds of section 7: the shim
#                                  with the log pre-faulted at start (pf), or
#                                  writing one word of a 64- or 16-byte slot
#                                  per booked call instead of its event (b64,
#                                  b16), or both (b64pf, b16pf)
#
# bench/run.sh does the measuring and prints the table; docs/BENCH.md holds
# the figures of one run and says how they were taken.

BENCH_BINS := $(BUILD)/bench/bench_socket $(BUILD)/bench/libcountmalloc.so \
	$(BUILD)/bench/logstat $(BUILD)/bench/libbenchref.so $(BUILD)/bench/bench_ref \
	$(BUILD)/bench/rtpblast $(BUILD)/bench/bench_ref_threads
BENCH_CFLAGS := -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE

BOUND_FLAGS_pf := -DTALLY_BENCH_PREFAULT
BOUND_FLAGS_b64 := -DTALLY_BENCH_BOUND=64
BOUND_FLAGS_b16 := -DTALLY_BENCH_BOUND=16
BOUND_FLAGS_b64pf := -DTALLY_BENCH_BOUND=64 -DTALLY_BENCH_PREFAULT
BOUND_FLAGS_b16pf := -DTALLY_BENCH_BOUND=16 -DTALLY_BENCH_PREFAULT
BOUND_LIBS := $(foreach v,pf b64 b16 b64pf b16pf,$(BUILD)/bound/$(v)/libtally.so)

bench_saved_goal := $(.DEFAULT_GOAL)

.PHONY: bench
bench: all $(BENCH_BINS) $(BOUND_LIBS)
	@scripts/ensure-deps.sh bench
	bench/run.sh

# Without frame pointers (the default at -O2), like the programs tally is
# meant for: the unwinder has to use the DWARF unwind tables.
$(BUILD)/bench/bench_socket: bench/bench_socket.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -ldl

# The library calls its own br_ref/br_unref directly, not through its PLT
# (-fno-semantic-interposition), as GLib and GStreamer do: only an entry
# hook sees those calls.
$(BUILD)/bench/libbenchref.so: bench/libbenchref.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -fPIC -fno-semantic-interposition -shared -o $@ $<

# Calls the library through its PLT; the same chain of frames as bench_socket.
$(BUILD)/bench/bench_ref: bench/bench_ref.c $(BUILD)/bench/libbenchref.so
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -L$(@D) -lbenchref -Wl,-rpath,'$$ORIGIN' -ldl

$(BUILD)/bench/libcountmalloc.so: bench/countmalloc.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -fPIC -shared -o $@ $<

$(BUILD)/bench/logstat: bench/logstat.c include/tally/format.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -Iinclude -o $@ $<

$(BUILD)/bench/bench_ref_threads: bench/bench_ref_threads.c $(BUILD)/bench/libbenchref.so
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -L$(@D) -lbenchref -Wl,-rpath,'$$ORIGIN' -pthread

$(BUILD)/bench/rtpblast: bench/rtpblast.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

# Each floor build is the whole shim built again in a tree of its own.
$(BUILD)/bound/%/libtally.so: $(SHIM_SRC) $(SHIM_ASM) $(wildcard shim/*.h) include/tally/format.h
	$(MAKE) --no-print-directory BUILD=$(BUILD)/bound/$* \
		CFLAGS_COMMON='$(CFLAGS_COMMON) $(BOUND_FLAGS_$*)' $(BUILD)/bound/$*/libtally.so

.DEFAULT_GOAL := $(bench_saved_goal)
