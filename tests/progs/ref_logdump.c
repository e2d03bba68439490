/*
 * ref_logdump — prints the reference books of a tally log (format 4) as
 * lines a shell test can read with awk, without the analyzer: the rules and
 * their coverage, the types and their blind-spot counters, every live
 * object with its cells, the violation events, and the stacks those name
 * as module+offset (offset = address - load bias, what `nm` shows for a
 * PIE or a shared object).  Usage: ref_logdump LOG
 *
 *   log version V pid P exit STATE rules R types T objects_live L
 *       objects_untracked U violations V dropped D
 *   rule I FUNCTION role ROLE type TYPE flags F,.. entries E got_sites G calls C
 *   type I NAME flags F created N first_seen_inc N freed N balanced N
 *       dec_unknown N underflow N after_release N untracked N unstacked N nested N
 *   object ADDR type TYPE net N flags F,.. create_stack S tid T unstacked U
 *       cells S:N,S:N,..          (cells in use, its own then spilled; "-"
 *                                  when none)
 *       spilled N                 (of those, spilled)
 *   violation KIND type TYPE addr ADDR net N certain 0|1 stack S
 *   stack S MODULE+0xOFF:FUNCTION ..   (innermost first; MODULE is the
 *       file's base name, "?" for an address in no module; FUNCTION the
 *       ELF symbol (.symtab or .dynsym of the file named in the module
 *       table) whose [value, value + size) holds OFF - 1, "?" when none
 *       does: never the nearest symbol below, which would be a guess)
 *
 * The log is checked the way a reader must (format.h): magic, version,
 * header size, every section inside the file.  Exit status 0, or 2 with one
 * line on stderr when the log cannot be read.
 */
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../include/tally/format.h"

static const uint8_t *base;
static size_t size;
static const struct tally_header *hdr;

/* Stacks named by the lines printed so far, printed at the end. */
static uint8_t *wanted;

static void die(const char *why)
{
	fprintf(stderr, "ref_logdump: %s\n", why);
	exit(2);
}

/* The section at `off` with `n` entries of `each` bytes, or death. */
static const void *section(uint64_t off, uint64_t n, uint64_t each, const char *what)
{
	if (off > size || n > (size - off) / (each ? each : 1)) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s section outside the file", what);
		die(msg);
	}
	return base + off;
}

