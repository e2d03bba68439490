# examples/build.mk — the example gateway; included by the top-level Makefile.
#
#   build/examples/libgwpub.so  the publisher object (gw_publisher_*), the
#                               only exported symbols; everything else hidden
#   build/examples/gateway      the gateway, linked to libgwpub.so with an
#                               $ORIGIN rpath so it runs from build/examples/
#
# Flags are kept in EXAMPLES_CFLAGS, not CFLAGS: the example must stay built
# the same way whatever the rest of tally is compiled with, and the library's
# symbols must stay reachable through the PLT for tally to interpose them.

EXAMPLES_BINS := build/examples/libgwpub.so build/examples/gateway

EXAMPLES_CFLAGS := -O2 -g -Wall -Wextra -Werror -fPIC -pthread
EXAMPLES_LIB_OBJS := build/examples/publisher.o
EXAMPLES_GW_OBJS := $(addprefix build/examples/, \
	gateway.o options.o ports.o room.o relay.o control.o commands.o \
	driver.o fdscan.o)

# Rules below must not steal the default goal from the including Makefile.
examples_saved_goal := $(.DEFAULT_GOAL)

.PHONY: examples examples-clean
examples: $(EXAMPLES_BINS)

# The library is compiled with hidden visibility; publisher.h marks the API.
build/examples/publisher.o: examples/publisher.c
	@mkdir -p $(@D)
	$(CC) $(EXAMPLES_CFLAGS) -fvisibility=hidden -MMD -MP -c -o $@ $<

$(filter-out $(EXAMPLES_LIB_OBJS),$(EXAMPLES_GW_OBJS)): build/examples/%.o: examples/%.c
	@mkdir -p $(@D)
	$(CC) $(EXAMPLES_CFLAGS) -MMD -MP -c -o $@ $<

build/examples/libgwpub.so: $(EXAMPLES_LIB_OBJS)
	$(CC) $(EXAMPLES_CFLAGS) -shared -Wl,-soname,libgwpub.so -o $@ $^

build/examples/gateway: $(EXAMPLES_GW_OBJS) build/examples/libgwpub.so
	$(CC) $(EXAMPLES_CFLAGS) -o $@ $(EXAMPLES_GW_OBJS) \
		-Lbuild/examples -lgwpub -Wl,-rpath,'$$ORIGIN'

examples-clean:
	rm -f $(EXAMPLES_BINS) $(EXAMPLES_LIB_OBJS) $(EXAMPLES_GW_OBJS) \
		$(EXAMPLES_LIB_OBJS:.o=.d) $(EXAMPLES_GW_OBJS:.o=.d)

-include $(EXAMPLES_LIB_OBJS:.o=.d) $(EXAMPLES_GW_OBJS:.o=.d)

.DEFAULT_GOAL := $(examples_saved_goal)
