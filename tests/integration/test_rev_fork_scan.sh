#!/bin/bash
# shim/refhooks.c's scan_lock is held across a whole rescan (after each
# wrapped dlopen), so it is taken around fork and reset in the child: a
# fork while another thread rescans must not leave the child a mutex
# nobody will unlock (its first dlopen would wait on it for ever).
# tests/progs/rev_forkscan forks exactly then (see its header); each child
# dlopens once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rev_lib.sh"
t_prog rev_forkscan
t_prog librevlib.so

rev_base forkscan rev_forkscan "$PROGS/librevlib.so"
t_same "$(cat "$T_TMP/forkscan.base.out")" "ok forks 3" "forkscan: without tally"
rev_run forkscan rev_forkscan TALLY_RULES="$REV_RULES" -- "$PROGS/librevlib.so"
t_done