static const char *role_name(unsigned r)
{
	static const char *const names[] = { "?", "new", "inc", "dec", "free", "sink", "take" };
	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

static const char *type_name(const struct tally_type *types, unsigned t)
{
	return t < hdr->types_used && t < hdr->max_types ? types[t].name : "?";
}

static void want_stack(uint32_t id)
{
	if (id && id <= hdr->max_stacks)
		wanted[id - 1] = 1;
}

static void print_rules(const struct tally_rule *rules, const struct tally_type *types)
{
	for (uint32_t i = 0; i < hdr->rules_used && i < hdr->max_rules; i++) {
		const struct tally_rule *r = &rules[i];
		char flags[64] = "";

		if (r->flags & TALLY_RULEF_FOUND)
			strcat(flags, "FOUND,");
		if (r->flags & TALLY_RULEF_ENTRY_FAILED)
			strcat(flags, "ENTRY_FAILED,");
		if (r->flags & TALLY_RULEF_PRESET)
			strcat(flags, "PRESET,");
		if (flags[0])
			flags[strlen(flags) - 1] = 0;
		else
			strcpy(flags, "-");
		printf("rule %u %.64s role %s type %s flags %s entries %u got_sites %u calls %" PRIu64
		       "\n",
		       i, r->function, role_name(r->role), type_name(types, r->type), flags, r->entries,
		       r->got_sites, r->calls);
	}
}

static void print_types(const struct tally_type *types)
{
	for (uint32_t i = 0; i < hdr->types_used && i < hdr->max_types; i++) {
		const struct tally_type *t = &types[i];
		printf("type %u %.40s flags %s created %" PRIu64 " first_seen_inc %" PRIu64
		       " freed %" PRIu64 " balanced %" PRIu64 " dec_unknown %" PRIu64
		       " underflow %" PRIu64 " after_release %" PRIu64 " untracked %" PRIu64
		       " unstacked %" PRIu64 " nested %" PRIu64 "\n",
		       i, t->name, (t->flags & TALLY_TYPEF_RESURRECTS) ? "resurrects" : "-",
		       t->created, t->first_seen_inc, t->freed, t->balanced, t->dec_unknown,
		       t->underflow, t->after_release, t->untracked, t->unstacked, t->nested);
	}
}

static void print_objects(const uint64_t *keys, const struct tally_object *objects,
                          const struct tally_type *types)
{
	for (uint32_t i = 0; i < hdr->max_objects; i++) {
		const struct tally_object *o = &objects[i];
		char flags[64] = "";

		if (o->state != TALLY_OBJ_LIVE)
			continue;
		if (o->flags & TALLY_OBJF_CREATED)
			strcat(flags, "created,");
		if (o->flags & TALLY_OBJF_FLOATING)
			strcat(flags, "floating,");
		if (o->flags & TALLY_OBJF_FREED)
			strcat(flags, "freed,");
		if (o->flags & TALLY_OBJF_INHERITED)
			strcat(flags, "inherited,");
		if (flags[0])
			flags[strlen(flags) - 1] = 0;
		else
			strcpy(flags, "-");
		printf("object 0x%" PRIx64 " type %s net %d flags %s create_stack %u tid %u"
		       " unstacked %d cells ",
		       keys[i], type_name(types, o->type), o->net, flags, o->create_stack, o->tid,
		       o->unstacked);
		want_stack(o->create_stack);
		int any = 0;
		for (unsigned c = 0; c < TALLY_OBJ_CELLS; c++) {
			uint32_t s = TALLY_CELL_STACK(o->cells[c]);
			if (!s)
				continue;
			printf("%s%u:%d", any ? "," : "", s, TALLY_CELL_NET(o->cells[c]));
			want_stack(s);
			any = 1;
		}
		/* and its spilled cells (format.h, version 4) */
		const struct tally_spill *spill =
			(const void *)((const char *)hdr + hdr->spill_off);
		unsigned nspilled = 0;
		for (uint32_t k = 0; (o->flags & TALLY_OBJF_SPILLED) && k < hdr->max_spill; k++) {
			const struct tally_spill *e = &spill[k];
			uint32_t s = TALLY_CELL_STACK(e->cell);
			if (e->serial != o->serial || e->slot != i || !s)
				continue;
			printf("%s%u:%d", any ? "," : "", s, TALLY_CELL_NET(e->cell));
			want_stack(s);
			any = 1;
			nspilled++;
		}
		printf("%s spilled %u\n", any ? "" : "-", nspilled);
	}
}

static void print_violations(const struct tally_event *events, const struct tally_type *types)
{
	static const char *const kinds[] = { "?", "underflow", "after-release", "double-close" };
	uint64_t n = hdr->events_claimed < hdr->max_events ? hdr->events_claimed : hdr->max_events;

	for (uint64_t i = 0; i < n; i++) {
		const struct tally_event *ev = &events[i];
		if (ev->check != tally_event_check(ev, i))
			continue;
		/* References that brought back books a decrement under way
		 * had closed (GObject's dispose). */
		if (ev->kind == TALLY_EV_OBJ && (ev->u.obj.detail & 0xff) == TALLY_OBJD_REVIVED) {
			printf("revived type %s addr 0x%" PRIx64 " net %d stack %u\n",
			       type_name(types, ev->u.obj.type), ev->u.obj.addr, ev->u.obj.net,
			       ev->stack_id);
			want_stack(ev->stack_id);
		}
		if (ev->kind != TALLY_EV_VIOLATION)
			continue;
		unsigned k = (unsigned)ev->arg < 4 ? (unsigned)ev->arg : 0;
		printf("violation %s type %s addr 0x%" PRIx64 " net %d certain %d stack %u\n", kinds[k],
		       type_name(types, ev->u.obj.type), ev->u.obj.addr, ev->u.obj.net,
		       (ev->u.obj.detail & TALLY_OBJD_CERTAIN) != 0, ev->stack_id);
		want_stack(ev->stack_id);
	}
}

/* ---- symbols --------------------------------------------------------------- */

struct sym {
	uint64_t lo, hi;
	const char *name;
};

/* The function symbols of one module file, loaded on first use. */
struct modsyms {
	int loaded;
	struct sym *syms;
	size_t n;
};
static struct modsyms *modsyms;

static void load_syms(struct modsyms *ms, const char *path)
{
	struct stat sb;
	ms->loaded = 1;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	if (fstat(fd, &sb) != 0 || (size_t)sb.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return;
	}
	size_t len = (size_t)sb.st_size;
	const uint8_t *f = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED)
		return;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > len ||
	    eh->e_shnum > (len - eh->e_shoff) / sizeof(Elf64_Shdr))
		return;   /* the mapping stays: names point into it */
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if ((sh[i].sh_type != SHT_SYMTAB && sh[i].sh_type != SHT_DYNSYM) ||
		    sh[i].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Shdr *strs = &sh[sh[i].sh_link];
		if (sh[i].sh_offset > len || sh[i].sh_size > len - sh[i].sh_offset ||
		    strs->sh_offset > len || strs->sh_size > len - strs->sh_offset)
			continue;
		const Elf64_Sym *st = (const Elf64_Sym *)(f + sh[i].sh_offset);
		size_t nsym = sh[i].sh_size / sizeof(Elf64_Sym);
		struct sym *grown = realloc(ms->syms, (ms->n + nsym) * sizeof(*grown));
		if (!grown)
			return;
		ms->syms = grown;
		for (size_t k = 0; k < nsym; k++) {
			unsigned type = ELF64_ST_TYPE(st[k].st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !st[k].st_size ||
			    st[k].st_shndx == SHN_UNDEF || st[k].st_name >= strs->sh_size)
				continue;
			const char *name = (const char *)f + strs->sh_offset + st[k].st_name;
			if (!memchr(name, 0, strs->sh_size - st[k].st_name))
				continue;
			ms->syms[ms->n++] = (struct sym){ st[k].st_value, st[k].st_value + st[k].st_size,
			                                  name };
		}
	}
}

