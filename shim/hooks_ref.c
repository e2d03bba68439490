/*
 * hooks_ref — the recording path of reference functions: ref_hook_pre runs
 * before the real function, ref_hook_post after it (hooks_tramp.S).
 *
 * Increments, decrements, frees and sinks are booked before the call: once
 * a decrement has run, the memory may be freed and reused by another
 * thread's new object at the same address.  A creation is booked after the
 * call, when its address is known.
 *
 * A reference function called by another one for the same object on the
 * same thread (gst_object_ref -> g_object_ref, g_object_ref_sink ->
 * g_object_ref) is one reference, not two: each thread keeps a short stack
 * of the hooked calls under way, and a call nested in one for the same
 * object is not booked.  Entries left behind by a longjmp or an exception
 * are dropped by their stack pointer.
 */
#include "refhooks.h"
#include "books.h"
#include "record.h"

#include <stdlib.h>

#define ACTIVE_MAX 16

struct active_call {
	uintptr_t sp;          /* the caller's stack arguments: identifies the frame */
	uint64_t addr;         /* the object, 0 for a creation */
	uint64_t call_seq;     /* events_claimed when the call began */
	int skip;              /* nested in a call for the same object */
};

static TLS struct active_call active[ACTIVE_MAX];
static TLS int nactive;

/* Records one reference event and books it; handles enforcement. */
static void record_ref(struct ref_hook *hook, uint64_t addr, int floating, uint64_t call_seq)
{
	struct rec r;
	struct tally_log *log = &g_shim.log;

	if (!rec_begin(&r, TALLY_EV_OBJ, -1, 0, 0))
		return;
	r.ev.arg = hook->role;
	r.ev.u.obj.addr = addr;
	r.ev.u.obj.rule = hook->rule;
	rec_stack(&r);
	uint64_t seq = rec_claim(&r);

	struct book_op op = {
		.addr = addr, .role = hook->role, .floating = (uint8_t)floating,
		.type = hook->type, .refs = hook->refs, .stack = r.ev.stack_id,
		.tid = r.ev.tid, .now_ns = r.ev.time_ns, .serial = seq + 1, .call_seq = call_seq,
	};
	struct book_result res;
	books_apply(log, &op, &res);
	r.ev.u.obj.type = res.type;
	r.ev.u.obj.net = res.net;
	r.ev.u.obj.detail = res.detail;
	rec_commit(&r);

	if (res.violation) {
		struct rec v = r;
		v.ev.kind = TALLY_EV_VIOLATION;
		v.ev.arg = res.violation;
		v.ev.u.obj.detail = res.certain ? TALLY_OBJD_CERTAIN : 0;
		v.seq = UINT64_MAX;
		rec_commit(&v);
		if (res.certain && log->hdr->enforce == TALLY_ENFORCE_ABORT)
			abort();   /* recorded first: the log says why */
	}
	rec_end(&r);
}

/* Drops entries of frames a longjmp or an exception left: an entry whose
 * frame lies at or below the current one cannot be a caller of it. */
static void drop_stale(uintptr_t sp)
{
	while (nactive > 0 && active[nactive - 1].sp <= sp)
		nactive--;
}

void ref_hook_pre(struct ref_hook *hook, const uint64_t *regs, const uint64_t *stack_args)
{
	SAVE_ERRNO;
	uintptr_t sp = (uintptr_t)stack_args;
	uint64_t addr = hook->role == TALLY_ROLE_NEW ? 0 : regs[hook->arg];
	int skip = 0, on = rec_on();
	uint64_t call_seq = 0;

	drop_stale(sp);
	for (int i = 0; i < nactive; i++)
		if (addr && active[i].addr == addr)
			skip = 1;
	if (on) {
		__atomic_fetch_add(&g_shim.log.rules[hook->rule].calls, 1, __ATOMIC_RELAXED);
		call_seq = __atomic_load_n(&g_shim.log.hdr->events_claimed, __ATOMIC_RELAXED);
	}
	/* Pushed even when recording is off, so that post pops its own. */
	if (nactive < ACTIVE_MAX)
		active[nactive++] = (struct active_call){ sp, addr, call_seq, skip };
	else
		skip = 1;   /* deeper than we can follow: not booked */
	if (!skip && addr && hook->role != TALLY_ROLE_NEW && on) {
		int floating = 0;
		if (hook->role == TALLY_ROLE_SINK && hook->is_floating)
			floating = hook->is_floating((void *)(uintptr_t)addr) != 0;
		record_ref(hook, addr, floating, call_seq);
	}
	RESTORE_ERRNO;
}

void ref_hook_post(struct ref_hook *hook, uint64_t ret, const uint64_t *stack_args)
{
	SAVE_ERRNO;
	uintptr_t sp = (uintptr_t)stack_args;
	/* Our own entry is the innermost one left, unless a longjmp left
	 * deeper ones or there was no room for ours. */
	struct active_call me = { 0, 0, 0, 1 };
	while (nactive > 0 && active[nactive - 1].sp < sp)
		nactive--;
	if (nactive > 0 && active[nactive - 1].sp == sp)
		me = active[--nactive];
	if (hook->role == TALLY_ROLE_NEW && ret && !me.skip && rec_on())
		record_ref(hook, ret, 0, me.call_seq);
	RESTORE_ERRNO;
}
