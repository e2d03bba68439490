/*
 * modules — the module table, rebuilt from dl_iterate_phdr().
 */
#include "modules.h"
#include "forkwalk.h"
#include "procinfo.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <string.h>

/* Serialises rescans (dlopen from two threads); never taken while
 * recording an event. */
static pthread_mutex_t rescan_lock = PTHREAD_MUTEX_INITIALIZER;

/* Set while this thread holds rescan_lock. */
static __attribute__((tls_model("initial-exec"))) __thread int holding_lock;

void modules_lock(void) { pthread_mutex_lock(&rescan_lock); holding_lock = 1; }
void modules_unlock(void) { holding_lock = 0; pthread_mutex_unlock(&rescan_lock); }
int modules_lock_unless_held(void)
{
	if (holding_lock)
		return 0;   /* a signal handler interrupted this thread's rescan */
	modules_lock();
	return 1;
}
void modules_reset_lock_in_child(int fork_took_it)
{
	if (fork_took_it)
		holding_lock = 0;   /* the fork's prepare took it: not a rescan's */
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	rescan_lock = fresh;
	/* The forking thread may be inside its own rescan (fork from a signal
	 * handler): it will unlock when it resumes, so it must hold the lock. */
	if (holding_lock)
		pthread_mutex_lock(&rescan_lock);
}

unsigned modules_build_id(const void *note, size_t size, uint8_t *out, unsigned max)
{
	const uint8_t *p = note, *end = p + size;

	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
		size_t name = (nh->n_namesz + 3) & ~3u, desc = (nh->n_descsz + 3) & ~3u;
		const uint8_t *n = p + sizeof(*nh);

		if (n + name + desc > end)
			break;
		if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
		    memcmp(n, "GNU", 4) == 0) {
			unsigned len = nh->n_descsz < max ? nh->n_descsz : max;
			memcpy(out, n + name, len);
			return len;
		}
		p = n + name + desc;
	}
	return 0;
}


struct scan {
	struct tally_log *log;
	uint32_t generation;          /* the generation being built */
	uint8_t *present;             /* present[i]: entry i still mapped */
	int changed;
};

void modules_describe(struct dl_phdr_info *info, struct tally_module *m)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	memset(m, 0, sizeof(*m));
	m->bias = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD) {
			if (a < lo)
				lo = a;
			if (a + ph->p_memsz > hi)
				hi = a + ph->p_memsz;
		} else if (ph->p_type == PT_NOTE && !m->build_id_len) {
			m->build_id_len = modules_build_id((const void *)a, ph->p_memsz,
			                                   m->build_id, TALLY_BUILD_ID_MAX);
		}
	}
	m->lo = lo == UINTPTR_MAX ? 0 : lo;
	m->hi = hi;
	if (info->dlpi_name && info->dlpi_name[0])
		strncpy(m->path, info->dlpi_name, sizeof(m->path) - 1);
	else
		procinfo_exe(m->path, sizeof(m->path));   /* the main program */
}

static int scan_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct scan *sc = data;
	struct tally_header *hdr = sc->log->hdr;
	struct tally_module m;
	uint32_t used = hdr->modules_used;

	(void)size;
	modules_describe(info, &m);
	if (m.hi == 0)
		return 0;
	/* A module opened by a relative name ("./libplug.so") is recorded
	 * under the path of its file as mapped, so that the analyzer finds it
	 * from any directory; a later scan knows it by its addresses (the
	 * file may be gone or replaced since). */
	int relative = m.path[0] != '/' && strchr(m.path, '/') != NULL;
	for (uint32_t i = 0; i < used && i < hdr->max_modules; i++) {
		struct tally_module *e = &sc->log->modules[i];
		if (e->committed && !e->gen_unloaded && e->lo == m.lo && e->bias == m.bias &&
		    (relative || strcmp(e->path, m.path) == 0)) {
			sc->present[i] = 1;
			return 0;
		}
	}
	if (relative) {
		char mapped[sizeof(m.path)];
		if (procinfo_mapped_path(m.lo, mapped, sizeof(mapped)) == 0)
			memcpy(m.path, mapped, sizeof(m.path));
	}
	if (used >= hdr->max_modules) {
		__atomic_fetch_add(&hdr->dropped[TALLY_DROP_MODULE_FULL], 1, __ATOMIC_RELAXED);
		return 0;
	}
	m.gen_loaded = sc->generation;
	sc->log->modules[used] = m;
	__atomic_store_n(&sc->log->modules[used].committed, 1, __ATOMIC_RELEASE);
	sc->present[used] = 1;
	__atomic_store_n(&hdr->modules_used, used + 1, __ATOMIC_RELEASE);
	sc->changed = 1;
	return 0;
}

/* Only touched under rescan_lock. */
static uint8_t present[65536];

static int rescan_locked(struct tally_log *log)
{
	struct scan sc = { log, 0, present, 0 };
	struct tally_header *hdr = log->hdr;

	sc.generation = hdr->module_generation + 1;
	memset(present, 0, sizeof(present));
	dl_iterate_phdr(scan_cb, &sc);
	for (uint32_t i = 0; i < hdr->modules_used && i < hdr->max_modules; i++) {
		struct tally_module *e = &log->modules[i];
		if (e->committed && !e->gen_unloaded && !present[i]) {
			e->gen_unloaded = sc.generation;
			sc.changed = 1;
		}
	}
	if (sc.changed)
		__atomic_store_n(&hdr->module_generation, sc.generation, __ATOMIC_RELEASE);
	return sc.changed;
}

/* forkwalk.h: defined here, with the module walks it stops, so that
 * every binary linking the module code has it. */
int loader_child_unsafe;

int modules_rescan(struct tally_log *log)
{
	int changed;

	if (!log->hdr || loader_child_unsafe)   /* forkwalk.h */
		return 0;
	modules_lock();
	changed = rescan_locked(log);
	modules_unlock();
	return changed;
}

int modules_try_rescan(struct tally_log *log)
{
	int changed;

	if (!log->hdr || loader_child_unsafe || holding_lock || pthread_mutex_trylock(&rescan_lock) != 0)
		return 0;
	holding_lock = 1;
	changed = rescan_locked(log);
	modules_unlock();
	return changed;
}

int modules_cover(struct tally_log *log, const uint64_t *frames, unsigned n)
{
	uint32_t used = __atomic_load_n(&log->hdr->modules_used, __ATOMIC_ACQUIRE);

	if (used > log->hdr->max_modules)
		used = log->hdr->max_modules;
	for (unsigned f = 0; f < n; f++) {
		uint32_t i;
		for (i = 0; i < used; i++) {
			const struct tally_module *m = &log->modules[i];
			if (!m->gen_unloaded && frames[f] >= m->lo && frames[f] < m->hi)
				break;
		}
		if (i == used)
			return 0;
	}
	return 1;
}
