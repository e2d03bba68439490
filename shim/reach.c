/*
 * reach — live objects still reachable from a global at exit (reach.h).
 *
 * A depth-first walk: the roots are scanned word by word; a word that
 * points at a live object marks it, and the object's block or a malloc
 * chunk it points at is pushed, once (a set of the blocks seen), onto a
 * stack of blocks still to read.  The work space is one anonymous mapping,
 * dropped at the end; nothing is allocated from the program's heap, which
 * is what is being read.
 */
#include "reach.h"
#include "books.h"
#include "gtype.h"
#include "guard.h"
#include "memcheck.h"
#include "procinfo.h"
#include "unwind.h"

#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* Anonymous writable mappings (heap arenas, mmapped chunks, thread
 * stacks) the walk may follow a pointer into. */
#define REACH_MAX_MAPS 16384u
/* Root segments larger than this are not scanned (none is, in practice). */
#define REACH_ROOT_MAX (256u << 20)
/* A malloc chunk larger than this is no chunk: a size field read from
 * memory that only looked like a header. */
#define REACH_CHUNK_MAX (1ul << 36)
/* Root segments remembered under dl_iterate_phdr, read after it returned. */
#define REACH_MAX_ROOTS 8192u
/* The walk's time budget: beyond it, nothing more is followed (cut). */
#define REACH_MAX_NS (1000000000ll)

struct span {
	uintptr_t lo, hi;
};

struct reach {
	struct tally_log *log;
	struct span *maps;           /* sorted, disjoint */
	unsigned nmaps;
	uintptr_t *seen;             /* open addressing, 2 * REACH_MAX_BLOCKS */
	size_t nseen;
	struct span *todo;           /* blocks still to read */
	size_t ntodo;
	size_t bytes_left;
	long blocks_read;
	int follow;                  /* 0: mark what the roots point at, only */
	int cut;                     /* a block was not followed: limits */
	struct gtype_api gtype;
	uintptr_t self_lo, self_hi;  /* the shim's own module */
	uintptr_t work_lo, work_hi;  /* the work space */
	struct span *roots;          /* writable segments, REACH_MAX_ROOTS */
	unsigned nroots;
	long long deadline_ns;
	int out_of_time;             /* nothing more is pushed */
};

#define SEEN_SLOTS (2u * REACH_MAX_BLOCKS)

/* ---- the work space --------------------------------------------------- */

static size_t work_size(void)
{
	return SEEN_SLOTS * sizeof(uintptr_t) + REACH_MAX_BLOCKS * sizeof(struct span) +
	       REACH_MAX_MAPS * sizeof(struct span) + REACH_MAX_ROOTS * sizeof(struct span);
}

