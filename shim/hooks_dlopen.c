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
 *   - yes (a bare name while some module has an RPATH, a $ in the name, a
 *     caller in another namespace), or no rules are in force: a tail jump
 *     to the real dlopen, with the caller's own return address.  Modules
 *     loaded that way are hooked at the next wrapped dlopen (README,
 *     "Limits").
 * Either way the module's own constructors run before its GOT is patched:
 * calls they make through the GOT are not seen (entry hooks see them).
 */
#include "hooks.h"
#include "elfdyn.h"
#include "record.h"
#include "refhooks.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

#if defined(__x86_64__)

__attribute__((visibility("hidden"))) void *real_dlopen_entry;
static TLS int in_wrapped_dlopen;

static int has_rpath(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct elfdyn d;
	(void)size, (void)arg;
	return elfdyn_read(info, &d) == 0 && d.has_rpath;
}

__attribute__((visibility("hidden"), used)) int dlopen_wrap_ok(const char *file, void *caller)
{
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
	if (strchr(file, '/'))
		return 1;
	/* A bare name is searched along RPATHs and RUNPATHs that depend on
	 * the caller: wrap only when no module has any. */
	return !dl_iterate_phdr(has_rpath, NULL);
}

__attribute__((visibility("hidden"), used)) void *dlopen_wrapped(const char *file, int mode)
{
	void *(*real_dlopen)(const char *, int) = real_dlopen_entry;
	in_wrapped_dlopen++;
	void *handle = real_dlopen(file, mode);
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
