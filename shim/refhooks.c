/*
 * refhooks — applying the rules to the loaded modules: finding each rule's
 * function, patching its entry or the GOT entries that lead to it, and the
 * stubs in between.  See refhooks.h.
 *
 * Runs at start-up and after dlopen, never on the recording path: it may
 * take a mutex, mmap and mprotect.
 */
#include "refhooks.h"
#include "real.h"
#include "elfdyn.h"
#include "entryhook.h"
#include "rules.h"
#include "settings.h"
#include "record.h"
#include "unwind.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_HOOKS 1024
#define MAX_MODULES 2048
#define STUB_SIZE 32
#define RULES_FILE_MAX (64 * 1024)

#if defined(__x86_64__)
extern char tally_ref_trampoline[];
#else
static char tally_ref_trampoline[1];   /* never entered: see refhooks_scan */
#endif

static struct ref_hook hooks[MAX_HOOKS];
static unsigned nhooks;
/* Stubs of the current scan go into a writable page that becomes
 * executable (and never writable again) before anything leads to them. */
static uint8_t *stub_page;
static size_t stub_used;

static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t scan_owner;          /* tid holding scan_lock, or 0 */
static int fork_took_scan_lock;

/* Fork waits for a scan under way (a few ms) rather than leave the child
 * a lock no thread of it will release: the child may dlopen, and scan.
 * The order is scan_lock, then entryhook's install lock, as in a scan. */
static void fork_prepare(void)
{
	fork_took_scan_lock = __atomic_load_n(&scan_owner, __ATOMIC_RELAXED) != rec_tid_slow();
	if (fork_took_scan_lock)
		pthread_mutex_lock(&scan_lock);
	entryhook_fork_prepare();
}

static void fork_parent(void)
{
	entryhook_fork_parent();
	if (fork_took_scan_lock)
		pthread_mutex_unlock(&scan_lock);
}

