#!/bin/bash
# GStreamer reference books under TALLY_RULES=gst (entry hooks, the
# default), read with ref_logdump.
#
# (a) Debian's own gst-launch-1.0 running fakesrc ! filesink (200 buffers
# of a byte pattern): exits 0, writes the same bytes as without tally, and
# at exit no GstBuffer, GstEvent, GstMessage, GstQuery, GstBufferList or
# GstSample is alive: all 200 buffers created were freed.  What stays
# alive is what GStreamer keeps for the life of the process, and nothing
# else: the two element classes' pad templates (GObjects made by
# gst_static_pad_template_get in fakesrc's and filesink's class_init; an
# element class is never finalized) and their caps (made by
# gst_static_caps_get, net 2: one reference held by the template, one by
# the GstStaticCaps cache).  GStreamer flags all four MAY_BE_LEAKED; the
# gst preset's kept_if rules read that flag at exit, so the report counts
# them kept, not leaked: no verdict, and `tally run --check` passes.
#
# (b) tests/progs/ref_gst_leak.c pushes 50 buffers into a fakesink and
# keeps one extra reference from keep_a_buffer_ref() (gst_buffer_ref, an
# inline calling gst_mini_object_ref): one live GstBuffer, net 1, that
# reference in a cell whose innermost frame is keep_a_buffer_ref.  The
# buffer's memory keeps the default allocator alive, one GObject more.
# The report names that buffer's memory (made inside gst_buffer_new_allocate)
# as held by it, not leaked.  With --no-leak: no live GstBuffer, only
# fakesink's pad template and caps.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/refdump.sh"

command -v gst-launch-1.0 >/dev/null || t_fatal "gst-launch-1.0 is not installed (gstreamer1.0-tools)"
t_prog ref_gst_leak
PROG=$T_BIN

# A registry of the test's own, written by the first run (without tally);
# the runs under tally read it as it is: no plugin scan, no
# gst-plugin-scanner child there.
export GST_REGISTRY=$T_TMP/registry.bin
export TALLY_RULES=gst
MINI_TYPES="GstBuffer GstBufferList GstEvent GstMessage GstQuery GstSample GstMiniObject"

# ---- (a) gst-launch-1.0 ----------------------------------------------------
PIPE="fakesrc num-buffers=200 sizetype=fixed sizemax=16 filltype=pattern-span ! filesink"
# shellcheck disable=SC2086
gst-launch-1.0 -q $PIPE location="$T_TMP/plain.bin" >"$T_TMP/plain.out" 2>&1
t_rc $? 0 "gst-launch-1.0 without tally"
t_same "$(head -c 300 "$T_TMP/plain.out")" "" "gst-launch-1.0 -q without tally: output"
t_same "$(stat -c %s "$T_TMP/plain.bin" 2>&1)" 3200 "gst-launch-1.0 without tally: bytes written"
[ -s "$GST_REGISTRY" ] || t_fatal "gst-launch-1.0 wrote no registry $GST_REGISTRY"
export GST_REGISTRY_UPDATE=no

for run in 1 2; do
	what="gst-launch run $run"
	log="$T_TMP/launch$run.log"
	# shellcheck disable=SC2086
	t_run_ok "$log" -- gst-launch-1.0 -q $PIPE location="$T_TMP/tally$run.bin"
	t_same_file "$T_TMP/tally$run.bin" "$T_TMP/plain.bin" "$what: bytes written"
	# -q: gst-launch prints nothing, so tally's report comes first.
	t_same "$(head -n 1 "$T_OUT" | cut -d: -f1)" "tally report" "$what: first line of stdout"
	if grep -qE 'CRITICAL|WARNING|ERROR' "$T_ERR"; then
		t_fail "$what: GStreamer complained:"; sed 's/^/    /' "$T_ERR" >&2
	else
		t_pass
	fi
	r_dump "$log" "launch$run"
	r_no_violations "$D" "$what"
	t_same "$(r_type "$D" GstBuffer created)/$(r_type "$D" GstBuffer freed)" 200/200 "$what: GstBuffer created/freed"
	for ty in $MINI_TYPES; do
		t_same "$(r_count "$D" "$ty")" 0 "$what: live $ty"
	done
	t_same "$(r_count "$D" GObject)/$(r_count "$D" GObject gst_static_pad_template_get)" 2/2 \
		"$what: live GObjects, of them pad templates"
	t_same "$(r_count "$D" GstCaps)/$(r_count "$D" GstCaps gst_static_caps_get)" 2/2 \
		"$what: live GstCaps, of them static caps"
	for c in $(r_live "$D" GstCaps); do
		t_same "$(r_obj "$D" "$c" net)" 2 "$what: net of static caps $c"
	done
	t_same "$(r_header "$D" objects_live)" 4 "$what: objects_live"
	t_report "$log" "launch$run"
	if r_json_books "$T_JSON"; then
		t_same "$(r_json_live "$T_JSON" GstBuffer)" 0 "$what: report: live GstBuffers"
		t_eq "$T_JSON" '[.objects.kept, .objects.leaked, (.verdicts | length)]' '[4,0,0]' \
			"$what: report: the 4 objects kept on purpose, none leaked, no verdict"
	fi
done
# shellcheck disable=SC2086
t_run "$T_TMP/check.log" --check -- gst-launch-1.0 -q $PIPE location="$T_TMP/check.bin"
t_rc "$T_RC" 0 "gst-launch under tally run --check: nothing leaked"
grep -q 'check failed' "$T_ERR" && t_fail "tally run --check: $(grep 'check failed' "$T_ERR")" || t_pass
r_types_note "$D" GObject GstMiniObject GstBuffer GstEvent GstCaps