static int work_map(struct reach *r)
{
	void *p = mmap(NULL, work_size(), PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	r->seen = p;
	r->todo = (struct span *)(r->seen + SEEN_SLOTS);
	r->maps = r->todo + REACH_MAX_BLOCKS;
	r->roots = r->maps + REACH_MAX_MAPS;
	r->work_lo = (uintptr_t)p;
	r->work_hi = r->work_lo + work_size();
	return 0;
}

/* Inserts a block's start; 0 when it was seen already or the set is full. */
static int seen_insert(struct reach *r, uintptr_t addr)
{
	if (r->nseen >= REACH_MAX_BLOCKS) {
		r->cut = 1;
		return 0;
	}
	size_t i = (size_t)((addr >> 4) * 0x9e3779b97f4a7c15ull) & (SEEN_SLOTS - 1);
	while (r->seen[i]) {
		if (r->seen[i] == addr)
			return 0;
		i = (i + 1) & (SEEN_SLOTS - 1);
	}
	r->seen[i] = addr;
	r->nseen++;
	return 1;
}

/* 1 when the table is full: the rest are not followed into. */
static int add_map(struct reach *r, uintptr_t lo, uintptr_t hi)
{
	if (r->nmaps == REACH_MAX_MAPS) {
		r->cut = 1;
		return 1;
	}
	r->maps[r->nmaps++] = (struct span){ lo, hi };
	return 0;
}

static int collect_map(const struct procinfo_mapping *m, void *arg)
{
	struct reach *r = arg;
	int anonymous = m->name_len == 0 ||
	                (m->name_len == 6 && memcmp(m->name, "[heap]", 6) == 0);

	if (strcmp(m->perms, "rw-p") != 0 || !anonymous || m->lo >= m->hi)
		return 0;
	/* Registered with userfaultfd (missing, write-protect or minor
	 * faults): a read may wait for a handler that never answers. */
	for (size_t i = 0; i + 3 <= m->vmflags_len; i += 3)
		if (m->vmflags[i + 1] == 'u' &&
		    (m->vmflags[i + 2] == 'm' || m->vmflags[i + 2] == 'w' || m->vmflags[i + 2] == 'i'))
			return 0;
	/* The walk's own work space is left out; the kernel may have merged
	 * it with a neighbouring anonymous mapping (a thread's arena), whose
	 * part stays in. */
	if (m->lo < r->work_hi && m->hi > r->work_lo) {
		if (m->lo < r->work_lo && add_map(r, m->lo, r->work_lo))
			return 1;
		return r->work_hi < m->hi && add_map(r, r->work_hi, m->hi);
	}
	return add_map(r, m->lo, m->hi);
}

static const struct span *map_of(const struct reach *r, uintptr_t addr)
{
	unsigned lo = 0, hi = r->nmaps;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (addr < r->maps[mid].lo)
			hi = mid;
		else if (addr >= r->maps[mid].hi)
			lo = mid + 1;
		else
			return &r->maps[mid];
	}
	return NULL;
}

/* ---- blocks ------------------------------------------------------------- */

/* When mem is the start of a glibc malloc chunk in use inside mapping m:
 * sets *end to the end of its usable bytes; 1.  glibc's chunk header, two
 * words before mem: the previous chunk's size (when that one is free, or
 * an mmapped chunk's offset in its mapping), then this chunk's size with
 * three flags: PREV_INUSE 1, IS_MMAPPED 2, NON_MAIN_ARENA 4. */
static int chunk_extent(const struct span *m, uintptr_t mem, uintptr_t *end)
{
	uintptr_t chunk = mem - 16;

	if ((mem & 15) || mem < m->lo + 16)
		return 0;
	uint64_t head = *(const volatile uint64_t *)(mem - 8);
	uint64_t size = head & ~(uint64_t)7;
	if (size < 32 || (size & 15) || size > REACH_CHUNK_MAX || size > m->hi - chunk)
		return 0;
	if (head & 2) {
		/* Mmapped on its own: it and its offset fill whole pages. */
		uint64_t offset = *(const volatile uint64_t *)chunk;
		if (offset > chunk - m->lo || ((chunk - offset) & 4095) || ((offset + size) & 4095))
			return 0;
		*end = chunk + size;
		return 1;
	}
	if (size + 16 > m->hi - chunk)
		return 0;   /* no room for the next chunk's header */
	uint64_t next = *(const volatile uint64_t *)(chunk + size + 8);
	uint64_t next_size = next & ~(uint64_t)7;
	/* (NON_MAIN_ARENA is not compared: glibc leaves it off a thread
	 * arena's top chunk and free chunks.) */
	if (!(next & 1) || (next & 2) || next_size < 16 || next_size > m->hi - (chunk + size))
		return 0;
	*end = chunk + size + 8;   /* the next chunk's first word is this one's */
	return 1;
}

static void push(struct reach *r, uintptr_t lo, uintptr_t hi)
{
	if (hi <= lo)
		return;
	if (hi - lo > r->bytes_left || r->ntodo == REACH_MAX_BLOCKS || r->out_of_time) {
		r->cut = 1;
		return;
	}
	r->bytes_left -= hi - lo;
	r->todo[r->ntodo++] = (struct span){ lo, hi };
}