static void fork_child(void)
{
	entryhook_fork_child();
	/* Forked from a signal handler that interrupted a scan: the scan
	 * never ends here, and its stub page never became executable. */
	pthread_mutex_init(&scan_lock, NULL);
	scan_owner = 0;
	if (!fork_took_scan_lock) {
		stub_page = NULL;
		stub_used = 0;
	}
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void register_fork_handlers(void)
{
	(void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}


static void warn_line(const char *line)
{
	char buf[600];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);
	if (n > 0)
		(void)!write(2, buf, (size_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1));
}

static void no_warn(const char *line)
{
	(void)line;
}

/* Under `tally run` (TALLY_RUN_ID set) the rules' problems are said once
 * for the whole run by tally run itself: a bad rule before the program
 * starts, a rule that named nothing in any process at the end.  A shell
 * script's every command would otherwise repeat them. */
static int run_says_it(void)
{
	const char *run = getenv("TALLY_RUN_ID");

	return run && *run;
}

/* Whether this process says what each rule hooked, on its stderr.
 * TALLY_REPORT_HOOKS from tally run: "stderr:DEV:INO", in each process
 * whose fd 2 is still tally run's stderr (not a pipe a parent reads back),
 * or "pid:PID", in that one process; any other value (1, by hand): in
 * every process. */
static int report_hooks_here(void)
{
	const char *v = getenv("TALLY_REPORT_HOOKS");
	unsigned long long dev, ino;
	struct stat st;
	long pid;
	char end;

	if (!v || !*v)
		return 0;
	if (sscanf(v, "stderr:%llu:%llu%c", &dev, &ino, &end) == 2) {
		int saved = errno;
		int same = fstat(2, &st) == 0 && (unsigned long long)st.st_dev == dev &&
		           (unsigned long long)st.st_ino == ino;
		errno = saved;
		return same;
	}
	if (sscanf(v, "pid:%ld%c", &pid, &end) == 1)
		return pid == (long)getpid();
	return strncmp(v, "stderr:", 7) != 0 && strncmp(v, "pid:", 4) != 0;
}

/* ---- rules ------------------------------------------------------------------ */

unsigned refhooks_load_rules(struct tally_log *log)
{
	void (*warn)(const char *) = run_says_it() ? no_warn : warn_line;
	struct rule_tables t = {
		.rules = log->rules, .max_rules = log->hdr->max_rules,
		.types = log->types, .max_types = log->hdr->max_types,
	};
	const char *text = getenv("TALLY_RULES");
	const char *file = getenv("TALLY_RULES_FILE");

	if (text && *text)
		rules_parse(&t, text, "TALLY_RULES", warn);
	if (file && *file) {
		static char buf[RULES_FILE_MAX + 1];
		char line[512];
		/* Read and closed at once: the program never sees the fd, and
		 * the close is the real one (not an event of the program's). */
		int fd = real_open(file, O_RDONLY | O_CLOEXEC, 0);
		ssize_t n = fd >= 0 ? read(fd, buf, RULES_FILE_MAX) : -1;
		int err = errno;
		if (fd >= 0)
			real_close(fd);
		if (n < 0) {
			snprintf(line, sizeof(line), "tally: cannot read TALLY_RULES_FILE %.300s: %s",
			         file, strerror(err));
			warn_line(line);   /* also under tally run: this process lost them */
		} else {
			buf[n] = 0;
			rules_parse(&t, buf, file, warn);
		}
	}
	log->hdr->types_used = t.ntypes;
	__atomic_store_n(&log->hdr->rules_used, t.nrules, __ATOMIC_RELEASE);
	return t.nrules;
}

/* ---- stubs ----------------------------------------------------------------- */

/* Makes the current stub page executable (and never writable again).
 * 0, or -1 when it cannot be: its stubs must then not be used. */
static int seal_stubs(void)
{
	int rc = 0;

	if (stub_page && mprotect(stub_page, 4096, PROT_READ | PROT_EXEC) != 0) {
		warn_line("tally: cannot make hook stubs executable: reference hooks disabled");
		rc = -1;
	}
	stub_page = NULL;
	stub_used = 0;
	return rc;
}

/* A stub that saves r11 on the stack and enters the trampoline with
 * `hook` in it, or NULL.  The trampoline puts r11 back: no register of the
 * caller's changes (hooks_tramp.S says why that matters). */
static void *make_stub(struct ref_hook *hook)
{
	if (!stub_page || stub_used + STUB_SIZE > 4096) {
		seal_stubs();
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		stub_page = p;
	}
	uint8_t *s = stub_page + stub_used;
	uint64_t h = (uint64_t)(uintptr_t)hook, t = (uint64_t)(uintptr_t)tally_ref_trampoline;
	s[0] = 0x41, s[1] = 0x53;                  /* push %r11 */
	s[2] = 0x49, s[3] = 0xbb;                  /* movabs $hook, %r11 */
	memcpy(s + 4, &h, 8);
	s[12] = 0xff, s[13] = 0x25;                /* jmp *0(%rip) */
	memset(s + 14, 0, 4);
	memcpy(s + 18, &t, 8);
	stub_used += STUB_SIZE;
	return s;
}

/* ---- hooks ------------------------------------------------------------------ */

struct hook_ref {
	struct ref_hook *hook;
	void *stub;
};
static void *stubs[MAX_HOOKS];

static int is_stub(const void *p)
{
	for (unsigned i = 0; i < nhooks; i++)
		if (stubs[i] == p)
			return 1;
	return 0;
}

/* The hook of rule r for function fn, made on first use. */
static int hook_for(struct tally_log *log, unsigned r, void *fn, struct hook_ref *out,
                    int create)
{
	for (unsigned i = 0; i < nhooks; i++)
		if (hooks[i].rule == r && hooks[i].function == fn) {
			out->hook = &hooks[i], out->stub = stubs[i];
			return 0;
		}
	if (!create || nhooks >= MAX_HOOKS)
		return -1;
	struct ref_hook *h = &hooks[nhooks];
	const struct tally_rule *rule = &log->rules[r];
	memset(h, 0, sizeof(*h));
	h->target = fn;
	h->function = fn;
	h->rule = (uint16_t)r;
	h->role = rule->role;
	h->arg = rule->role == TALLY_ROLE_NEW ? 0 : rule->arg;
	h->refs = rule->role == TALLY_ROLE_NEW ? rule->arg : 1;
	h->type = rule->type;
	h->stack_words = (rule->flags & TALLY_RULEF_VARARGS) ? REF_VARARGS_WORDS : REF_STACK_WORDS;
	if (rule->role == TALLY_ROLE_SINK && rule->floating[0])
		h->is_floating = (int (*)(void *))dlsym(RTLD_DEFAULT, rule->floating);
	void *stub = make_stub(h);
	if (!stub)
		return -1;
	stubs[nhooks++] = stub;
	out->hook = h, out->stub = stub;
	return 0;
}

/* ---- modules ----------------------------------------------------------------- */

struct module {
	struct dl_phdr_info info;
};
static struct module modules[MAX_MODULES];
static unsigned nmodules;

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size, (void)arg;
	if (nmodules < MAX_MODULES)
		modules[nmodules++].info = *info;
	return 0;
}

