/*
 * entryhook — hooks a function at its entry (see entryhook.h).
 *
 * Sections: the decoder (Zydis, dlopen'ed), stub pages near the patched
 * module, the plan (which instructions the jmp overwrites, and whether that
 * is safe), the trampoline (those instructions relocated), the patch.
 * Nothing is written anywhere until every check has passed.
 */
#include "entryhook.h"

#include <stdarg.h>
#include <stdio.h>

/* printf-like message into the caller's buffer (which may be absent). */
static void __attribute__((format(printf, 3, 4))) say(char *why, size_t whysz,
						       const char *fmt, ...)
{
	va_list ap;

	if (!why || whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

#if !defined(__x86_64__)

int entryhook_install(void *fn, size_t size, void *dest, void **original, char *why,
		      size_t whysz)
{
	(void)fn, (void)size, (void)dest, (void)original;
	say(why, whysz, "entry hooks need x86-64");
	return -1;
}

void entryhook_fork_prepare(void) {}
void entryhook_fork_parent(void) {}
void entryhook_fork_child(void) {}

#else

#include <Zydis/Zydis.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define JMP_LEN 5                 /* e9 rel32: what overwrites the entry */
#define SLOT 64                   /* one hook: stub, then trampoline */
#define STUB_LEN 16               /* ff 25 00000000 <dest>, 2 bytes int3 */
#define TRAMP_MAX (SLOT - STUB_LEN)
#define MAX_PAGES 512
#define PROBE_STEP (64u << 10)
/* Stub to fn.  A jmp rel32 reaches 2 GiB; the other GiB is left for the
 * module's own data, which the relocated RIP-relative operands address. */
#define REACH (1ul << 30)

/* Serialises installs: the decoder state, the stub pages and the patching.
 * Held across fork through entryhook_fork_*, which the caller's fork
 * handlers call in its own lock order (refhooks: scan lock first). */
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t install_owner;        /* the thread holding install_lock, or 0 */
static int fork_took_install;

static pid_t this_thread(void)
{
	return (pid_t)syscall(SYS_gettid);   /* off the recording path */
}

static void lock_install(void)
{
	pthread_mutex_lock(&install_lock);
	__atomic_store_n(&install_owner, this_thread(), __ATOMIC_RELAXED);
}

static void unlock_install(void)
{
	__atomic_store_n(&install_owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&install_lock);
}

/* A fork from a signal handler that interrupted this thread's install
 * must not wait for the lock the thread itself holds. */
void entryhook_fork_prepare(void)
{
	fork_took_install = __atomic_load_n(&install_owner, __ATOMIC_RELAXED) != this_thread();
	if (fork_took_install)
		lock_install();
}

void entryhook_fork_parent(void)
{
	if (fork_took_install)
		unlock_install();
}

void entryhook_fork_child(void)
{
	pthread_mutex_init(&install_lock, NULL);
	install_owner = 0;
}

/* ------------------------------------------------------------------ */
/* The decoder                                                          */

/* Loaded on the first install, under install_lock; never unloaded.  The
 * header we compile against is Zydis 4.0's, so only that soname's struct
 * layouts are known to match. */
static struct {
	int state;                        /* 0 not tried, 1 loaded, -1 missing */
	char missing[160];                /* why, when state is -1 */
	__typeof__(&ZydisDecoderInit) init;
	__typeof__(&ZydisDecoderDecodeFull) decode;
	__typeof__(&ZydisCalcAbsoluteAddress) absolute;
	ZydisDecoder decoder;
} zy;

static int decoder_load(char *why, size_t whysz)
{
	if (zy.state == 0) {
		void *lib = dlopen("libZydis.so.4.0", RTLD_NOW | RTLD_LOCAL);

		zy.state = -1;
		if (!lib) {
			const char *e = dlerror();
			snprintf(zy.missing, sizeof zy.missing,
				 "no decoder: %s (Debian package libzydis4.0)", e ? e : "dlopen failed");
		} else {
			zy.init = (__typeof__(zy.init))dlsym(lib, "ZydisDecoderInit");
			zy.decode = (__typeof__(zy.decode))dlsym(lib, "ZydisDecoderDecodeFull");
			zy.absolute = (__typeof__(zy.absolute))dlsym(lib, "ZydisCalcAbsoluteAddress");
			if (!zy.init || !zy.decode || !zy.absolute)
				snprintf(zy.missing, sizeof zy.missing,
					 "no decoder: libZydis.so.4.0 lacks a function");
			else if (!ZYAN_SUCCESS(zy.init(&zy.decoder, ZYDIS_MACHINE_MODE_LONG_64,
						       ZYDIS_STACK_WIDTH_64)))
				snprintf(zy.missing, sizeof zy.missing,
					 "no decoder: ZydisDecoderInit failed");
			else
				zy.state = 1;
		}
	}
	if (zy.state < 0)
		say(why, whysz, "%s", zy.missing);
	return zy.state > 0 ? 0 : -1;
}

struct insn {
	ZydisDecodedInstruction i;
	ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
};

/* Decodes one instruction from at most `avail` bytes at p. */
static int decode(const uint8_t *p, size_t avail, struct insn *d)
{
	if (avail > ZYDIS_MAX_INSTRUCTION_LENGTH)
		avail = ZYDIS_MAX_INSTRUCTION_LENGTH;
	return ZYAN_SUCCESS(zy.decode(&zy.decoder, p, avail, &d->i, d->op)) ? 0 : -1;
}

/* The target of a direct branch (jmp, jcc, call, loop, jrcxz, xbegin)
 * executed at ip: 1 and *target, or 0 when d is not one. */
static int branch_target(const struct insn *d, uintptr_t ip, uintptr_t *target)
{
	for (unsigned k = 0; k < d->i.operand_count; k++) {
		ZyanU64 t;

		if (d->op[k].type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !d->op[k].imm.is_relative)
			continue;
		if (!ZYAN_SUCCESS(zy.absolute(&d->i, &d->op[k], ip, &t)))
			return 0;
		*target = (uintptr_t)t;
		return 1;
	}
	return 0;
}

/* The address a RIP-relative memory operand of d refers to: 1 and *addr,
 * or 0 when d has none. */
static int riprel_address(const struct insn *d, uintptr_t ip, uintptr_t *addr)
{
	for (unsigned k = 0; k < d->i.operand_count; k++) {
		ZyanU64 t;

		if (d->op[k].type != ZYDIS_OPERAND_TYPE_MEMORY ||
		    d->op[k].mem.base != ZYDIS_REGISTER_RIP)
			continue;
		if (!ZYAN_SUCCESS(zy.absolute(&d->i, &d->op[k], ip, &t)))
			return 0;
		*addr = (uintptr_t)t;
		return 1;
	}
	return 0;
}

static int is_legacy(const struct insn *d, ZydisOpcodeMap map, uint8_t lo, uint8_t hi)
{
	return d->i.encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY && d->i.opcode_map == map &&
	       d->i.opcode >= lo && d->i.opcode <= hi;
}

/* ------------------------------------------------------------------ */
/* Stub pages: near fn, several hooks each                              */

/* Pages mapped so far, under install_lock.  Kept PROT_READ|PROT_EXEC;
 * made RWX (never losing X: other hooks on the page run meanwhile) only
 * while a slot is written. */
static struct {
	uint8_t *base;
	unsigned used;                    /* slots handed out, from the start */
} pages[MAX_PAGES];
static unsigned npages;
static size_t pagesz;

static uintptr_t distance(uintptr_t a, uintptr_t b) { return a > b ? a - b : b - a; }

static int page_reaches(uintptr_t base, uintptr_t fn)
{
	return distance(base, fn) < REACH && distance(base + pagesz, fn) < REACH;
}

/* Maps one page as close to fn as the address space allows, probing
 * below and above fn in PROBE_STEP strides with MAP_FIXED_NOREPLACE (no
 * /proc/self/maps: the kernel says EEXIST where something is mapped). */
static uint8_t *page_map_near(uintptr_t fn, char *why, size_t whysz)
{
	uintptr_t base = fn & ~(uintptr_t)(PROBE_STEP - 1);
	int open[2] = { 1, 1 };           /* below, above: not yet past a limit */
	int last_errno = 0;

	for (uintptr_t d = PROBE_STEP; d < REACH && (open[0] || open[1]); d += PROBE_STEP) {
		for (int dir = 0; dir < 2; dir++) {
			uintptr_t hint;
			void *p;

			if (!open[dir])
				continue;
			if (dir == 0 && d > base) {
				open[0] = 0;      /* would wrap below address 0 */
				continue;
			}
			hint = dir == 0 ? base - d : base + d;
			p = mmap((void *)hint, pagesz, PROT_READ | PROT_EXEC,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (p == MAP_FAILED) {
				/* EEXIST: taken, try further.  Anything else (EPERM
				 * below mmap_min_addr, ENOMEM past the top): this
				 * direction is done. */
				if (errno != EEXIST) {
					last_errno = errno;
					open[dir] = 0;
				}
				continue;
			}
			/* Kernels before 4.17 take the flag as a mere hint. */
			if ((uintptr_t)p != hint && !page_reaches((uintptr_t)p, fn)) {
				/* Cannot fail for a page just mapped; if it did, one
				 * page would be lost, nothing more. */
				(void)munmap(p, pagesz);
				continue;
			}
			return p;
		}
	}
	say(why, whysz, "no free page within 1 GiB of the function for its stub%s%s",
	    last_errno ? ": " : "", last_errno ? strerror(last_errno) : "");
	return NULL;
}

/* A free slot within reach of fn; *page says whose, for slot_return. */
static uint8_t *slot_take(uintptr_t fn, unsigned *page, char *why, size_t whysz)
{
	unsigned per_page = (unsigned)(pagesz / SLOT);
	unsigned i;

	for (i = 0; i < npages; i++)
		if (pages[i].used < per_page && page_reaches((uintptr_t)pages[i].base, fn))
			break;
	if (i == npages) {
		if (npages == MAX_PAGES) {
			say(why, whysz, "all %u stub pages are in use", MAX_PAGES);
			return NULL;
		}
		pages[i].base = page_map_near(fn, why, whysz);
		if (!pages[i].base)
			return NULL;
		pages[i].used = 0;
		npages++;
	}
	*page = i;
	return pages[i].base + (size_t)pages[i].used++ * SLOT;
}

/* Gives back the slot slot_take handed out last (install failed after it). */
static void slot_return(unsigned page) { pages[page].used--; }

/* Writes a slot's bytes; the page is executable throughout. */
static int slot_write(unsigned page, uint8_t *slot, const uint8_t *bytes, char *why,
		      size_t whysz)
{
	uint8_t *base = pages[page].base;

	if (mprotect(base, pagesz, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
		say(why, whysz, "mprotect of the stub page: %s", strerror(errno));
		return -1;
	}
	memcpy(slot, bytes, SLOT);
	__builtin___clear_cache((char *)slot, (char *)slot + SLOT);
	/* Failing to drop W leaves the page writable, not broken: go on. */
	(void)mprotect(base, pagesz, PROT_READ | PROT_EXEC);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The plan                                                             */

struct plan {
	unsigned len;      /* bytes the jmp overwrites, whole instructions (>= 5) */
	unsigned moved;    /* of which relocated into the trampoline */
	unsigned count;    /* instructions relocated */
	int ends;          /* the last one relocated is a ret/jmp: no jump back */
};

static int is_terminator(const struct insn *d)
{
	return d->i.mnemonic == ZYDIS_MNEMONIC_RET || d->i.mnemonic == ZYDIS_MNEMONIC_JMP;
}

/* Relative operands the trampoline can express: jmp/jcc/call with rel8 or
 * rel32, which become their rel32 forms. */
static int branch_relocatable(const struct insn *d)
{
	return is_legacy(d, ZYDIS_OPCODE_MAP_DEFAULT, 0x70, 0x7f) ||   /* jcc rel8 */
	       is_legacy(d, ZYDIS_OPCODE_MAP_0F, 0x80, 0x8f) ||        /* jcc rel32 */
	       is_legacy(d, ZYDIS_OPCODE_MAP_DEFAULT, 0xe8, 0xe9) ||   /* call, jmp rel32 */
	       is_legacy(d, ZYDIS_OPCODE_MAP_DEFAULT, 0xeb, 0xeb);     /* jmp rel8 */
}

/* A ret/jmp ended the code at fn + end < fn + 5: the rest up to 5 must be
 * int3/nop padding inside the symbol, never executed, ours to overwrite. */
static int plan_padding(const uint8_t *fn, size_t size, struct plan *pl, char *why,
			size_t whysz)
{
	unsigned off = pl->len;

	if (size == 0) {
		say(why, whysz, "a %u-byte function of unknown size (the bytes after it may be "
			"the next function)", off);
		return -1;
	}
	while (off < JMP_LEN) {
		struct insn d;

		if (off >= size || decode(fn + off, size - off, &d) != 0 ||
		    (d.i.mnemonic != ZYDIS_MNEMONIC_INT3 && d.i.mnemonic != ZYDIS_MNEMONIC_NOP)) {
			say(why, whysz, "a %u-byte function not followed by padding inside its "
				"%zu bytes", pl->len, size);
			return -1;
		}
		off += d.i.length;
	}
	pl->len = off;
	return 0;
}

/* Decodes whole instructions from fn until 5 bytes are covered. */
static int plan_prologue(const uint8_t *fn, size_t size, struct plan *pl, char *why,
			 size_t whysz)
{
	memset(pl, 0, sizeof *pl);
	if (size != 0 && size < JMP_LEN) {
		say(why, whysz, "the function is %zu byte%s, shorter than the 5-byte jmp", size,
		    size == 1 ? "" : "s");
		return -1;
	}
	while (pl->len < JMP_LEN) {
		struct insn d;
		uintptr_t t;

		if (decode(fn + pl->len, size ? size - pl->len : ZYDIS_MAX_INSTRUCTION_LENGTH,
			   &d) != 0) {
			say(why, whysz, "cannot decode the instruction at +%#x", pl->len);
			return -1;
		}
		if (branch_target(&d, (uintptr_t)fn + pl->len, &t) && !branch_relocatable(&d)) {
			say(why, whysz, "cannot relocate the branch at +%#x (loop/jrcxz/xbegin)",
			    pl->len);
			return -1;
		}
		if ((d.i.attributes & ZYDIS_ATTRIB_IS_RELATIVE) &&
		    !branch_target(&d, (uintptr_t)fn + pl->len, &t) &&
		    !riprel_address(&d, (uintptr_t)fn + pl->len, &t)) {
			say(why, whysz, "cannot relocate the relative instruction at +%#x", pl->len);
			return -1;
		}
		pl->len += d.i.length;
		pl->count++;
		if (is_terminator(&d)) {
			pl->ends = 1;
			break;
		}
	}
	pl->moved = pl->len;
	if (pl->len < JMP_LEN)
		return plan_padding(fn, size, pl, why, whysz);
	return 0;
}

/* Every direct branch in fn (only the patched instructions when size is
 * unknown) must land outside (fn, fn + len): a jump into the middle of the
 * jmp would execute garbage.  A jmp/jcc to fn itself is a loop (or a self
 * tail call) that would pass through the hook again on each turn. */
static int plan_check_body(const uint8_t *fn, size_t size, const struct plan *pl, char *why,
			   size_t whysz)
{
	uintptr_t lo = (uintptr_t)fn, hi = lo + pl->len;
	size_t end = size ? size : pl->moved;

	for (size_t off = 0; off < end;) {
		struct insn d;
		uintptr_t t;

		if (decode(fn + off, end - off, &d) != 0) {
			say(why, whysz, "cannot decode the function's body at +%#zx", off);
			return -1;
		}
		if (branch_target(&d, lo + off, &t)) {
			if (t > lo && t < hi) {
				say(why, whysz, "a branch at +%#zx jumps to +%#zx, into the patched "
					"bytes", off, (size_t)(t - lo));
				return -1;
			}
			if (t == lo && d.i.mnemonic != ZYDIS_MNEMONIC_CALL) {
				say(why, whysz, "a jump at +%#zx goes back to the entry (a loop "
					"would pass through the hook)", off);
				return -1;
			}
		}
		if (riprel_address(&d, lo + off, &t) && t > lo && t < hi) {
			say(why, whysz, "the instruction at +%#zx takes the address +%#zx, inside "
				"the patched bytes", off, (size_t)(t - lo));
			return -1;
		}
		off += d.i.length;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The trampoline                                                       */

struct emit {
	uint8_t *buf;       /* the slot's bytes, built in memory */
	uintptr_t at;       /* run-time address of buf[0] */
	unsigned pos, max;
};

static int put(struct emit *e, const void *p, unsigned n)
{
	if (e->pos + n > e->max)
		return -1;
	memcpy(e->buf + e->pos, p, n);
	e->pos += n;
	return 0;
}

static int fits32(intptr_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

/* An instruction of `n` bytes ending in a rel32 to `target`, at the
 * current position.  -1 when the target is out of reach. */
static int put_rel32(struct emit *e, const uint8_t *op, unsigned n, uintptr_t target)
{
	uint8_t b[6];
	intptr_t rel = (intptr_t)(target - (e->at + e->pos + n + 4));
	int32_t r32 = (int32_t)rel;

	if (!fits32(rel) || n > 2)
		return -1;
	memcpy(b, op, n);
	memcpy(b + n, &r32, 4);
	return put(e, b, n + 4);
}

/* jmp to target: rel32 when in reach, else through memory (14 bytes);
 * neither touches a register or the flags. */
static int put_jmp(struct emit *e, uintptr_t target)
{
	static const uint8_t e9 = 0xe9, ff25[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	uint64_t abs = target;

	if (put_rel32(e, &e9, 1, target) == 0)
		return 0;
	return put(e, ff25, sizeof ff25) || put(e, &abs, sizeof abs) ? -1 : 0;
}

/* Copies the instruction at ip into the trampoline, fixing what depends on
 * where it runs. */
static int put_moved(struct emit *e, const struct insn *d, uintptr_t ip, char *why,
		     size_t whysz, unsigned off)
{
	uintptr_t t;

	if (branch_target(d, ip, &t)) {
		uint8_t op[2];
		unsigned n;

		if (d->i.opcode_map == ZYDIS_OPCODE_MAP_0F || d->i.opcode < 0x80) {
			op[0] = 0x0f, op[1] = (uint8_t)(0x80 | (d->i.opcode & 0x0f)), n = 2;
		} else {
			op[0] = d->i.opcode == 0xe8 ? 0xe8 : 0xe9, n = 1;   /* eb -> e9 */
		}
		if (put_rel32(e, op, n, t) != 0) {
			say(why, whysz, "the branch at +%#x cannot reach its target from the "
				"trampoline", off);
			return -1;
		}
		return 0;
	}
	if (riprel_address(d, ip, &t)) {
		uint8_t b[ZYDIS_MAX_INSTRUCTION_LENGTH];
		intptr_t disp = (intptr_t)(t - (e->at + e->pos + d->i.length));
		int32_t d32 = (int32_t)disp;

		if (d->i.raw.disp.size != 32 || !fits32(disp)) {
			say(why, whysz, "the RIP-relative operand at +%#x is out of reach of the "
				"trampoline", off);
			return -1;
		}
		memcpy(b, (const void *)ip, d->i.length);
		memcpy(b + d->i.raw.disp.offset, &d32, 4);
		return put(e, b, d->i.length);
	}
	return put(e, (const void *)ip, d->i.length);
}

/* The slot's bytes: the stub (jmp *dest), then the relocated
 * instructions and the jump back to fn + len. */
static int build_slot(uint8_t *bytes, uintptr_t slot, const uint8_t *fn, void *dest,
		      const struct plan *pl, char *why, size_t whysz)
{
	static const uint8_t ff25[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	uint64_t d64 = (uint64_t)(uintptr_t)dest;
	struct emit e = { bytes + STUB_LEN, slot + STUB_LEN, 0, TRAMP_MAX };

	memset(bytes, 0xcc, SLOT);
	memcpy(bytes, ff25, sizeof ff25);
	memcpy(bytes + sizeof ff25, &d64, sizeof d64);
	for (unsigned off = 0; off < pl->moved;) {
		struct insn d;

		if (decode(fn + off, pl->moved - off, &d) != 0 ||
		    put_moved(&e, &d, (uintptr_t)fn + off, why, whysz, off) != 0) {
			if (why && whysz && !why[0])
				say(why, whysz, "the relocated prologue does not fit its slot");
			return -1;
		}
		off += d.i.length;
	}
	if (!pl->ends && put_jmp(&e, (uintptr_t)fn + pl->len) != 0) {
		say(why, whysz, "the relocated prologue does not fit its slot");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The patch                                                            */

/* Writes jmp rel32 at fn.  Its 5 bytes go in one atomic 8-byte store when
 * they lie in one aligned word (x86 stores aligned 8 bytes atomically), so
 * a thread entering fn meanwhile runs the old or the new instruction. */
static int patch_entry(uint8_t *fn, uintptr_t stub, int *atomic, char *why, size_t whysz)
{
	uintptr_t a = (uintptr_t)fn;
	int32_t rel = (int32_t)(intptr_t)(stub - (a + JMP_LEN));
	uint8_t jmp[JMP_LEN] = { 0xe9 };
	uintptr_t lo, hi, plo, phi;

	memcpy(jmp + 1, &rel, 4);
	*atomic = (a & 7) <= 8 - JMP_LEN;
	lo = *atomic ? a & ~(uintptr_t)7 : a;
	hi = *atomic ? lo + 8 : a + JMP_LEN;
	plo = lo & ~(pagesz - 1);
	phi = (hi + pagesz - 1) & ~(pagesz - 1);
	if (mprotect((void *)plo, phi - plo, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
		int err = errno;

		(void)mprotect((void *)plo, phi - plo, PROT_READ | PROT_EXEC);
		say(why, whysz, "mprotect of the function's page: %s", strerror(err));
		return -1;
	}
	if (*atomic) {
		uint64_t *word = (uint64_t *)lo;
		uint64_t v = __atomic_load_n(word, __ATOMIC_RELAXED);

		memcpy((uint8_t *)&v + (a - lo), jmp, JMP_LEN);
		__atomic_store_n(word, v, __ATOMIC_SEQ_CST);
	} else {
		memcpy(fn, jmp, JMP_LEN);
	}
	__builtin___clear_cache((char *)lo, (char *)hi);
	/* Text pages are r-x; a failure here leaves the page writable, with
	 * the hook in place: not worth undoing the hook for. */
	(void)mprotect((void *)plo, phi - plo, PROT_READ | PROT_EXEC);
	return 0;
}

/* ------------------------------------------------------------------ */

static int install_locked(uint8_t *fn, size_t size, void *dest, void **original, char *why,
			  size_t whysz)
{
	struct plan pl;
	uint8_t bytes[SLOT], *slot;
	unsigned page;
	void *before;
	int atomic;

	if (decoder_load(why, whysz) != 0 || plan_prologue(fn, size, &pl, why, whysz) != 0 ||
	    plan_check_body(fn, size, &pl, why, whysz) != 0)
		return -1;
	slot = slot_take((uintptr_t)fn, &page, why, whysz);
	if (!slot)
		return -1;
	if (distance((uintptr_t)slot, (uintptr_t)fn) >= (1ul << 31) - SLOT ||
	    build_slot(bytes, (uintptr_t)slot, fn, dest, &pl, why, whysz) != 0 ||
	    slot_write(page, slot, bytes, why, whysz) != 0) {
		if (why && whysz && !why[0])
			say(why, whysz, "the stub is out of reach of the function");
		slot_return(page);
		return -1;
	}
	/* *original is published before the jmp: a call arriving at once
	 * already finds the original through it. */
	before = __atomic_load_n(original, __ATOMIC_RELAXED);
	__atomic_store_n(original, (void *)(slot + STUB_LEN), __ATOMIC_RELEASE);
	if (patch_entry(fn, (uintptr_t)slot, &atomic, why, whysz) != 0) {
		__atomic_store_n(original, before, __ATOMIC_RELAXED);
		slot_return(page);
		return -1;
	}
	say(why, whysz, "patched %u bytes (%u instruction%s%s), %s write", pl.len, pl.count,
	    pl.count == 1 ? "" : "s", pl.moved < pl.len ? " and padding" : "",
	    atomic ? "atomic" : "plain");
	return 0;
}

int entryhook_install(void *fn, size_t size, void *dest, void **original, char *why,
		      size_t whysz)
{
	int rc;

	if (why && whysz)
		why[0] = '\0';
	if (!fn || !dest || !original) {
		say(why, whysz, "no function, destination or place for the original");
		return -1;
	}
	lock_install();
	if (!pagesz) {
		long p = sysconf(_SC_PAGESIZE);
		pagesz = p > 0 ? (size_t)p : 4096;
	}
	rc = install_locked(fn, size, dest, original, why, whysz);
	unlock_install();
	return rc;
}

#endif
