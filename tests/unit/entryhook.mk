# The entry-hook unit test (tests/unit/test_entryhook.c) and the libraries
# it hooks.  Include from tests/tests.mk; paths are relative to the
# repository root.
#
# libentrylib.so is linked by the test (calls through the PLT) and built
# with -Bsymbolic-functions, as GLib is, so el_use_own calls el_ref with no
# relocation; libentrylib2.so is dlopen'ed by the test after start-up.

ENTRYLIB_DIR = tests/unit/entrylib
ENTRYLIB_CFLAGS = -O2 -g -Wall -Wextra -Werror -fPIC -shared -Wl,-Bsymbolic-functions
ENTRYHOOK_TEST_PKGS = gobject-2.0 glib-2.0 cmocka

build/unit/libentrylib.so: $(ENTRYLIB_DIR)/entrylib.c $(ENTRYLIB_DIR)/entrylib_asm.S \
		$(ENTRYLIB_DIR)/entrylib.h
	@mkdir -p $(@D)
	$(CC) $(ENTRYLIB_CFLAGS) -Wl,-soname,libentrylib.so -o $@ $(filter %.c %.S,$^)

build/unit/libentrylib2.so: $(ENTRYLIB_DIR)/entrylib2.c
	@mkdir -p $(@D)
	$(CC) $(ENTRYLIB_CFLAGS) -fvisibility=hidden -o $@ $<

# An explicit rule: it wins over tests.mk's pattern rule for test_%.
build/unit/test_entryhook: tests/unit/test_entryhook.c build/shim/entryhook.o shim/entryhook.h \
		$(ENTRYLIB_DIR)/entrylib.h build/unit/libentrylib.so build/unit/libentrylib2.so | deps
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Ishim -I$(ENTRYLIB_DIR) \
		$(shell pkg-config --cflags $(ENTRYHOOK_TEST_PKGS)) \
		-o $@ tests/unit/test_entryhook.c build/shim/entryhook.o \
		-Lbuild/unit -lentrylib -Wl,-rpath,'$$ORIGIN' \
		$(shell pkg-config --libs $(ENTRYHOOK_TEST_PKGS)) -ldl -pthread

.PHONY: test-entryhook
test-entryhook: build/unit/test_entryhook
	build/unit/test_entryhook