/* A live object's block: its malloc chunk, its GObject extent, or a
 * window, inside one mapping the walk may read. */
static void follow_object(struct reach *r, uintptr_t addr)
{
	const struct span *m = map_of(r, addr);
	uintptr_t lo, hi;

	if (!m || !seen_insert(r, addr))
		return;
	if (chunk_extent(m, addr, &hi)) {
		push(r, addr, hi);
		return;
	}
	gtype_api_lookup(&r->gtype);
	if (gtype_object_extent(&r->gtype, addr, &lo, &hi)) {
		if (lo >= m->lo && hi <= m->hi)
			push(r, lo, hi);
		return;
	}
	hi = m->hi - addr > REACH_OBJECT_WINDOW ? addr + REACH_OBJECT_WINDOW : m->hi;
	/* The window stops at the next object of the books: a slab packs
	 * objects of one size, and a neighbour's pointers are not this one's. */
	for (uintptr_t next = addr + 8; next < hi; next += 8)
		if (books_find(r->log, next) >= 0) {
			hi = next;
			break;
		}
	push(r, addr, hi);
}

static void follow_chunk(struct reach *r, uintptr_t addr)
{
	const struct span *m = map_of(r, addr);
	uintptr_t end;

	if (m && chunk_extent(m, addr, &end) && seen_insert(r, addr))
		push(r, addr, end);
}

static void reach_word(struct reach *r, uint64_t word)
{
	if (word < 4096 || (word & 7))
		return;
	int slot = books_find(r->log, word);
	if (slot >= 0 &&
	    __atomic_load_n(&r->log->objects[slot].state, __ATOMIC_ACQUIRE) == TALLY_OBJ_LIVE) {
		__atomic_fetch_or(&r->log->objects[slot].flags, TALLY_OBJF_GLOBAL,
		                  __ATOMIC_RELAXED);
		if (r->follow)
			follow_object(r, word);
		return;
	}
	if (r->follow && (word & 15) == 0 && word >= r->maps[0].lo)
		follow_chunk(r, word);
}

/* Reads one block.  A fault (another thread unmapped it meanwhile) skips
 * the rest of it.  The caller's landing place is kept. */
static void read_block(struct reach *r, uintptr_t lo, uintptr_t hi)
{
	volatile uintptr_t a = lo;
	sigjmp_buf outer;

	memcpy(outer, guard_env, sizeof(outer));
	if (!sigsetjmp(guard_env, 0)) {
		for (; a + 8 <= hi; a += 8)
			reach_word(r, *(const volatile uint64_t *)a);
		r->blocks_read++;
	}
	memcpy(guard_env, outer, sizeof(outer));
}

/* The walking thread's CPU time: a loaded machine does not cut the walk
 * (and turn what it would reach into leaks) where an idle one does not. */
static long long now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void drain(struct reach *r)
{
	while (r->ntodo) {
		if ((r->blocks_read & 1023) == 0 && now_ns() > r->deadline_ns) {
			r->out_of_time = 1;   /* what is left is not followed */
			r->cut = 1;
			r->ntodo = 0;
			return;
		}
		if (guard_lost() && guard_arm() != 0) {
			r->follow = 0;   /* no guard: nothing more is read */
			r->cut = 1;
			r->ntodo = 0;
			return;
		}
		struct span b = r->todo[--r->ntodo];
		read_block(r, b.lo, b.hi);
	}
}

/* ---- the roots ---------------------------------------------------------- */

