# The reference-book test programs (tests/integration/test_ref_*.sh) that
# need more than tests.mk's pattern rule: GLib/GObject and GStreamer flags,
# and libreflib.so, the tiny refcounted library of ref_threads.  Included
# from tests/tests.mk; explicit rules win over its pattern rule.
# ref_logdump (the log reader the tests check the books with) needs
# nothing special and is built by the pattern rule.

REFPROG_CFLAGS = -O2 -g -Wall -Wextra -Werror -pthread
REFLIB_DIR = tests/progs/reflib

$(BUILD)/progs/libreflib.so: $(REFLIB_DIR)/reflib.c $(REFLIB_DIR)/reflib.h | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) -fPIC -shared -Wl,-soname,libreflib.so -o $@ $<

$(BUILD)/progs/ref_threads: tests/progs/ref_threads.c $(REFLIB_DIR)/reflib.h \
		$(BUILD)/progs/libreflib.so | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) -Itests/progs -o $@ $< -L$(BUILD)/progs -lreflib \
		-Wl,-rpath,'$$ORIGIN'

$(BUILD)/progs/ref_gobject_leak: tests/progs/ref_gobject_leak.c | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) $(shell pkg-config --cflags gobject-2.0) -o $@ $< \
		$(shell pkg-config --libs gobject-2.0)

$(BUILD)/progs/ref_gio: tests/progs/ref_gio.c | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) $(shell pkg-config --cflags gio-2.0 gio-unix-2.0) -o $@ $< \
		$(shell pkg-config --libs gio-2.0 gio-unix-2.0)

$(BUILD)/progs/ref_weakrace: tests/progs/ref_weakrace.c | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) $(shell pkg-config --cflags gobject-2.0) -o $@ $< \
		$(shell pkg-config --libs gobject-2.0)

$(BUILD)/progs/ref_gst_leak: tests/progs/ref_gst_leak.c | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) $(shell pkg-config --cflags gstreamer-1.0) -o $@ $< \
		$(shell pkg-config --libs gstreamer-1.0)

PROG_BINS += $(BUILD)/progs/libreflib.so

$(BUILD)/progs/ref_full_counts: tests/progs/ref_full_counts.c $(REFLIB_DIR)/reflib.h \
		$(BUILD)/progs/libreflib.so | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) -Itests/progs -o $@ $< -L$(BUILD)/progs -lreflib \
		-Wl,-rpath,'$$ORIGIN' -pthread

$(BUILD)/progs/ref_enforce: tests/progs/ref_enforce.c $(REFLIB_DIR)/reflib.h \
		$(BUILD)/progs/libreflib.so | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) -Itests/progs -o $@ $< -L$(BUILD)/progs -lreflib \
		-Wl,-rpath,'$$ORIGIN'

$(BUILD)/progs/libkeptlib.so: tests/progs/keptlib/keptlib.c tests/progs/keptlib/keptlib.h | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) -fPIC -shared -Wl,-soname,libkeptlib.so -o $@ $<

$(BUILD)/progs/ref_kept: tests/progs/ref_kept.c tests/progs/keptlib/keptlib.h \
		$(BUILD)/progs/libkeptlib.so | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) -Itests/progs $(shell pkg-config --cflags gobject-2.0) -o $@ $< \
		-L$(BUILD)/progs -lkeptlib -Wl,-rpath,'$$ORIGIN' $(shell pkg-config --libs gobject-2.0)

PROG_BINS += $(BUILD)/progs/libkeptlib.so

$(BUILD)/progs/ref_gthread: tests/progs/ref_gthread.c | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) $(shell pkg-config --cflags glib-2.0) -o $@ $< \
		$(shell pkg-config --libs glib-2.0)

$(BUILD)/progs/ref_revive: tests/progs/ref_revive.c | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) $(shell pkg-config --cflags gobject-2.0) -o $@ $< \
		$(shell pkg-config --libs gobject-2.0)

$(BUILD)/progs/ref_many_stacks: tests/progs/ref_many_stacks.c $(REFLIB_DIR)/reflib.h \
		$(BUILD)/progs/libreflib.so | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) -Itests/progs -o $@ $< -L$(BUILD)/progs -lreflib \
		-Wl,-rpath,'$$ORIGIN'

$(BUILD)/progs/ref_reach: tests/progs/ref_reach.c $(REFLIB_DIR)/reflib.h \
		$(BUILD)/progs/libreflib.so | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) -Itests/progs $(shell pkg-config --cflags gobject-2.0) -o $@ $< \
		-L$(BUILD)/progs -lreflib -Wl,-rpath,'$$ORIGIN' $(shell pkg-config --libs gobject-2.0)

$(BUILD)/progs/libreachlib.so: tests/progs/reachlib/reachlib.c tests/progs/reachlib/reachlib.h | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) -fPIC -shared -Wl,-soname,libreachlib.so -o $@ $<

$(BUILD)/progs/reach_hazards: tests/progs/reach_hazards.c tests/progs/reachlib/reachlib.h \
		$(BUILD)/progs/libreachlib.so | deps
	@mkdir -p $(@D)
	$(CC) $(REFPROG_CFLAGS) -Itests/progs $(shell pkg-config --cflags gobject-2.0) -o $@ $< \
		-L$(BUILD)/progs -lreachlib -Wl,-rpath,'$$ORIGIN' -ldl \
		$(shell pkg-config --libs gobject-2.0)

PROG_BINS += $(BUILD)/progs/libreachlib.so