/* The function holding module offset `off`, or "?". */
static const char *function_at(const struct tally_module *mods, const struct tally_module *m,
                               uint64_t off)
{
	struct modsyms *ms = &modsyms[m - mods];

	if (!ms->loaded)
		load_syms(ms, m->path);
	for (size_t i = 0; i < ms->n; i++)
		if (off >= ms->syms[i].lo && off < ms->syms[i].hi)
			return ms->syms[i].name;
	return "?";
}

/* The module holding `pc` for a stack of `generation` (as analyzer/modmatch.c). */
static const struct tally_module *module_of(const struct tally_module *mods, uint32_t generation,
                                            uint64_t pc)
{
	const struct tally_module *later = NULL;

	for (uint32_t i = 0; i < hdr->modules_used && i < hdr->max_modules; i++) {
		const struct tally_module *m = &mods[i];
		if (!m->committed || pc < m->lo || pc >= m->hi)
			continue;
		if (m->gen_loaded <= generation && (m->gen_unloaded == 0 || generation < m->gen_unloaded))
			return m;
		if (m->gen_loaded > generation && (!later || m->gen_loaded < later->gen_loaded))
			later = m;
	}
	return later;
}

static void print_stacks(const struct tally_stack *stacks, const uint64_t *frames,
                         const struct tally_module *mods)
{
	for (uint32_t id = 1; id <= hdr->max_stacks; id++) {
		if (!wanted[id - 1])
			continue;
		const struct tally_stack *st = &stacks[id - 1];
		printf("stack %u", id);
		if (!st->committed || (uint64_t)st->frames_index + st->depth > hdr->max_frames) {
			printf(" ?\n");
			continue;
		}
		for (unsigned f = 0; f < st->depth; f++) {
			uint64_t pc = frames[st->frames_index + f];
			const struct tally_module *m = module_of(mods, st->generation, pc);
			if (!m) {
				printf(" ?+0x%" PRIx64 ":?", pc);
				continue;
			}
			const char *slash = strrchr(m->path, '/');
			/* A return address: the call is the byte before it. */
			printf(" %.*s+0x%" PRIx64 ":%s", TALLY_PATH_MAX, slash ? slash + 1 : m->path,
			       pc - m->bias, function_at(mods, m, pc - m->bias - 1));
		}
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	struct stat sb;

	if (argc != 2) {
		fprintf(stderr, "usage: ref_logdump LOG\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &sb) != 0)
		die("cannot open the log");
	size = (size_t)sb.st_size;
	if (size < TALLY_PAGE)
		die("log shorter than its header");
	base = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		die("cannot map the log");
	close(fd);
	hdr = (const struct tally_header *)base;
	if (memcmp(hdr->magic, TALLY_MAGIC, 8) != 0 || hdr->version != TALLY_FORMAT_VERSION ||
	    hdr->header_size != sizeof(struct tally_header))
		die("not a tally log of this format version");
	if (hdr->max_objects & (hdr->max_objects - 1))
		die("max_objects is not a power of two");

	const struct tally_module *mods =
		section(hdr->modules_off, hdr->max_modules, sizeof(*mods), "modules");
	const struct tally_stack *stacks =
		section(hdr->stacks_off, hdr->max_stacks, sizeof(*stacks), "stacks");
	const uint64_t *frames = section(hdr->frames_off, hdr->max_frames, 8, "frames");
	const struct tally_rule *rules =
		section(hdr->rules_off, hdr->max_rules, sizeof(*rules), "rules");
	const struct tally_type *types =
		section(hdr->types_off, hdr->max_types, sizeof(*types), "types");
	const uint64_t *keys = section(hdr->objkeys_off, hdr->max_objects, 8, "objkeys");
	const struct tally_object *objects =
		section(hdr->objects_off, hdr->max_objects, sizeof(*objects), "objects");
	(void)section(hdr->spill_off, hdr->max_spill, sizeof(struct tally_spill), "spill");
	const struct tally_event *events =
		section(hdr->events_off, hdr->max_events, sizeof(*events), "events");
	wanted = calloc(hdr->max_stacks ? hdr->max_stacks : 1, 1);
	modsyms = calloc(hdr->max_modules ? hdr->max_modules : 1, sizeof(*modsyms));
	if (!wanted || !modsyms)
		die("out of memory");

	static const char *const exits[] = { "running", "exited", "execed" };
	uint64_t dropped = 0;
	for (int i = 0; i < TALLY_DROP_CAUSES; i++)
		dropped += hdr->dropped[i];
	printf("log version %u pid %d exit %s rules %u types %u objects_live %" PRIu64
	       " objects_untracked %" PRIu64 " violations %" PRIu64 " dropped %" PRIu64 "\n",
	       hdr->version, hdr->pid, hdr->exit_state < 3 ? exits[hdr->exit_state] : "?",
	       hdr->rules_used, hdr->types_used, hdr->objects_live, hdr->objects_untracked,
	       hdr->violations, dropped);
	print_rules(rules, types);
	print_types(types);
	print_objects(keys, objects, types);
	print_violations(events, types);
	print_stacks(stacks, frames, mods);
	return 0;
}
