# The reference-hook integration tests' programs and libraries
# (tests/integration/test_ref_*.sh).  Include from tests/tests.mk; paths are
# relative to the repository root.
#
# tests/unit/gotlib/gotlib.c is built twice: libgotlib.so with a RELRO GOT
# bound at load (-z relro -z now) and libgotlib_lazy.so with lazy PLT
# binding, both -Bsymbolic-functions (gl_use_own calls gl_ref directly, as
# GLib calls its own functions).  tests/progs/ref_got.c is linked against
# each: build/progs/ref_got (-z now) and build/progs/ref_got_lazy (-z lazy),
# -fPIC (function addresses are read from GLOB_DAT slots).  The plugin they
# dlopen takes gl_ref from the program's global scope: ref_got loads
# libgotplugin_now.so RTLD_NOW (its PLT slot in a RELRO page once loaded),
# ref_got_lazy loads libgotplugin.so RTLD_LAZY (its slot still points into
# its own PLT).

GOTLIB_DIR = tests/unit/gotlib
GOTLIB_CFLAGS = -O2 -g -Wall -Wextra -Werror -fPIC -shared -Wl,-Bsymbolic-functions
REF_GOT_CFLAGS = -O2 -g -Wall -Wextra -Werror -fPIC -I$(GOTLIB_DIR) \
	-L$(BUILD)/progs -Wl,-rpath,'$$ORIGIN'

$(BUILD)/progs/libgotlib.so: $(GOTLIB_DIR)/gotlib.c $(GOTLIB_DIR)/gotlib.h | deps
	@mkdir -p $(@D)
	$(CC) $(GOTLIB_CFLAGS) -Wl,-z,relro -Wl,-z,now -Wl,-soname,libgotlib.so -o $@ $<

$(BUILD)/progs/libgotlib_lazy.so: $(GOTLIB_DIR)/gotlib.c $(GOTLIB_DIR)/gotlib.h | deps
	@mkdir -p $(@D)
	$(CC) $(GOTLIB_CFLAGS) -Wl,-z,lazy -Wl,-soname,libgotlib_lazy.so -o $@ $<

$(BUILD)/progs/libgotplugin.so: $(GOTLIB_DIR)/gotplugin.c $(GOTLIB_DIR)/gotlib.h | deps
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -fPIC -shared -Wl,-z,lazy -o $@ $<

$(BUILD)/progs/libgotplugin_now.so: $(GOTLIB_DIR)/gotplugin.c $(GOTLIB_DIR)/gotlib.h | deps
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -fPIC -shared -Wl,-z,relro -Wl,-z,now -o $@ $<

# Explicit rules: they win over tests.mk's pattern rule for progs.
$(BUILD)/progs/ref_got: tests/progs/ref_got.c tests/progs/progutil.h $(GOTLIB_DIR)/gotlib.h \
		$(BUILD)/progs/libgotlib.so $(BUILD)/progs/libgotplugin_now.so | deps
	$(CC) $(REF_GOT_CFLAGS) -DREF_GOT_DLOPEN=RTLD_NOW -Wl,-z,relro -Wl,-z,now -o $@ $< \
		-lgotlib -ldl

$(BUILD)/progs/ref_got_lazy: tests/progs/ref_got.c tests/progs/progutil.h $(GOTLIB_DIR)/gotlib.h \
		$(BUILD)/progs/libgotlib_lazy.so $(BUILD)/progs/libgotplugin.so | deps
	$(CC) $(REF_GOT_CFLAGS) -DREF_GOT_DLOPEN=RTLD_LAZY -Wl,-z,lazy -o $@ $< -lgotlib_lazy -ldl

test: $(BUILD)/progs/ref_got_lazy

# tests/progs/ref_race: built by tests.mk's pattern rule; it loads these.
$(BUILD)/progs/libgotquiet.so: $(GOTLIB_DIR)/gotquiet.c | deps
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -fPIC -shared -Wl,-z,relro -Wl,-z,now -o $@ $<

$(BUILD)/progs/ref_race: $(BUILD)/progs/libgotquiet.so $(BUILD)/progs/libgotlib.so

# The GOT patcher's unit test: the shim's table code, the rule scan and the
# recording halves of the hooks, in the test program (which a scan skips as
# the shim's own module), and libgotcaller.so, a module whose calls of
# gotlib go through its RELRO GOT.  An explicit rule: it wins over
# tests.mk's pattern rule for test_%.
$(BUILD)/progs/libgotcaller.so: $(GOTLIB_DIR)/gotcaller.c $(GOTLIB_DIR)/gotlib.h \
		$(BUILD)/progs/libgotlib.so | deps
	$(CC) -O2 -g -Wall -Wextra -Werror -fPIC -shared -Wl,-z,relro -Wl,-z,now \
		-Wl,-soname,libgotcaller.so -o $@ $< -L$(BUILD)/progs -lgotlib -Wl,-rpath,'$$ORIGIN'

$(BUILD)/unit/test_gotpatch: tests/unit/test_gotpatch.c $(wildcard tests/unit/*.h) \
		$(UNIT_SHIM_OBJ) $(BUILD)/shim/refhooks.o $(BUILD)/shim/hooks_ref.o \
		$(BUILD)/shim/hooks_tramp.o $(BUILD)/progs/libgotcaller.so \
		$(BUILD)/progs/libgotplugin_now.so | deps
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -I$(GOTLIB_DIR) -o $@ $< $(UNIT_SHIM_OBJ) \
		$(BUILD)/shim/refhooks.o $(BUILD)/shim/hooks_ref.o $(BUILD)/shim/hooks_tramp.o \
		-L$(BUILD)/progs -lgotcaller -lgotlib -Wl,-rpath,'$$ORIGIN/../progs' $(UNIT_LIBS)
