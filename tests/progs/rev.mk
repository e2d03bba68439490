# The review tests' programs (tests/integration/test_rev_*.sh) and their
# library, build/progs/librevlib.so (tests/progs/revlib).  Included from
# tests/tests.mk; explicit rules win over its pattern rule.

REV_CFLAGS = -O2 -g -Wall -Wextra -Werror -pthread -Itests/progs
REVLIB_DIR = tests/progs/revlib
REV_LINK = -L$(BUILD)/progs -lrevlib -Wl,-rpath,'$$ORIGIN' -ldl

$(BUILD)/progs/librevlib.so: $(REVLIB_DIR)/revlib.c $(REVLIB_DIR)/revlib.h | deps
	@mkdir -p $(@D)
	$(CC) $(REV_CFLAGS) -fPIC -shared -Wl,-soname,librevlib.so -o $@ $<

REV_PROGS := $(patsubst tests/progs/%.c,$(BUILD)/progs/%,$(wildcard tests/progs/rev_*.c))

$(REV_PROGS): $(BUILD)/progs/rev_%: tests/progs/rev_%.c $(REVLIB_DIR)/revlib.h \
		$(BUILD)/progs/librevlib.so | deps
	@mkdir -p $(@D)
	$(CC) $(REV_CFLAGS) -fPIC -o $@ $< $(REV_LINK)

PROG_BINS += $(BUILD)/progs/librevlib.so

# librevrelro.so: a GOT slot (rv_ref, bound at load: -z now) in a RELRO
# range that ends in the middle of a page whose rest (.data) is writable.
$(BUILD)/progs/relro_extend: $(REVLIB_DIR)/relro_extend.c | deps
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/progs/librevrelro.so: $(REVLIB_DIR)/revrelro.c $(REVLIB_DIR)/revlib.h \
		$(BUILD)/progs/librevlib.so $(BUILD)/progs/relro_extend | deps
	$(CC) $(REV_CFLAGS) -fPIC -shared -Wl,-z,relro -Wl,-z,lazy -Wl,-soname,librevrelro.so \
		-o $@.tmp $< -L$(BUILD)/progs -lrevlib -Wl,-rpath,'$$ORIGIN'
	$(BUILD)/progs/relro_extend $@.tmp
	mv $@.tmp $@

$(BUILD)/progs/rev_relro: tests/progs/rev_relro.c $(BUILD)/progs/librevrelro.so
$(BUILD)/progs/rev_relro: REV_LINK += -lrevrelro
PROG_BINS += $(BUILD)/progs/librevrelro.so

# rev_dlerror dlopens librevlib.so itself: not linked to it.
$(BUILD)/progs/rev_dlerror: REV_LINK = -ldl

# rev_longjmp built with _FORTIFY_SOURCE: its jumps call __longjmp_chk.
$(BUILD)/progs/rev_longjmp_chk: tests/progs/rev_longjmp.c $(REVLIB_DIR)/revlib.h \
		$(BUILD)/progs/librevlib.so | deps
	$(CC) $(REV_CFLAGS) -D_FORTIFY_SOURCE=2 -fPIC -o $@ $< $(REV_LINK)
PROG_BINS += $(BUILD)/progs/rev_longjmp_chk