# ---- (b) one buffer reference kept ----------------------------------------------
what="ref_gst_leak"
log="$T_TMP/leak.log"
t_run_ok "$log" -- "$PROG"
kept=$(t_value "$T_OUT" kept)
t_same "$(t_value "$T_OUT" pushed)" 50 "$what: buffers pushed"
r_dump "$log" leak
r_no_violations "$D" "$what"
t_same "$(r_type "$D" GstBuffer created)/$(r_type "$D" GstBuffer freed)" 50/49 "$what: GstBuffer created/freed"
t_same "$(r_live "$D" GstBuffer)" "$kept" "$what: the one live GstBuffer is the kept one"
t_same "$(r_count "$D" GstBuffer make_buffer)" 1 "$what: live GstBuffers made by make_buffer"
t_same "$(r_obj "$D" "$kept" net)/$(r_obj "$D" "$kept" flags)" 1/created "$what: kept buffer's net/flags"
t_same "$(r_cells_total "$D" "$kept")" 1 "$what: kept buffer's cells add up to its net"
t_same "$(r_cells "$D" "$kept" keep_a_buffer_ref)" 1:1 "$what: cells (cells:net) in keep_a_buffer_ref"
for ty in GstBufferList GstEvent GstMessage GstQuery GstSample GstMiniObject; do
	t_same "$(r_count "$D" "$ty")" 0 "$what: live $ty"
done
# fakesink's pad template, and the allocator the kept buffer's memory holds.
t_same "$(r_count "$D" GObject)/$(r_count "$D" GObject gst_static_pad_template_get)/$(r_count "$D" GObject gst_init)" \
	2/1/1 "$what: live GObjects, of them the pad template / made in gst_init"
t_same "$(r_count "$D" GstCaps)/$(r_count "$D" GstCaps gst_static_caps_get)" 1/1 "$what: live GstCaps, of them static caps"
t_report "$log" leak
if r_json_books "$T_JSON"; then
	t_same "$(r_json_live "$T_JSON" GstBuffer)" 1 "$what: report: live GstBuffers"
	# gst_buffer_ref is inlined into keep_a_buffer_ref: the frame's line is
	# the call site in keep_a_buffer_ref, not gstbuffer.h's.
	KEEP_LINE=$(grep -n 'kept = gst_buffer_ref(buf)' "$TOP/tests/progs/ref_gst_leak.c" | cut -d: -f1)
	if r_json_verdict "$T_JSON" GstBuffer keep_a_buffer_ref "$KEEP_LINE"; then t_pass; else
		t_fail "$what: report: no verdict on GstBuffer at keep_a_buffer_ref line $KEEP_LINE"
	fi
	# keep_a_buffer_ref's reference and make_buffer's creation reference
	# (handed to gst_pad_push, which drops one) cannot be told apart: both
	# are candidates, each named with the function its line is in, under
	# their common caller.
	t_eq "$T_JSON" '[.verdicts[] | select(.type == "GstBuffer") | [.function, .within]] | sort' \
		'[["keep_a_buffer_ref","main"],["make_buffer","main"]]' "$what: report: GstBuffer candidates"
	r_json_verdicts_consistent "$T_JSON" "$what"
	# the pad template, the allocator and the caps are kept on purpose
	t_eq "$T_JSON" '.objects.kept' 3 "$what: report: objects kept on purpose"
	# the kept buffer's memory, made inside gst_buffer_new_allocate, is the
	# buffer's: held by a live owner, not a leak of its own
	t_eq "$T_JSON" '[.objects.types[] | select(.type == "GstMemory") | [.live, .leaked,
		(.groups[0].owned_by | map([.type, .refs, .stack[0].function]))]][0]' \
		'[1,0,[["GstBuffer",1,"make_buffer"]]]' "$what: report: GstMemory held by the live GstBuffer"
	t_eq "$T_JSON" '.verdicts[0].type' '"GstBuffer"' "$what: report: the GstBuffer leak comes first"
fi
r_types_note "$D" GObject GstMiniObject GstBuffer GstEvent GstCaps

what="ref_gst_leak --no-leak"
log="$T_TMP/noleak.log"
t_run_ok "$log" -- "$PROG" --no-leak
t_same "$(t_value "$T_OUT" kept)" "(nil)" "$what: nothing kept"
r_dump "$log" noleak
r_no_violations "$D" "$what"
t_same "$(r_type "$D" GstBuffer created)/$(r_type "$D" GstBuffer freed)" 50/50 "$what: GstBuffer created/freed"
for ty in $MINI_TYPES; do
	t_same "$(r_count "$D" "$ty")" 0 "$what: live $ty"
done
t_same "$(r_count "$D" GObject)/$(r_count "$D" GObject gst_static_pad_template_get)" 1/1 \
	"$what: live GObjects, of them the pad template"
t_same "$(r_count "$D" GstCaps)/$(r_count "$D" GstCaps gst_static_caps_get)" 1/1 "$what: live GstCaps, of them static caps"
t_report "$log" noleak
if r_json_books "$T_JSON"; then
	t_same "$(r_json_live "$T_JSON" GstBuffer)" 0 "$what: report: live GstBuffers"
	t_eq "$T_JSON" '[.objects.kept, .objects.leaked, (.verdicts | length)]' '[2,0,0]' \
		"$what: report: pad template and caps kept, none leaked, no verdict"
fi

t_done
