/*
 * hooks_dlopen — applying the rules to modules loaded with dlopen, without
 * changing what dlopen loads.
 *
 * glibc's dlopen looks at its caller (its return address): the caller's
 * namespace, its DT_RPATH/DT_RUNPATH and its $ORIGIN decide which file a
 * name means.  A C wrapper would become that caller.  So dlopen is entered
 * in assembly, which asks dlopen_wrap_ok() whether the caller could make a
 * difference for this call:
 *   - no: dlopen_wrapped() calls the real dlopen and then hooks the new
 *     modules before returning them to the program;
 *   - a bare name while some module has an RPATH or RUNPATH: the caller's
 *     own search path (dlinfo RTLD_DI_SERINFO of the caller) is walked as
 *     the loader would (a name a loaded module may answer to is left to
 *     glibc: it matches loaded names first), and the file found in its RPATH,
 *     LD_LIBRARY_PATH or RUNPATH directories is loaded by its path,
 *     wrapped; when none of them has it, the rest of the search (cache,
 *     default directories) does not depend on the caller and the bare name
 *     is wrapped as is; a directory with hardware-capability
 *     subdirectories, or a file there glibc would fail on, is left to it;
 *   - yes (a $ in the name, a caller in another namespace, a bare name the
 *     search above cannot settle), or no rules are in force: a tail jump
 *     to the real dlopen, with the caller's own return address.  Modules
 *     loaded that way are hooked at the next wrapped dlopen (README,
 *     "Limits").
 * Either way the module's own constructors run before its GOT is patched:
 * calls they make through the GOT are not seen (entry hooks see them).
 */
#include "hooks.h"
#include "elfdyn.h"
#include "record.h"
#include "real.h"
#include "refhooks.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)

__attribute__((visibility("hidden"))) void *real_dlopen_entry;
static TLS int in_wrapped_dlopen;
/* The path dlopen_wrap_ok found for a bare name, for dlopen_wrapped; "" to
 * load the name as given. */
static TLS char found_path[512];

static int has_rpath(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct elfdyn d;
	(void)size, (void)arg;
	return elfdyn_read(info, &d) == 0 && d.has_rpath;
}

/* What the loader makes of `path`: 1 a file it loads here (a 64-bit x86-64
 * ELF), 0 none it would consider (absent, or an ELF of another kind: it
 * searches on), -1 one it would fail on (not ELF): left to glibc. */
