#!/bin/bash
# fork while another thread is inside dl_iterate_phdr (shim/forkwalk.h),
# in a nested walk from its callback: the forked child must make a socket
# and exit.  It once hung for ever at its first stack capture: the inner
# walk waited for the fork, the fork waited for the outer walk, gave up
# after two seconds and went ahead with the loader's lock held.
# (fd_dlfork's "cancel" mode hangs without tally too: not run.)
. "$(dirname "$0")/lib.sh"

t_prog fd_dlfork
for mode in nested; do
	t_run_limited "$T_TMP/$mode.log" -- "$T_BIN" "$mode"
	t_rc "$T_RC" 0 "$mode: tally run"
	t_same "$(head -n 1 "$T_OUT")" ok "$mode: every child exited 0"
done
t_done
