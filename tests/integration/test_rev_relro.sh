#!/bin/bash
# shim/refhooks.c set_slot(): a GOT slot inside PT_GNU_RELRO is made
# writable, patched, then read-only again — but only the whole pages of the
# RELRO range, as ld.so protects them (it rounds the end down).  When the
# range ends mid-page the rest of that page (.got.plt, .data) is writable;
# making it read-only killed the program (SIGSEGV) at the library's next
# write to its own .data.  librevrelro.so has that layout
# (tests/progs/revlib/relro_extend.c); hooked through the GOT.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rev_lib.sh"
t_prog rev_relro

lo_hi=$(readelf -lW "$PROGS/librevrelro.so" | awk '$1 == "GNU_RELRO" { print $3, $6 }')
read -r lo size <<<"$lo_hi"
t_same "$(( (lo + size) % 4096 != 0 ))" 1 "fixture: librevrelro.so's RELRO ends mid-page"

rev_base relro rev_relro
t_same "$(cat "$T_TMP/relro.base.out")" "ok calls 11 count 11" "relro: without tally"
rev_run relro rev_relro TALLY_RULES="$REV_RULES" TALLY_HOOK=got
t_done