static int loadable(const char *path)
{
	unsigned char ident[20];
	int fd = real_open(path, O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	ssize_t n = read(fd, ident, sizeof(ident));
	real_close(fd);
	if (n != (ssize_t)sizeof(ident) || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return -1;
	return ident[EI_CLASS] == ELFCLASS64 && ident[18] == (EM_X86_64 & 0xff) &&
	       ident[19] == (EM_X86_64 >> 8);
}

/* Whether glibc would look in subdirectories of `dir` first: glibc-hwcaps
 * and the legacy hardware-capability names. */
static int has_hwcaps(const char *dir)
{
	static const char *const subdirs[] = { "glibc-hwcaps", "tls", "haswell", "xeon_phi",
	                                       "avx512_1", "x86_64" };
	char path[sizeof(found_path)];

	for (unsigned i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		int n = snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
		if (n < 0 || (size_t)n >= sizeof(path) || access(path, F_OK) == 0)
			return 1;
	}
	return 0;
}

/* A module's search path for dlopen (dlinfo RTLD_DI_SERINFO): its RPATH
 * chain, LD_LIBRARY_PATH, its RUNPATH, the default directories, in the
 * loader's order (the cache is searched before the defaults). */
struct search_path {
	union {
		Dl_serinfo si;
		char bytes[8192];
	} buf;
};

static int search_path_of(struct link_map *map, struct search_path *sp)
{
	Dl_serinfo size;

	if (dlinfo(map, RTLD_DI_SERINFOSIZE, &size) != 0 || size.dls_size > sizeof(sp->buf))
		return -1;
	sp->buf.si.dls_size = size.dls_size;
	sp->buf.si.dls_cnt = size.dls_cnt;
	return dlinfo(map, RTLD_DI_SERINFO, &sp->buf.si) == 0 ? 0 : -1;
}

/* How many directories at the end of a and b are the same: what every
 * module searches (the defaults, LD_LIBRARY_PATH unless a RUNPATH comes
 * after it). */
static unsigned common_tail(const Dl_serinfo *a, const Dl_serinfo *b)
{
	unsigned n = 0;

	while (n < a->dls_cnt && n < b->dls_cnt &&
	       strcmp(a->dls_serpath[a->dls_cnt - 1 - n].dls_name,
	              b->dls_serpath[b->dls_cnt - 1 - n].dls_name) == 0)
		n++;
	return n;
}

/* The first of the first `count` directories of si holding a loadable
 * `file`: 1 and its path in out, 0 when none does, -1 when it cannot tell. */
static int find_in(const Dl_serinfo *si, unsigned count, const char *file, char *out,
                   size_t outsz)
{
	for (unsigned i = 0; i < count; i++) {
		const char *dir = si->dls_serpath[i].dls_name;
		int n = snprintf(out, outsz, "%s/%s", dir, file);
		if (n < 0 || (size_t)n >= outsz || has_hwcaps(dir))
			return -1;
		int r = loadable(out);
		if (r != 0)
			return r;
	}
	out[0] = 0;
	return 0;
}

/* Whether a loaded module may answer to the bare name `arg`: its file's
 * base name or its DT_SONAME is that name. */
static int loaded_as(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char *file = arg;
	struct elfdyn d;
	(void)size;

	if (info->dlpi_name && info->dlpi_name[0]) {
		const char *base = strrchr(info->dlpi_name, '/');
		if (strcmp(base ? base + 1 : info->dlpi_name, file) == 0)
			return 1;
	}
	return elfdyn_read(info, &d) == 0 && d.soname && strcmp(d.soname, file) == 0;
}

/* find_for_caller's buffers are in use (a thread that finds them so
 * tail-jumps).  A fork child has one thread: none is using them there. */
static int busy;

void refhooks_dlopen_fork_child(void)
{
	busy = 0;
}

/* The shim's own link map. */
static struct link_map *shim_map(void)
{
	static struct link_map *self;
	Dl_info info;

	if (!self && !dladdr1((void *)shim_map, &info, (void **)&self, RTLD_DL_LINKMAP))
		self = NULL;
	return self;
}

/* A bare name with RPATHs or RUNPATHs about.  The directories only the
 * caller searches (its own part of its search path, before what it shares
 * with the shim's) are searched here, in order: a file found there is
 * loaded by that path.  Found in none of them, nor in the shim's own part
 * (the program's DT_RPATH, which the loader would search for the shim),
 * the rest of the search does not depend on the caller: the bare name is
 * loaded as given.  Returns whether to wrap. */
static int find_for_caller(const char *file, struct link_map *caller)
{
	/* 16 KiB: not on a thread's stack, not in every thread's TLS.  A
	 * thread that finds them in use tail-jumps, as before this search. */
	static struct search_path theirs, mine;
	char other[sizeof(found_path)];
	struct link_map *self = shim_map();

	if (!self || __atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE))
		return 0;
	/* Maybe loaded already under that name: glibc would hand that one out
	 * to any caller before it searches, and there is nothing new to hook.
	 * Left to glibc (a probe of our own, RTLD_NOLOAD, would search as the
	 * shim and add the name to what it found). */
	if (dl_iterate_phdr(loaded_as, (void *)file)) {
		__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
		return 0;
	}
	int wrap = 0;
	if (search_path_of(caller, &theirs) == 0 && search_path_of(self, &mine) == 0) {
		unsigned common = common_tail(&theirs.buf.si, &mine.buf.si);
		int r = find_in(&theirs.buf.si, theirs.buf.si.dls_cnt - common, file, found_path,
		                sizeof(found_path));
		if (r != 0)
			wrap = r > 0;
		else
			wrap = find_in(&mine.buf.si, mine.buf.si.dls_cnt - common, file, other,
			               sizeof(other)) == 0;
	}
	__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
	return wrap;
}

static int wrap_decision(const char *file, void *caller);

/* Leaves errno as the program left it: the search opens files. */
__attribute__((visibility("hidden"), used)) int dlopen_wrap_ok(const char *file, void *caller)
{
	SAVE_ERRNO;
	int ok = wrap_decision(file, caller);
	RESTORE_ERRNO;
	return ok;
}

static int wrap_decision(const char *file, void *caller)
{
	found_path[0] = 0;
	if (!g_shim.log.hdr || !g_shim.log.hdr->rules_used || in_wrapped_dlopen)
		return 0;
	if (!file)
		return 1;
	if (strchr(file, '$'))
		return 0;
	Dl_info info;
	struct link_map *map = NULL;
	Lmid_t lmid = LM_ID_BASE;
	if (!dladdr1(caller, &info, (void **)&map, RTLD_DL_LINKMAP) || !map ||
	    dlinfo(map, RTLD_DI_LMID, &lmid) != 0 || lmid != LM_ID_BASE)
		return 0;
	/* The shim's own (the instruction decoder, loaded during a scan):
	 * never wrapped, a scan is under way. */
	if (map == shim_map())
		return 0;
	if (strchr(file, '/'))
		return 1;
	/* A bare name is searched along RPATHs and RUNPATHs that depend on
	 * the caller: with none anywhere, the shim may be the caller. */
	if (!dl_iterate_phdr(has_rpath, NULL))
		return 1;
	return find_for_caller(file, map);
}

__attribute__((visibility("hidden"), used)) void *dlopen_wrapped(const char *file, int mode)
{
	void *(*real_dlopen)(const char *, int) = real_dlopen_entry;
	in_wrapped_dlopen++;
	void *handle = real_dlopen(found_path[0] ? found_path : file, mode);
	found_path[0] = 0;
	in_wrapped_dlopen--;
	if (handle) {
		SAVE_ERRNO;
		refhooks_scan(&g_shim.log);
		/* The scan's failed dlsym lookups must not show in the
		 * program's dlerror(): its dlopen succeeded. */
		(void)dlerror();
		RESTORE_ERRNO;
	}
	return handle;
}

/* Resolves the real dlopen once; called from the assembly entry. */
__attribute__((visibility("hidden"), used)) void dlopen_resolve(void)
{
	if (!real_dlopen_entry)
		real_dlopen_entry = (void *)REAL(dlopen);
}

__asm__(
	".text\n"
	".globl dlopen\n"
	".type dlopen, @function\n"
	".p2align 4\n"
	"dlopen:\n"
	".cfi_startproc\n"
	"	pushq %rdi\n"
	".cfi_adjust_cfa_offset 8\n"
	"	pushq %rsi\n"
	".cfi_adjust_cfa_offset 8\n"
	"	subq $8, %rsp\n"
	".cfi_adjust_cfa_offset 8\n"
	"	call dlopen_resolve\n"
	"	movq 16(%rsp), %rdi\n"         /* file */
	"	movq 24(%rsp), %rsi\n"         /* the caller's return address */
	"	call dlopen_wrap_ok\n"
	"	addq $8, %rsp\n"
	".cfi_adjust_cfa_offset -8\n"
	"	popq %rsi\n"
	".cfi_adjust_cfa_offset -8\n"
	"	popq %rdi\n"
	".cfi_adjust_cfa_offset -8\n"
	"	testl %eax, %eax\n"
	"	jnz dlopen_wrapped\n"
	"	jmp *real_dlopen_entry(%rip)\n"
	".cfi_endproc\n"
	".size dlopen, .-dlopen\n");

#endif
