#!/bin/bash
# The rescan after a wrapped dlopen (shim/refhooks.c patch_got) resolves
# lazy PLT slots with dlsym(RTLD_DEFAULT, name); for a module loaded
# RTLD_LOCAL that fails, and the failure must not stay in the thread's
# dlerror() state: the program's dlerror() after its successful dlopen must
# return NULL, not "libtally.so: undefined symbol: ...".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rev_lib.sh"
t_prog rev_dlerror
t_prog librevlib.so

rev_base dlerror rev_dlerror "$PROGS/librevlib.so"
t_same "$(cat "$T_TMP/dlerror.base.out")" "dlopen ok dlerror NONE" "dlerror: without tally"
rev_run dlerror rev_dlerror TALLY_RULES="$REV_RULES" -- "$PROGS/librevlib.so"
t_done
