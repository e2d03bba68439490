#!/bin/bash
# bind/connect/accept with bad pointers: the same results with and without
# the shim, and no crash (the shim reads only memory the kernel could read).
. "$(dirname "$0")/lib.sh"

t_prog fd_badptr
bare=$(timeout 20 "$T_BIN" 2>&1); bare_rc=$?
pre=$(timeout 20 env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$T_TMP/pre.%p" "$T_BIN" 2>&1); pre_rc=$?
if [ "$bare_rc" = 0 ] && [ "$pre_rc" = "$bare_rc" ] && [ "$bare" = "$pre" ]; then
	t_pass
else
	t_fail "bare (exit $bare_rc) and preloaded (exit $pre_rc) runs differ:
$(diff <(echo "$bare") <(echo "$pre"))"
fi
echo "$bare" | grep -q 'bind(PROT_NONE addr).*EFAULT' || t_fail "bare run: no EFAULT: $bare"
t_run "$T_TMP/b.log" -- "$T_BIN"
t_rc "$T_RC" 0 "tally run"
t_report "$T_TMP/b.log"
t_eq "$T_JSON" '[.failures[] | select(.call == "bind" and .errno == "EFAULT") | .count] | add' 3 \
	"bind EFAULT failures recorded"
t_done
