/*
 * replay — learning a stack's dependence on stack words (see replay.h).
 */
#include "replay.h"
#include "cfi.h"
#include "tally/format.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((tls_model("initial-exec"))) __thread struct replay_entry
	replay_cache[REPLAY_SLOTS];
uint32_t replay_epoch = 1;

/* ---- rules by code address, shared by all threads ---------------------- */

/* Insert-only, lock-free: a slot's ip is claimed with a compare-and-swap,
 * its rule (packed, with the epoch it was read in) stored after it.  A
 * rule of an older epoch (code unmapped since) is read again. */
#define RULES 4096
#define RULE_PROBES 8

static struct {
	uint64_t ip;
	uint64_t val;   /* bit 63 set; epoch 48..62; see pack() */
} rules[RULES];

static uint64_t pack(const struct cfi_rule *r, uint32_t epoch)
{
	uint64_t v = 1ull << 63 | (uint64_t)(epoch & 0x7fff) << 48;

	if (r->ok && r->cfa_off >= -(1 << 23) && r->cfa_off < (1 << 23) &&
	    r->rbp_off >= INT16_MIN && r->rbp_off <= INT16_MAX) {
		v |= 1 | (uint64_t)r->cfa_rbp << 1 | (uint64_t)r->ra_undefined << 2 |
		     (uint64_t)r->rbp_saved << 3;
		v |= (uint64_t)((uint32_t)r->cfa_off & 0xffffff) << 4;
		v |= (uint64_t)(uint16_t)r->rbp_off << 28;
	}
	return v;
}

static void unpack(uint64_t v, struct cfi_rule *r)
{
	memset(r, 0, sizeof(*r));
	if (!(v & 1))
		return;
	r->ok = 1;
	r->cfa_rbp = (v >> 1) & 1;
	r->ra_undefined = (v >> 2) & 1;
	r->rbp_saved = (v >> 3) & 1;
	r->cfa_off = (int32_t)((uint32_t)(v >> 4) << 8) >> 8;   /* 24-bit signed */
	r->rbp_off = (int16_t)(v >> 28);
}

static int rule_get(uintptr_t ip, struct cfi_rule *out)
{
	uint32_t epoch = __atomic_load_n(&replay_epoch, __ATOMIC_ACQUIRE) & 0x7fff;
	unsigned h = (unsigned)((ip * 0x9e3779b97f4a7c15ull) >> 52);
	struct cfi_rule fresh;

	for (unsigned i = 0; i < RULE_PROBES; i++) {
		unsigned s = (h + i) % RULES;
		uint64_t k = __atomic_load_n(&rules[s].ip, __ATOMIC_ACQUIRE);

		if (k == 0) {
			uint64_t zero = 0;
			if (!__atomic_compare_exchange_n(&rules[s].ip, &zero, ip, 0, __ATOMIC_ACQ_REL,
			                                 __ATOMIC_ACQUIRE)) {
				k = zero;
				if (k != ip)
					continue;
			} else {
				k = ip;
			}
		}
		if (k != ip)
			continue;
		uint64_t v = __atomic_load_n(&rules[s].val, __ATOMIC_ACQUIRE);
		if ((v >> 63) && ((v >> 48) & 0x7fff) == epoch) {
			unpack(v, out);
			return out->ok;
		}
		cfi_rule_at(ip, &fresh);
		v = pack(&fresh, epoch);
		__atomic_store_n(&rules[s].val, v, __ATOMIC_RELEASE);
		unpack(v, out);
		return out->ok;
	}
	cfi_rule_at(ip, &fresh);
	unpack(pack(&fresh, epoch), out);   /* the same limits as a cached one */
	return out->ok;
}

/* ---- learning ------------------------------------------------------------ */

/* Walks raw[0..n) again by the rules from (sp, bp); on success fills e's
 * words with the ones the frames depend on and returns 1. */
