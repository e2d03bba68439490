#!/bin/bash
# What broke the exit-time walk from the globals (shim/reach.c) in a review
# (tests/progs/reach_hazards.c says how each program is built):
#   - a thread in dlopen while the walk called dlsym under the loader lock
#     dl_iterate_phdr holds: the process hung at exit;
#   - a global pointing into userfaultfd memory nobody serves: the read
#     waited for ever;
#   - the 128-byte window of an object that starts no malloc chunk ran over
#     its neighbour, which held the only pointer to a leaked object;
#   - a temporary reference under a lifetime rule's function, given back
#     in it or later outside it, cancelled a real leak.
. "$(dirname "$0")/lib.sh"

t_prog reach_hazards
RULES='ob: ob_new = new; ob: ob_new_at = new; ob: ob_ref = inc; ob: ob_unref = dec'
LIB=$TOP/build/progs/libreflib.so

# Hung 5 of 5 before (through libc's own dlopen, as here).
for round in 1 2 3; do
	t_run_limited "$T_TMP/dl$round.log" --rules "$RULES" -- "$T_BIN" dlrace "$LIB"
	t_rc "$T_RC" 0 "dlrace $round: the program exits while a thread loads and unloads a library"
done
t_report "$T_TMP/dl1.log" dlrace
t_eq "$T_JSON" '[.objects.reach.ran, (.objects.types[] | select(.type == "ob") | .leaked)]' \
	'[true,0]' "dlrace: the walk ran and found the object the library's global holds"

t_run_limited "$T_TMP/uffd.log" --rules "$RULES" -- "$T_BIN" uffd
t_rc "$T_RC" 0 "uffd: the program exits (a read of unserved userfaultfd memory waits for ever)"
if [ "$(head -n 1 "$T_OUT")" = skip ]; then
	t_log "uffd: userfaultfd refused here (vm.unprivileged_userfaultfd=0 and not root): not proven"
else
	t_same "$(head -n 1 "$T_OUT")" ok "uffd: the program's output"
fi

t_run_limited "$T_TMP/window.log" --rules "$RULES" -- "$T_BIN" window
t_rc "$T_RC" 0 "window: tally run"
t_report "$T_TMP/window.log" window
t_eq "$T_JSON" '[.objects.types[] | select(.type == "ob") | [.live, .leaked]][0]' '[3,2]' \
	"window: B and C leaked (A's window stops at B, its neighbour in the books)"

t_run_limited "$T_TMP/forlife.log" --rules "$RULES; ob: lib_setup = lifetime" -- "$T_BIN" forlife
t_rc "$T_RC" 0 "forlife: tally run"
t_report "$T_TMP/forlife.log" forlife
t_eq "$T_JSON" '[.verdicts[] | select(.type == "ob" and .function == "leak_one") | .net]' '[1]' \
	"forlife: leak_one's reference is a leak; lib_setup's temporary cancels nothing"
t_eq "$T_JSON" '[.objects.types[] | select(.type == "ob") | [.leaked, (.groups | map(.for_life) | add)]][0]' \
	'[1,0]' "forlife: nothing held for life (lib_setup gave its reference back)"
# A fork child asks GLib nothing at exit (one of the parent's threads may
# have held GLib's type lock at the fork): the GObject only the box's
# private part holds counts as leaked there; not in a process that did
# not fork.
t_run_limited "$T_TMP/fork.log" --rules "$RULES; gobject" -- "$T_BIN" forkchild
t_rc "$T_RC" 0 "forkchild: tally run"
child=$(for f in "$T_TMP"/fork.log*; do
	"$TALLY" report --json "$f" | jq -r 'select(.process.pid != null) | select([.objects.types[] | select(.type == "GObject") | .created][0] == 2) | .log'
done | head -n 1)
[ -n "$child" ] && t_pass || t_fail "forkchild: no log of the child with its 2 GObjects"
[ -n "$child" ] && t_report "$child" forkchild
[ -n "$child" ] && t_eq "$T_JSON" '[.objects.types[] | select(.type == "GObject") | [.live, .leaked]][0]' '[2,1]' \
	"forkchild: the box reachable, the GObject in its private part leaked (GLib not asked)"

t_run_limited "$T_TMP/forlater.log" --check --rules "$RULES; ob: lib_setup_keep = lifetime" -- "$T_BIN" forlater
t_rc "$T_RC" 1 "forlater: tally run --check fails: leak_one's reference is a leak"
t_report "$T_TMP/forlater.log" forlater
t_eq "$T_JSON" '[.objects.types[] | select(.type == "ob") | [.leaked, (.groups | map(.for_life) | add)]][0]' \
	'[1,0]' "forlater: nothing held for life (the object is unreachable; lib_setup_keep's reference went back later)"
t_done