static void read_root(struct reach *r, uintptr_t lo, uintptr_t hi)
{
	volatile uintptr_t a = lo;

	/* A page checked readable may still fault (unmapped since): on to the
	 * next one.  Only with the guard armed (r->follow) can it land here. */
	if (sigsetjmp(guard_env, 0))
		a = (a | 4095) + 1;
	for (; a < hi; a += 8) {
		/* Each page checked before it is read: a program may have
		 * unmapped or protected part of its own data. */
		if (a == lo || (a & 4095) == 0) {
			uintptr_t page_end = (a | 4095) + 1;
			if (r->follow && guard_lost() && guard_arm() != 0) {
				r->follow = 0;   /* the program's handlers are back */
				r->cut = 1;
				if (r->roots && r->nroots)
					return;   /* outside the loader lock: no unguarded read */
			}
			if (!memcheck_word(a)) {
				a = page_end - 8;
				continue;
			}
		}
		reach_word(r, *(const volatile uint64_t *)a);
		drain(r);
	}
}

static int scan_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct reach *r = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || !ph->p_memsz ||
		    ph->p_memsz > REACH_ROOT_MAX)
			continue;
		uintptr_t lo = (info->dlpi_addr + ph->p_vaddr + 7) & ~(uintptr_t)7;
		uintptr_t hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(uintptr_t)7;
		if (lo >= r->self_lo && lo < r->self_hi)
			return 0;   /* the shim's own data */
		/* Read after dl_iterate_phdr returns: its callback runs under
		 * the loader's dl_load_write_lock, and the walk may call dlsym
		 * and GLib (dl_load_lock, GLib's type lock): a thread in
		 * dlopen holds dl_load_lock and waits for the write lock. */
		if (!r->follow)
			read_root(r, lo, hi);   /* roots only: no dlsym, no GLib, and
			                         * no guard: the lock keeps it mapped */
		else if (r->nroots < REACH_MAX_ROOTS)
			r->roots[r->nroots++] = (struct span){ lo, hi };
		else
			r->cut = 1;
	}
	return 0;
}

long reach_mark_global(struct tally_log *log, uint64_t max_bytes, int ask_glib)
{
	struct reach r;

	if (!log->hdr || !__atomic_load_n(&log->hdr->objects_live, __ATOMIC_RELAXED))
		return 0;
	memset(&r, 0, sizeof(r));
	r.log = log;
	r.bytes_left = max_bytes;
	r.gtype.looked_up = !ask_glib;   /* looked up as "none": no dlsym, no GLib */
	unwind_self_range(&r.self_lo, &r.self_hi);
	memcheck_forget();   /* threads may have unmapped memory since */
	int mapped = max_bytes && work_map(&r) == 0;
	/* smaps (slow on a large process: the kernel counts every mapping's
	 * pages) only when userfaultfd is in use, for its VmFlags. */
	if (mapped && (procinfo_has_userfaultfd() ? procinfo_each_mapping_flags(collect_map, &r)
	                                          : procinfo_each_mapping(collect_map, &r)) >= 0 &&
	    r.nmaps) {
		gtype_api_lookup(&r.gtype);   /* dlsym: not under the loader's lock */
		r.follow = guard_arm() == 0;
	}
	r.deadline_ns = now_ns() + REACH_MAX_NS;
	dl_iterate_phdr(scan_module, &r);
	/* A module unloaded since its segment was noted: memcheck and the
	 * guard skip its pages. */
	for (unsigned i = 0; i < r.nroots; i++) {
		if (!r.follow) {
			r.cut = 1;   /* the guard is gone: no unguarded read outside the lock */
			break;
		}
		read_root(&r, r.roots[i].lo, r.roots[i].hi);
	}
	if (r.follow)
		guard_disarm();
	if (mapped)
		munmap(r.seen, work_size());
	log->hdr->reach_blocks = (uint64_t)r.blocks_read;
	log->hdr->reach_flags = TALLY_REACHF_RAN | (r.cut ? TALLY_REACHF_CUT : 0) |
	                        (r.follow ? 0 : TALLY_REACHF_ROOTS_ONLY) |
	                        (max_bytes ? 0 : TALLY_REACHF_OFF);
	return r.follow ? r.blocks_read : -1;
}
