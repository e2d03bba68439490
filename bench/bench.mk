# bench/bench.mk — `make bench`; included by the top-level Makefile.
#
#   build/bench/bench_socket       the measured program (run with and without
#                                  the shim, interleaved)
#   build/bench/libcountmalloc.so  counts malloc-family calls (preloaded after
#                                  libtally.so)
#   build/bench/logstat            prints a log's header counters; knows only
#                                  include/tally/format.h
#
# bench/run.sh does the measuring and prints the table; docs/BENCH.md holds
# the figures of one run and says how they were taken.

BENCH_BINS := $(BUILD)/bench/bench_socket $(BUILD)/bench/libcountmalloc.so \
	$(BUILD)/bench/logstat
BENCH_CFLAGS := -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE

bench_saved_goal := $(.DEFAULT_GOAL)

.PHONY: bench
bench: all $(BENCH_BINS)
	bench/run.sh

# Without frame pointers (the default at -O2), like the programs tally is
# meant for: the unwinder has to use the DWARF unwind tables.
$(BUILD)/bench/bench_socket: bench/bench_socket.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -ldl

$(BUILD)/bench/libcountmalloc.so: bench/countmalloc.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -fPIC -shared -o $@ $<

$(BUILD)/bench/logstat: bench/logstat.c include/tally/format.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -Iinclude -o $@ $<

.DEFAULT_GOAL := $(bench_saved_goal)