static int walk(struct replay_entry *e, uintptr_t sp, uintptr_t bp, void *const *raw,
                unsigned n, unsigned ask)
{
	int32_t off[2 * REPLAY_WORDS];
	uint64_t val[2 * REPLAY_WORDS];
	uint8_t need[2 * REPLAY_WORDS];
	uintptr_t rsp = sp, rbp = bp;
	int rbp_from = -1;            /* word rbp was last loaded from; -1: register */
	unsigned nw = 0, k;

	e->need_bp = 0;
	for (k = 0; k < n; k++) {
		struct cfi_rule r;

		if ((uintptr_t)raw[k] < 0x4000)
			return 0;
		/* The last frame: libunwind stopped here at the limit (its rule
		 * does not matter), or because this frame has no caller; a stop
		 * for any other reason is not learnt. */
		if (k == n - 1 && n == ask)
			break;
		if (!rule_get((uintptr_t)raw[k] - 1, &r))
			return 0;
		if (k == n - 1) {
			if (!r.ra_undefined)
				return 0;
			break;
		}
		if (r.ra_undefined)
			return 0;
		uintptr_t base = rsp;
		if (r.cfa_rbp) {
			base = rbp;
			if (rbp_from < 0)
				e->need_bp = 1;
			else
				need[rbp_from] = 1;
		}
		uintptr_t cfa = base + (intptr_t)r.cfa_off;
		/* Callers' frames lie above: a rule that says otherwise is not
		 * followed (and its words are not read). */
		if (cfa <= rsp || cfa - rsp > (1u << 20) || cfa - sp > INT32_MAX ||
		    nw + 2 > 2 * REPLAY_WORDS)
			return 0;
		uint64_t ra = *(const volatile uint64_t *)(cfa - 8);
		if (ra != (uint64_t)(uintptr_t)raw[k + 1])
			return 0;
		off[nw] = (int32_t)(cfa - 8 - sp), val[nw] = ra, need[nw] = 1, nw++;
		if (r.rbp_saved) {
			uintptr_t at = cfa + (intptr_t)r.rbp_off;
			if (at < rsp || at + 8 > cfa)
				return 0;
			rbp = *(const volatile uint64_t *)at;
			rbp_from = (int)nw;
			off[nw] = (int32_t)(at - sp), val[nw] = rbp, need[nw] = 0, nw++;
		}
		rsp = cfa;
	}
	/* Only the words a frame depends on; in walk order, so a comparison
	 * that stops at the first difference reads what the walk would.  The
	 * first is the capturing function's own return address, raw[1]: the
	 * key's ra1 (replay_match compares it there). */
	unsigned out = 0;
	if (nw > 0 && n > 1 && val[0] == (uint64_t)(uintptr_t)raw[1])
		need[0] = 0;
	for (unsigned i = 0; i < nw; i++) {
		if (!need[i])
			continue;
		if (out == REPLAY_WORDS)
			return 0;
		e->off[out] = off[i], e->val[out] = val[i], out++;
	}
	e->nwords = (uint8_t)out;
	return nw > 0;
}

void replay_learn(uintptr_t site, uintptr_t sp, uintptr_t bp, uint32_t tag, void *const *raw,
                  unsigned n, unsigned ask, uint32_t stack_id, uint32_t gen)
{
	uintptr_t ra1 = n > 1 ? (uintptr_t)raw[1] : 0;
	struct replay_entry *set = replay_set(site, sp, ra1, tag), *e = set;
	uint32_t epoch = __atomic_load_n(&replay_epoch, __ATOMIC_ACQUIRE);

	/* The way holding this key; else an empty one, else one that only
	 * noted another key, else the learnt one that missed more.  Two keys
	 * that alternate (a reference and its release) so end up one a way
	 * each, and a new key never evicts a working one first. */
	if (!replay_key_is(e, site, sp, ra1, tag)) {
		struct replay_entry *o = set + 1;
		if (replay_key_is(o, site, sp, ra1, tag))
			e = o;
		else if (e->state != 0 && o->state == 0)
			e = o;
		else if (e->state == 2 && o->state == 1)
			e = o;
		else if (e->state == 2 && o->state == 2 && o->misses > e->misses)
			e = o;
	}

	if (!site || n < 2 || stack_id == TALLY_STACK_NONE || stack_id >= TALLY_STACK_INHERITED)
		return;   /* (site 0: not x86-64, nothing to learn) */
	int same = e->site == site && e->sp == sp && e->ra1 == ra1 && e->tag == tag &&
	           e->gen == gen && e->epoch == epoch;
	/* A learnt stack that did not match: another path to the same place
	 * (kept, unless that keeps happening), or the program moved on. */
	if (same && e->state == 2 && ++e->misses < 8)
		return;
	if (!same || e->state != 1) {
		/* New here: note the key; the next capture with it learns. */
		e->state = 1;
		e->site = site, e->sp = sp, e->ra1 = ra1, e->tag = tag, e->gen = gen;
		e->epoch = epoch;
		return;
	}
	e->misses = 0;
	e->state = 0;
	e->bp = bp;
	e->stack_id = stack_id;
	if (walk(e, sp, bp, raw, n, ask))
		e->state = 2;
}

void replay_forget(void)
{
	__atomic_add_fetch(&replay_epoch, 1, __ATOMIC_ACQ_REL);
}

void replay_mismatch(uint32_t replayed, uint32_t taken)
{
	static const char msg[] = "tally: TALLY_REPLAY_CHECK: replayed stack differs from the one taken\n";
	(void)replayed, (void)taken;
	ssize_t w = write(2, msg, sizeof(msg) - 1);
	(void)w;
	abort();
}