/* Whether the module is the shim itself: its own GOT must never be
 * redirected into its own hooks. */
static int is_self(const struct dl_phdr_info *info)
{
	uintptr_t lo = 0, hi = 0;
	unwind_self_range(&lo, &hi);
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD) {
			uintptr_t a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			return a >= lo && a < hi;
		}
	return 0;
}

/* Entry hooks installed: a function stays hooked while its first byte is
 * our jmp; a module loaded again at the same address is hooked anew. */
static struct {
	void *fn;
	unsigned rule;
} entries[MAX_HOOKS];
static unsigned nentries;

static int entry_hooked(void *fn, unsigned r)
{
	for (unsigned i = 0; i < nentries; i++)
		if (entries[i].fn == fn && entries[i].rule == r)
			return *(const uint8_t *)fn == 0xe9;
	return 0;
}

static int entry_covers(void *fn)
{
	for (unsigned i = 0; i < nentries; i++)
		if (entries[i].fn == fn && *(const uint8_t *)fn == 0xe9)
			return 1;
	return 0;
}

/* prepare: only make the hook and its stub.  Otherwise patch the entry
 * to lead to the stub, which the scan made executable in between: other
 * threads may call the function the moment it is patched. */
static void hook_entry(struct tally_log *log, unsigned r, void *fn, size_t size, int prepare)
{
	struct hook_ref h;
	char why[160];

	if (entry_hooked(fn, r) || nentries >= MAX_HOOKS)
		return;
	if (hook_for(log, r, fn, &h, prepare) != 0 || prepare)
		return;
	/* The original is stored into the hook before the jump goes live: a
	 * call arriving at once must find where to go. */
	if (entryhook_install(fn, size, h.stub, &h.hook->target, why, sizeof(why)) != 0) {
		log->rules[r].flags |= TALLY_RULEF_ENTRY_FAILED;
		if (report_hooks_here()) {
			char line[400];
			snprintf(line, sizeof(line),
			         "tally: cannot patch the entry of %s (%s); hooking its GOT entries",
			         log->rules[r].function, why);
			warn_line(line);
		}
		return;
	}
	h.hook->entry = 1;
	entries[nentries].fn = fn;
	entries[nentries++].rule = r;
	__atomic_fetch_add(&log->rules[r].entries, 1, __ATOMIC_RELAXED);
}

/* ---- GOT entries ------------------------------------------------------------ */

