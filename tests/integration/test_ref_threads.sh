#!/bin/bash
# Exact reference books under concurrency (tests/progs/ref_threads.c):
# 8 threads take and drop 200000 references each on 4 shared objects of
# libreflib.so, from three call sites (take_a, take_b, take_c), all in
# balance; the main thread then frees 3 objects and keeps 1.  In both hook
# modes (TALLY_HOOK=entry, the default, and got), twice each, the books
# read with ref_logdump must show exactly that object, net 1, its creation
# cell in make_objects, each site's references given back at the same
# site, every call counted, and nothing unseen or violated.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/refdump.sh"

t_prog ref_threads
PROG=$T_BIN
THREADS=8 PAIRS=200000
# Object 0 gets the pairs with (i + t) % 4 == 0: a quarter of all.
PAIRS_ON_KEPT=$((THREADS * PAIRS / 4))
export TALLY_RULES='rl: rl_new = new; rl: rl_ref = inc; rl: rl_unref = dec'
NEW_LINE=$(r_line "$TOP/tests/progs/ref_threads.c" make_objects 'rl_new')

for mode in entry got; do
	for run in 1 2; do
		what="$mode run $run"
		log="$T_TMP/$mode$run.log"
		TALLY_HOOK=$mode t_run_ok "$log" -- "$PROG" "$THREADS" "$PAIRS"
		kept=$(t_value "$T_OUT" kept)
		r_dump "$log" "$mode$run"

		# How the rules were applied: through the entry or the GOT.
		if [ "$mode" = entry ]; then
			t_same "$(r_rule "$D" rl_ref entries)/$(r_rule "$D" rl_unref entries)" 1/1 "$what: entries patched"
		else
			t_same "$(r_rule "$D" rl_ref entries)/$(r_rule "$D" rl_unref entries)" 0/0 "$what: entries patched"
			t_same "$(r_rule "$D" rl_ref got_sites)/$(r_rule "$D" rl_unref got_sites)" 1/1 "$what: GOT sites"
		fi
		# Every call seen: 4 creations, the pairs, 3 final drops.
		t_same "$(r_rule "$D" rl_new calls)" 4 "$what: rl_new calls"
		t_same "$(r_rule "$D" rl_ref calls)" $((THREADS * PAIRS)) "$what: rl_ref calls"
		t_same "$(r_rule "$D" rl_unref calls)" $((THREADS * PAIRS + 3)) "$what: rl_unref calls"

		# The books: 4 created, 3 freed, 1 live, with nothing unseen.
		for c in created:4 freed:3 first_seen_inc:0 dec_unknown:0 balanced:0 untracked:0 unstacked:0 nested:0; do
			t_same "$(r_type "$D" rl "${c%%:*}")" "${c#*:}" "$what: type rl ${c%%:*}"
		done
		r_no_violations "$D" "$what"
		t_same "$(r_header "$D" objects_live)" 1 "$what: objects_live"
		t_same "$(r_live "$D" rl)" "$kept" "$what: the live object is the one kept"
		t_same "$(r_obj "$D" "$kept" net)/$(r_obj "$D" "$kept" flags)" 1/created "$what: kept object's net/flags"
		t_same "$(r_cells_total "$D" "$kept")" 1 "$what: kept object's cells add up to its net"
		t_same "$(r_cells "$D" "$kept" make_objects)" 1:1 "$what: creation cell (cells:net) in make_objects"
		# Each site: one cell for its rl_ref and one for its rl_unref,
		# back to 0 together; between them, every pair on object 0.
		total=0
		for site in take_a take_b take_c; do
			t_same "$(r_cells "$D" "$kept" "$site")" 2:0 "$what: $site cells (cells:net)"
			n=$(awk -v a="$kept" -v fn="$site" "$R_AWK_DEFS"'
				$1 == "object" && $2 == a {
					n = split(field("cells"), c, ",")
					for (i = 1; i <= n; i++) { split(c[i], sn, ":")
						if (stack_top(sn[1]) == fn && sn[2] > 0) print sn[2] }
				}' "$D" "$D")
			total=$((total + ${n:-0}))
		done
		t_same "$total" "$PAIRS_ON_KEPT" "$what: references taken on the kept object, all sites"

		# The analyzer's view, when it has one.
		t_report "$log" "$mode$run"
		if r_json_books "$T_JSON"; then
			t_same "$(r_json_live "$T_JSON" rl)" 1 "$what: report: live rl objects"
			if r_json_verdict "$T_JSON" rl make_objects "$NEW_LINE"; then t_pass; else
				t_fail "$what: report: no verdict on rl at make_objects line $NEW_LINE"
			fi
		fi
	done
done

t_done
