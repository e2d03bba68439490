/*
 * replay — a capture that repeats is recognised without walking the stack.
 *
 * A call site that records many events (a socket() in a loop, a close() in
 * an event handler) is reached again and again with the same stack.  After
 * libunwind has walked it, replay_learn walks it once more by the DWARF
 * rules (cfi.h) and keeps the few stack words the walk's result depends on:
 * each return address (but the capturing function's own: the key has it),
 * and each saved rbp that a frame's CFA is computed from.  The stack walk
 * is a function of the capturing code, its stack pointer, rbp (when a CFA
 * needs it), those words and the unwind rules; so when the same wrapper
 * captures again at the same stack pointer, in the same module
 * generation, and those words hold the same values, the walk would give
 * the same frames, and the stack id is reused (replay_match).
 * The words are compared innermost first and the comparison stops at the
 * first difference, so it reads only words the walk itself would read.
 *
 * A stack is learnt only when the rule walk gives exactly libunwind's
 * frames, on the second capture with the same key (a key seen once is
 * only noted), and only when every frame has a plain rule.  Per thread,
 * no malloc, no lock, no syscall.
 */
#ifndef TALLY_REPLAY_H
#define TALLY_REPLAY_H

#include <stdint.h>

#define REPLAY_SLOTS 8
#define REPLAY_WORDS 40

struct replay_entry {
	uintptr_t site;        /* the capturing code (one per inlined rec_stack) */
	uintptr_t sp, bp;      /* its rsp, and rbp when need_bp */
	uintptr_t ra1;         /* the wrapper's return address, and */
	uint32_t tag;          /* event kind and arg: they spread the keys */
	uint32_t gen;          /* module generation of the stack */
	uint32_t epoch;        /* replay_epoch when learnt */
	uint32_t stack_id;
	uint8_t state;         /* 0 empty, 1 key seen once, 2 learnt */
	uint8_t need_bp;
	uint8_t nwords;
	uint8_t misses;        /* captures since learnt that did not match */
	int32_t off[REPLAY_WORDS];   /* from sp */
	uint64_t val[REPLAY_WORDS];
};

extern __attribute__((tls_model("initial-exec"))) __thread struct replay_entry
	replay_cache[REPLAY_SLOTS];
extern uint32_t replay_epoch;   /* bumped when code is unmapped */

/* The pair of entries a key may use: two ways, so that two keys that hash
 * alike (a reference and its release from sibling frames, which differ in
 * sp by a few words and in tag by one) do not evict each other for ever. */
static inline struct replay_entry *replay_set(uintptr_t site, uintptr_t sp, uintptr_t ra1,
                                              uint32_t tag)
{
	uint64_t h = (site ^ (sp * 0x9e3779b97f4a7c15ull) ^ (ra1 * 0xc2b2ae3d27d4eb4full) ^
	              ((uint64_t)tag * 0x165667b19e3779f9ull)) * 0x94d049bb133111ebull;
	return &replay_cache[(h >> 32) % (REPLAY_SLOTS / 2) * 2];
}

static inline int replay_key_is(const struct replay_entry *e, uintptr_t site, uintptr_t sp,
                                uintptr_t ra1, uint32_t tag)
{
	return e->site == site && e->sp == sp && e->ra1 == ra1 && e->tag == tag;
}

/* The stack id a capture at (site, sp, bp) in generation gen would find,
 * or 0 when it has to be taken.  ra1: the wrapper's return address; tag:
 * replay_tag() of the event. */
static inline __attribute__((always_inline)) uint32_t replay_match(uintptr_t site, uintptr_t sp, uintptr_t bp, uintptr_t ra1,
                                    uint32_t tag, uint32_t gen)
{
	const struct replay_entry *e = replay_set(site, sp, ra1, tag);

	if (!replay_key_is(e, site, sp, ra1, tag) && !replay_key_is(++e, site, sp, ra1, tag))
		return 0;
	if (e->state != 2 || e->gen != gen || (e->need_bp && e->bp != bp) ||
	    e->epoch != __atomic_load_n(&replay_epoch, __ATOMIC_ACQUIRE))
		return 0;
	/* Two words per turn, each read only once the one before matched. */
	unsigned n = e->nwords, i = 0;
	for (; i + 1 < n; i += 2) {
		if (*(const volatile uint64_t *)(sp + e->off[i]) != e->val[i])
			return 0;
		if (*(const volatile uint64_t *)(sp + e->off[i + 1]) != e->val[i + 1])
			return 0;
	}
	if (i < n && *(const volatile uint64_t *)(sp + e->off[i]) != e->val[i])
		return 0;
	return e->stack_id;
}

static inline uint32_t replay_tag(uint16_t kind, int32_t arg)
{
	return (uint32_t)kind << 16 ^ (uint32_t)arg;
}

/* After a capture by libunwind at (site, sp, bp): raw[0..n) as it returned
 * them for `ask` frames (raw[0] in the capturing wrapper), stored as
 * stack_id of generation gen.  Notes or learns the stack. */
void replay_learn(uintptr_t site, uintptr_t sp, uintptr_t bp, uint32_t tag, void *const *raw,
                  unsigned n, unsigned ask, uint32_t stack_id, uint32_t gen);

/* Test builds (TALLY_REPLAY_CHECK): a replayed stack differed from the
 * one taken; says so on stderr and aborts. */
void replay_mismatch(uint32_t replayed, uint32_t taken);

/* Code was unmapped: forgets every learnt stack and cached rule. */
void replay_forget(void);

#endif