struct got_ctx {
	int prepare;           /* make hooks and stubs only (see hook_entry) */
	struct tally_log *log;
	const struct elfdyn *dyn;
	uintptr_t lo, hi;      /* the module's own range: a lazy PLT slot points there */
};

static int set_slot(void **slot, void *value, const struct elfdyn *d)
{
	uintptr_t a = (uintptr_t)slot;
	if (a >= d->relro_lo && a < d->relro_hi) {
		uintptr_t page = a & ~(uintptr_t)4095;
		if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE) != 0)
			return -1;
		__atomic_store_n(slot, value, __ATOMIC_RELEASE);
		(void)mprotect((void *)page, 4096, PROT_READ);
		return 0;
	}
	__atomic_store_n(slot, value, __ATOMIC_RELEASE);
	return 0;
}

static int rule_index(const struct tally_log *log, const char *name)
{
	uint32_t n = log->hdr->rules_used;
	for (uint32_t i = 0; i < n; i++)
		if (log->rules[i].function[0] == name[0] && log->rules[i].role != TALLY_ROLE_LIFETIME &&
		    strcmp(log->rules[i].function, name) == 0)
			return (int)i;
	return -1;
}

static void patch_got(void **slot, const char *name, void *arg)
{
	struct got_ctx *c = arg;
	int r = rule_index(c->log, name);

	if (r < 0 || c->log->rules[r].role == TALLY_ROLE_LIFETIME)   /* never hooked */
		return;
	void *v = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (is_stub(v))
		return;
	/* A slot pointing into its own module is lazy (its PLT), unless it
	 * holds the module's own definition: a call to its own function,
	 * already bound.  A lazy slot is resolved as ld.so would: the global
	 * scope first, else the module's own definition (an RTLD_LOCAL
	 * module calling its own function). */
	void *own = elfdyn_lookup(c->dyn, name, NULL);
	if (!v || ((uintptr_t)v >= c->lo && (uintptr_t)v < c->hi && v != own)) {
		v = dlsym(RTLD_DEFAULT, name);
		if (!v)
			v = own;
	}
	if (!v || entry_covers(v))
		return;                          /* the entry hook sees these calls */
	struct hook_ref h;
	if (hook_for(c->log, (unsigned)r, v, &h, c->prepare) != 0 || c->prepare)
		return;
	if (set_slot(slot, h.stub, c->dyn) == 0) {
		__atomic_fetch_add(&c->log->rules[r].got_sites, 1, __ATOMIC_RELAXED);
		/* The function's own library may call it directly, unseen: the
		 * type's books cannot be complete. */
		uint16_t ty = c->log->rules[r].type;
		if (ty < c->log->hdr->max_types)
			__atomic_fetch_or(&c->log->types[ty].flags, TALLY_TYPEF_GOT_ONLY,
			                  __ATOMIC_RELAXED);
	}
}

static void module_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
	*lo = UINTPTR_MAX, *hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;
		if (a < *lo)
			*lo = a;
		if (a + ph->p_memsz > *hi)
			*hi = a + ph->p_memsz;
	}
}

/* Hooks and stubs are made in a first pass, the stubs' pages made
 * executable, and only then are entries and GOT slots pointed at them. */
static int scan_entries(struct tally_log *log, int prepare)
{
	uint32_t nrules = log->hdr->rules_used;

	for (unsigned m = 0; m < nmodules; m++) {
		struct elfdyn d;
		if (is_self(&modules[m].info) || elfdyn_read(&modules[m].info, &d) != 0)
			continue;
		for (uint32_t r = 0; r < nrules; r++) {
			size_t size = 0;
			void *fn = elfdyn_lookup(&d, log->rules[r].function, &size);
			if (!fn)
				continue;
			log->rules[r].flags |= TALLY_RULEF_FOUND;
			if (g_shim.settings.hook_mode == TALLY_HOOK_ENTRY &&
			    !(log->rules[r].flags & TALLY_RULEF_GOT) &&
			    log->rules[r].role != TALLY_ROLE_LIFETIME)
				hook_entry(log, r, fn, size, prepare);
		}
	}
	return seal_stubs();
}

static int scan_got(struct tally_log *log, int prepare)
{
	for (unsigned m = 0; m < nmodules; m++) {
		struct elfdyn d;
		if (is_self(&modules[m].info) || elfdyn_read(&modules[m].info, &d) != 0)
			continue;
		struct got_ctx c = { prepare, log, &d, 0, 0 };
		module_range(&modules[m].info, &c.lo, &c.hi);
		elfdyn_each_got(&d, patch_got, &c);
	}
	return seal_stubs();
}

void refhooks_scan(struct tally_log *log)
{
	static int broken;   /* stubs could not be made executable */

	if (!log->hdr || !log->hdr->rules_used)
		return;
#if !defined(__x86_64__)
	/* The stubs and the trampoline are x86-64 code. */
	if (!broken)
		warn_line("tally: reference rules need x86-64; not applied");
	broken = 1;
	return;
#endif
	pthread_once(&fork_once, register_fork_handlers);
	pthread_mutex_lock(&scan_lock);
	scan_owner = rec_tid_slow();
	nmodules = 0;
	dl_iterate_phdr(collect, NULL);
	/* Entries first: a GOT entry leading to a patched entry needs nothing. */
	if (!broken && scan_entries(log, 1) != 0)
		broken = 1;
	if (!broken)
		scan_entries(log, 0);
	if (!broken && scan_got(log, 1) != 0)
		broken = 1;
	if (!broken)
		scan_got(log, 0);
	scan_owner = 0;
	pthread_mutex_unlock(&scan_lock);
}

void refhooks_warn_missing(const struct tally_log *log)
{
	char line[300];
	int verbose = report_hooks_here();

	unsigned preset_rules = 0, preset_found = 0, found = 0;

	for (uint32_t r = 0; r < log->hdr->rules_used; r++)
		found += !!(log->rules[r].flags & TALLY_RULEF_FOUND);
	/* Under tally run, what named nothing is said once, by tally run at
	 * the end; a process where some rule matched still gives its
	 * coverage (TALLY_REPORT_HOOKS), one where none did (a shell,
	 * /bin/true) says nothing. */
	int quiet = run_says_it();
	if (!found && quiet)
		return;

	for (uint32_t r = 0; r < log->hdr->rules_used; r++) {
		const struct tally_rule *rule = &log->rules[r];
		if (rule->flags & TALLY_RULEF_PRESET) {
			/* A preset names many functions a program may not use:
			 * only a preset that matches nothing is worth a line. */
			preset_rules++;
			preset_found += !!(rule->flags & TALLY_RULEF_FOUND);
		}
		/* A lifetime rule may name a function that is not exported
		 * (the analyzer matches it in creation stacks by name). */
		if (!(rule->flags & TALLY_RULEF_FOUND) && !(rule->flags & TALLY_RULEF_PRESET) &&
		    rule->role != TALLY_ROLE_LIFETIME) {
			if (quiet)
				continue;
			snprintf(line, sizeof(line),
			         "tally: rule %s (%s): no such function in the process (yet)",
			         rule->function, rules_role_name(rule->role));
			warn_line(line);
		} else if (verbose) {
			snprintf(line, sizeof(line), "tally: rule %s (%s, %s): %u entr%s, %u GOT site%s",
			         rule->function, rules_role_name(rule->role),
			         (rule->flags & TALLY_RULEF_ANY_TYPE) ? "*" : log->types[rule->type].name,
			         rule->entries,
			         rule->entries == 1 ? "y" : "ies", rule->got_sites,
			         rule->got_sites == 1 ? "" : "s");
			warn_line(line);
		}
	}
	if (preset_rules && !preset_found && !quiet)
		warn_line("tally: no function named by the presets exists in the process (yet)");
}
