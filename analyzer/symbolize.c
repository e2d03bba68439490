/*
 * Offline symbolization of recorded frames with elfutils libdwfl.
 *
 * One Dwfl session holds every module we have opened; a module is reported
 * the first time one of its addresses is looked up, and one whose file is
 * missing, unreadable or not the build that was mapped gives module+offset
 * only.  Function starts come from sized symbols, else from the FDE that
 * covers the address, so frames in a stripped library group by function
 * instead of borrowing the name of the nearest exported symbol.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize.h"
#include "modmatch.h"

/* ---- types ------------------------------------------------------------- */

/* One FDE: the run-time address range [start, end) of one function. */
struct fde_range {
	uint64_t start, end;
};

/* The FDEs of one CFI section, sorted by start; built on first use. */
struct fde_table {
	struct fde_range *v;
	size_t n;
	bool built;
};

/* One function symbol at run-time addresses; end == start when the symbol
 * has no size.  name points into libdwfl's copy of the ELF string table. */
struct func_sym {
	uint64_t start, end;
	const char *name;
	int rank;                    /* among aliases the lowest wins */
};

/* The function symbols of one module, sorted by start then rank. */
struct sym_table {
	struct func_sym *v;
	size_t n;
	uint64_t max_size;           /* bounds the walk back from a candidate */
	bool built;
};

/* One address range of a compile unit, at run-time addresses. */
struct cu_range {
	uint64_t lo, hi;
	Dwarf_Die cu;
};

/* The CU ranges of one module, sorted by lo; built on first use. */
struct cu_table {
	struct cu_range *v;
	size_t n;
	uint64_t bias;               /* run-time minus DWARF addresses */
	bool built;
};

enum module_state {
	MOD_UNOPENED = 0,    /* not reported to libdwfl yet */
	MOD_OK,              /* file reported, build-id matches */
	MOD_NO_FILE,         /* missing, unreadable or not an ELF file */
	MOD_MISMATCH,        /* the file's build-id is not the recorded one */
};

struct sym_module {
	struct tally_module m;       /* copy of the log's entry */
	enum module_state state;
	Dwfl_Module *mod;            /* valid when state == MOD_OK */
	struct sym_table syms;
	struct cu_table cus;         /* used when libdwfl finds no line */
	struct fde_table eh;         /* from .eh_frame in the main file */
	struct fde_table debug;      /* from .debug_frame, main or debug file */
};

/* A resolved address, keyed by what the caller asked.  The generation is in
 * the key because it decides the module. */
struct cache_entry {
	uint64_t addr;
	uint32_t generation;
	uint32_t is_return_address;
	int module;                  /* index in symbolizer.mods, or -1 */
	char *function;
	char *file;
	int line;
	uint64_t func_start;
};

struct symbolizer {
	Dwfl *dwfl;                  /* NULL if libdwfl could not start: then
	                              * every answer is module+offset */
	struct sym_module *mods;     /* committed entries of the log's table */
	unsigned nmods;
	GHashTable *cache;           /* struct cache_entry, key and value */
};

/* The standard offline callbacks: separate debug files by build-id under
 * /usr/lib/debug/.build-id, .gnu_debuglink, and debuginfod when the user set
 * DEBUGINFOD_URLS (libdwfl does that inside dwfl_standard_find_debuginfo).
 * find_elf is never called for files given to dwfl_report_elf. */
static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* ---- FDE tables -------------------------------------------------------- */

/* Reads one value of DW_EH_PE format fmt (the low four bits of an encoding)
 * at *p and advances *p.  Returns false when it runs past end or the format
 * is unknown. */
static bool read_value(uint8_t fmt, const uint8_t **p, const uint8_t *end,
                       bool elf64, bool big_endian, uint64_t *out)
{
	const uint8_t *q = *p;
	unsigned size;

	if (fmt == DW_EH_PE_uleb128 || fmt == DW_EH_PE_sleb128) {
		uint64_t v = 0;
		unsigned shift = 0;
		uint8_t b;
		do {
			if (q >= end || shift > 63)
				return false;
			b = *q++;
			v |= (uint64_t)(b & 0x7f) << shift;
			shift += 7;
		} while (b & 0x80);
		if (fmt == DW_EH_PE_sleb128 && shift < 64 && (b & 0x40))
			v |= ~0ull << shift;
		*out = v;
		*p = q;
		return true;
	}
	switch (fmt) {
	case DW_EH_PE_absptr: size = elf64 ? 8 : 4; break;
	case DW_EH_PE_udata2: case DW_EH_PE_sdata2: size = 2; break;
	case DW_EH_PE_udata4: case DW_EH_PE_sdata4: size = 4; break;
	case DW_EH_PE_udata8: case DW_EH_PE_sdata8: size = 8; break;
	default: return false;
	}
	if ((size_t)(end - q) < size)
		return false;
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)q[big_endian ? i : size - 1 - i] << (8 * (size - 1 - i));
	if ((fmt & DW_EH_PE_signed) && size < 8 && (v >> (8 * size - 1)))
		v |= ~0ull << (8 * size);
	*out = v;
	*p = q + size;
	return true;
}

/* The encoding of initial_location in the FDEs of the CIE at cie_off: what
 * its 'R' augmentation says, absptr when it has none (.debug_frame).
 * Returns DW_EH_PE_omit when the augmentation cannot be parsed. */
static uint8_t cie_fde_encoding(const unsigned char *ident, Elf_Data *data, bool eh,
                                Dwarf_Off cie_off)
{
	Dwarf_CFI_Entry e;
	Dwarf_Off next;
	if (dwarf_next_cfi(ident, data, eh, cie_off, &next, &e) != 0
	    || e.CIE_id != LIBDW_CIE_ID)
		return DW_EH_PE_omit;

	bool elf64 = ident[EI_CLASS] == ELFCLASS64;
	bool big = ident[EI_DATA] == ELFDATA2MSB;
	bool sized = e.cie.augmentation[0] == 'z';
	const uint8_t *p = e.cie.augmentation_data;
	const uint8_t *end = sized ? p + e.cie.augmentation_data_size
	                           : (const uint8_t *)data->d_buf + data->d_size;
	uint64_t skip;

	for (const char *ap = e.cie.augmentation; *ap; ap++) {
		switch (*ap) {
		case 'z': case 'S': case 'B': case 'G':
			continue;
		case 'L':
			if (p >= end)
				return DW_EH_PE_omit;
			p++;
			continue;
		case 'R':
			return p < end ? *p : DW_EH_PE_omit;
		case 'P': {          /* personality: encoding, then pointer */
			if (p >= end)
				return DW_EH_PE_omit;
			uint8_t penc = *p++;
			if (!read_value(penc & 0x0f, &p, end, elf64, big, &skip))
				return DW_EH_PE_omit;
			continue;
		}
		default:
			/* an unknown letter's data may sit before 'R': give up */
			return DW_EH_PE_omit;
		}
	}
	return DW_EH_PE_absptr;
}

static int fde_range_cmp(const void *a, const void *b)
{
	const struct fde_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static Elf_Scn *find_section(Elf *elf, const char *name, GElf_Shdr *shdr)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		if (gelf_getshdr(scn, shdr) == NULL)
			continue;
		const char *n = elf_strptr(elf, shstrndx, shdr->sh_name);
		if (n && strcmp(n, name) == 0)
			return scn;
	}
	return NULL;
}

/* Fills t with the FDE ranges of section `name` of elf, moved by bias to
 * run-time addresses.  libdw has the FDE lookup we want inside Dwarf_CFI,
 * but dwarf_frame_info() only returns the range of the CFA row containing
 * the address, not the FDE's, so we walk the entries ourselves. */
static void fde_table_build(struct fde_table *t, Elf *elf, const char *name,
                            bool eh, uint64_t bias)
{
	t->built = true;
	if (elf == NULL)
		return;

	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(elf, name, &shdr);
	if (scn == NULL || shdr.sh_type == SHT_NOBITS)
		return;
	if ((shdr.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
		return;
	Elf_Data *data = elf_getdata(scn, NULL);
	const unsigned char *ident = (const unsigned char *)elf_getident(elf, NULL);
	if (data == NULL || data->d_buf == NULL || ident == NULL)
		return;

	bool elf64 = ident[EI_CLASS] == ELFCLASS64;
	bool big = ident[EI_DATA] == ELFDATA2MSB;
	const uint8_t *base = data->d_buf;
	GArray *out = g_array_new(FALSE, FALSE, sizeof(struct fde_range));
	Dwarf_Off off = 0, next, last_cie = (Dwarf_Off)-1;
	uint8_t enc = DW_EH_PE_omit;
	Dwarf_CFI_Entry e;

	for (; dwarf_next_cfi(ident, data, eh, off, &next, &e) == 0; off = next) {
		if (e.CIE_id == LIBDW_CIE_ID)
			continue;
		if (e.fde.CIE_pointer != last_cie) {
			last_cie = e.fde.CIE_pointer;
			enc = cie_fde_encoding(ident, data, eh, last_cie);
		}
		if (enc == DW_EH_PE_omit || (enc & DW_EH_PE_indirect))
			continue;

		const uint8_t *p = e.fde.start;
		uint64_t field = shdr.sh_addr + (uint64_t)(p - base);
		uint64_t start, len;
		if (!read_value(enc & 0x0f, &p, e.fde.end, elf64, big, &start)
		    || !read_value(enc & 0x0f, &p, e.fde.end, elf64, big, &len))
			continue;
		if ((enc & 0x70) == DW_EH_PE_pcrel)
			start += field;
		else if ((enc & 0x70) != DW_EH_PE_absptr)
			continue;  /* textrel/datarel: not used for code ranges */
		if (!elf64)
			start &= 0xffffffffu;
		/* the linker zeroes the FDEs of discarded functions */
		if (start == 0 || len == 0)
			continue;
		struct fde_range r = { start + bias, start + bias + len };
		g_array_append_val(out, r);
	}

	t->n = out->len;
	t->v = (struct fde_range *)(void *)g_array_free(out, FALSE);
	qsort(t->v, t->n, sizeof *t->v, fde_range_cmp);
}

/* Start of the FDE in t that covers pc, or 0. */
static uint64_t fde_table_find(const struct fde_table *t, uint64_t pc)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {                 /* first entry with start > pc */
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && pc < t->v[lo - 1].end)
		return t->v[lo - 1].start;
	return 0;
}

/* Run-time start of the function that contains pc according to the CFI:
 * .eh_frame first (always in the main file), then .debug_frame, which may
 * need the separate debug file.  0 when no FDE covers pc. */
static uint64_t cfi_function_start(struct sym_module *sm, uint64_t pc)
{
	Dwarf_Addr bias;
	uint64_t start;

	if (!sm->eh.built) {
		Elf *elf = dwfl_module_getelf(sm->mod, &bias);
		fde_table_build(&sm->eh, elf, ".eh_frame", true, bias);
	}
	start = fde_table_find(&sm->eh, pc);
	if (start != 0)
		return start;

	if (!sm->debug.built) {
		Dwarf *dw = dwfl_module_getdwarf(sm->mod, &bias);
		fde_table_build(&sm->debug, dw ? dwarf_getelf(dw) : NULL, ".debug_frame",
		                false, bias);
	}
	return fde_table_find(&sm->debug, pc);
}

/* ---- symbol tables ----------------------------------------------------- */

static int func_sym_cmp(const void *a, const void *b)
{
	const struct func_sym *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return strcmp(x->name, y->name);
}

/* Reads the module's function symbols once.  dwfl_module_addrinfo would
 * answer each address by scanning every symbol (about 100 us per address
 * in libc); a sorted copy answers in a binary search. */
static void sym_table_build(struct sym_table *t, Dwfl_Module *mod)
{
	t->built = true;
	int n = dwfl_module_getsymtab(mod);
	if (n <= 0)
		return;

	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(struct func_sym), (guint)n);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx,
		                                           NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);
		if (name == NULL || name[0] == '\0' || shndx == SHN_UNDEF
		    || (type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		/* Aliases: the public name (socket, not __socket; printf, not
		 * _IO_printf), then global before weak before local. */
		int bind = GELF_ST_BIND(sym.st_info);
		int underscores = (int)strspn(name, "_");
		struct func_sym f = {
			.start = addr,
			.end = addr + sym.st_size,
			.name = name,
			.rank = 4 * underscores + (bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2),
		};
		if (sym.st_size > t->max_size)
			t->max_size = sym.st_size;
		g_array_append_val(out, f);
	}
	t->n = out->len;
	t->v = (struct func_sym *)(void *)g_array_free(out, FALSE);
	qsort(t->v, t->n, sizeof *t->v, func_sym_cmp);
}

/* Index of the first entry with start > pc. */
static size_t sym_table_upper(const struct sym_table *t, uint64_t pc)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The sized symbol that contains pc, the innermost (latest start) if they
 * nest, the preferred alias if several start there; NULL if none.  Never
 * the nearest symbol below pc that ends before it. */
static const struct func_sym *sym_table_find(const struct sym_table *t, uint64_t pc)
{
	const struct func_sym *hit = NULL;
	for (size_t i = sym_table_upper(t, pc); i-- > 0;) {
		const struct func_sym *f = &t->v[i];
		if (hit != NULL && f->start != hit->start)
			break;
		if (pc < f->end)
			hit = f;
		else if (hit == NULL && pc - f->start >= t->max_size)
			break;  /* nothing further down is long enough to reach pc */
	}
	return hit;
}

/* A symbol without a size that starts exactly at start, or NULL. */
static const struct func_sym *sym_table_sizeless_at(const struct sym_table *t,
                                                    uint64_t start)
{
	const struct func_sym *hit = NULL;
	for (size_t i = sym_table_upper(t, start); i-- > 0 && t->v[i].start == start;)
		if (t->v[i].end == start)
			hit = &t->v[i];
	return hit;
}

/* ---- source lines ------------------------------------------------------ */

static int cu_range_cmp(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Reads the address ranges of every CU.  libdwfl finds a CU through
 * .debug_aranges only, and clang emits none by default: with elfutils
 * 0.188 dwfl_module_getsrc then fails for every address of the module. */
static void cu_table_build(struct cu_table *t, Dwfl_Module *mod)
{
	t->built = true;
	GArray *out = g_array_new(FALSE, FALSE, sizeof(struct cu_range));
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = NULL;

	while ((cu = dwfl_module_nextcu(mod, cu, &bias)) != NULL) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;
		while ((off = dwarf_ranges(cu, off, &base, &lo, &hi)) > 0) {
			/* ranges of discarded functions are left at 0 */
			if (lo == 0 || hi <= lo)
				continue;
			struct cu_range r = { lo + bias, hi + bias, *cu };
			g_array_append_val(out, r);
		}
	}
	t->bias = bias;
	t->n = out->len;
	t->v = (struct cu_range *)(void *)g_array_free(out, FALSE);
	qsort(t->v, t->n, sizeof *t->v, cu_range_cmp);
}

/* The line table row for pc, found through the CU table, or NULL. */
static Dwarf_Line *cu_table_line(struct cu_table *t, uint64_t pc)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {                 /* first range with lo > pc */
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || pc >= t->v[lo - 1].hi)
		return NULL;
	return dwarf_getsrc_die(&t->v[lo - 1].cu, pc - t->bias);
}

/* When pc lies in code inlined into a function, the line table gives the
 * inlined code's own line (gst_buffer_ref in gstbuffer.h) while the frame
 * is named after the function it was inlined into.  This replaces file and
 * line with the call site of the outermost inlined instance: the line in
 * the named function.  Leaves them alone when there is no inlining. */
static void inline_call_site(struct sym_module *sm, uint64_t pc, const char **file, int *line)
{
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(sm->mod, pc, &bias);
	Dwarf_Die *scopes = NULL;

	if (cu == NULL)
		return;
	int n = dwarf_getscopes(cu, pc - bias, &scopes);
	/* dwarf_getscopes goes on from the innermost inlined instance into
	 * its abstract origin, not into the code it was inlined into: the
	 * concrete nesting (inlined into inlined into the named function) is
	 * that instance's own chain of scopes, as eu-addr2line -i walks it. */
	int innermost = -1;
	for (int i = 0; i < n && innermost < 0; i++)
		if (dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine)
			innermost = i;
	Dwarf_Die *chain = NULL;
	int m = innermost >= 0 ? dwarf_getscopes_die(&scopes[innermost], &chain) : 0;
	const Dwarf_Die *outer = NULL;
	for (int i = 0; i < m; i++) {
		int tag = dwarf_tag(&chain[i]);
		if (tag == DW_TAG_inlined_subroutine)
			outer = &chain[i];
		else if (tag == DW_TAG_subprogram)
			break;
	}
	Dwarf_Attribute at;
	Dwarf_Word fileno, lineno;
	Dwarf_Files *files;
	size_t nfiles;
	if (outer && dwarf_formudata(dwarf_attr((Dwarf_Die *)outer, DW_AT_call_file, &at), &fileno) == 0 &&
	    dwarf_formudata(dwarf_attr((Dwarf_Die *)outer, DW_AT_call_line, &at), &lineno) == 0 &&
	    dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && fileno < nfiles && lineno > 0) {
		const char *f = dwarf_filesrc(files, fileno, NULL, NULL);
		if (f) {
			*file = f;
			*line = (int)lineno;
		}
	}
	free(chain);
	free(scopes);
}

/* Source file and line of pc; false when the module has no line for it. */
static bool source_line(struct sym_module *sm, uint64_t pc, const char **file, int *line)
{
	Dwfl_Line *dl = dwfl_module_getsrc(sm->mod, pc);
	if (dl != NULL) {
		*file = dwfl_lineinfo(dl, NULL, line, NULL, NULL, NULL);
		if (*file)
			inline_call_site(sm, pc, file, line);
		return *file != NULL;
	}

	if (!sm->cus.built)
		cu_table_build(&sm->cus, sm->mod);
	Dwarf_Line *l = cu_table_line(&sm->cus, pc);
	if (l == NULL || dwarf_lineno(l, line) != 0)
		return false;
	*file = dwarf_linesrc(l, NULL, NULL);
	return *file != NULL;
}

/* ---- modules ----------------------------------------------------------- */

/* The entry mapped at pc during generation, or -1. */
static int module_find(const struct symbolizer *s, uint32_t generation, uint64_t pc)
{
	if (!s->nmods)
		return -1;
	return modmatch_find(&s->mods[0].m, sizeof(s->mods[0]), s->nmods, generation, pc);
}

/* True unless the log recorded a build-id that differs from the file's.
 * Without a recorded id there is nothing to compare, and we trust the path. */
static bool build_id_matches(const struct tally_module *m, Dwfl_Module *mod)
{
	if (m->build_id_len == 0)
		return true;

	const unsigned char *bits;
	GElf_Addr vaddr;
	Dwarf_Addr bias;
	/* dwfl_module_build_id only knows the id once the ELF is loaded */
	dwfl_module_getelf(mod, &bias);
	int len = dwfl_module_build_id(mod, &bits, &vaddr);
	if (len <= 0 || (uint32_t)len != m->build_id_len)
		return false;
	/* ids longer than the log's field were stored truncated */
	size_t n = m->build_id_len < TALLY_BUILD_ID_MAX ? m->build_id_len : TALLY_BUILD_ID_MAX;
	return memcmp(bits, m->build_id, n) == 0;
}

/* Opens a module path from the log for reading, or returns -1.  The path
 * is untrusted: a FIFO there blocks open(2) until a writer comes, a device
 * can block a read or act on being opened, and neither is an object the
 * loader could have mapped.  So only a regular file is opened: stat first,
 * to leave devices unopened; O_NONBLOCK, so that a FIFO swapped in after
 * the stat still cannot block; fstat, to judge what was really opened. */
static int module_file_open(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reports the module's file to libdwfl on first use and checks it is the
 * build that was mapped.  Failures are remembered, never retried. */
static void module_open(struct symbolizer *s, struct sym_module *sm)
{
	if (sm->state != MOD_UNOPENED)
		return;
	sm->state = MOD_NO_FILE;
	if (s->dwfl == NULL || sm->m.path[0] != '/')
		return;  /* "" or a pseudo path such as [vdso] */

	/* add_p_vaddr = true makes base the load bias, so that run-time address
	 * = base + p_vaddr, as recorded.  With false, base would be where the
	 * first PT_LOAD starts, which differs when that p_vaddr is not 0
	 * (prelinked libraries).  For ET_EXEC libdwfl ignores base: bias 0.
	 * The name is unique per entry: libdwfl hands back an existing module
	 * for the same name and range, and on any disagreement marks it for
	 * removal at dwfl_report_end, under another entry's feet.  Entries may
	 * overlap in address; we never ask libdwfl which module holds an
	 * address, so that does not matter. */
	char name[TALLY_PATH_MAX + 16];
	snprintf(name, sizeof name, "%s#%u", sm->m.path, (unsigned)(sm - s->mods));

	/* Given fd -1, libdwfl would open the path itself, blocking on a FIFO.
	 * Given an fd, it owns it on success (closed with the module, in
	 * dwfl_end) and leaves it to us on failure (elfutils 0.188,
	 * dwfl_report_elf.c: it closes only an fd it opened).  The one
	 * exception, a compressed file that fails after decompression, makes
	 * our close fail with EBADF: harmless, as nothing here opens files
	 * concurrently (a symbolizer is single-threaded). */
	int fd = module_file_open(sm->m.path);
	if (fd < 0)
		return;
	dwfl_report_begin_add(s->dwfl);
	Dwfl_Module *mod = dwfl_report_elf(s->dwfl, name, sm->m.path, fd, sm->m.bias, true);
	dwfl_report_end(s->dwfl, NULL, NULL);
	if (mod == NULL) {
		close(fd);
		return;
	}
	if (!build_id_matches(&sm->m, mod)) {
		sm->state = MOD_MISMATCH;
		return;
	}
	sm->mod = mod;
	sm->state = MOD_OK;
}

/* ---- lookup ------------------------------------------------------------ */

/* The name to show: without the version a .symtab may carry
 * ("dlsym@@GLIBC_2.34"), and without the suffixes GCC gives the copies it
 * makes of a function ("relay.isra.0", "f.constprop.0", "g.part.0",
 * "h.cold"), so that a function's frames read and group as that function. */
/* libstdc++'s demangler (the C++ ABI's); the analyzer links libstdc++. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

static char *symbol_name(const struct func_sym *f)
{
	static const char *const clone_suffixes[] = { ".isra.", ".constprop.", ".part.",
	                                              ".cold", ".lto_priv." };
	size_t len = strcspn(f->name, "@");

	for (size_t i = 0; i < G_N_ELEMENTS(clone_suffixes); i++) {
		const char *p = g_strstr_len(f->name, (gssize)len, clone_suffixes[i]);
		if (p && p > f->name)
			len = (size_t)(p - f->name);
	}
	char *name = g_strndup(f->name, len);
	if (name[0] == '_' && name[1] == 'Z') {
		/* C++: "_ZL11main_socketv" reads as "main_socket()". */
		int status = -1;
		char *plain = __cxa_demangle(name, NULL, NULL, &status);
		if (status == 0 && plain) {
			g_free(name);
			name = g_strdup(plain);
		}
		free(plain);
	}
	return name;
}

/* Fills function, func_start and file:line of pc in an opened module. */
static void describe(struct sym_module *sm, uint64_t pc, struct cache_entry *c)
{
	if (!sm->syms.built)
		sym_table_build(&sm->syms, sm->mod);

	/* In a stripped library a static function has no symbol, and the
	 * nearest exported one below it is a wrong name: without a covering
	 * symbol, the function is known only by where its FDE starts.  A
	 * symbol without a size (assembly) names it if it starts right there. */
	const struct func_sym *f = sym_table_find(&sm->syms, pc);
	if (f != NULL) {
		c->function = symbol_name(f);
		c->func_start = f->start - sm->m.bias;
	} else {
		uint64_t start = cfi_function_start(sm, pc);
		if (start != 0) {
			c->func_start = start - sm->m.bias;
			f = sym_table_sizeless_at(&sm->syms, start);
			c->function = f ? symbol_name(f) : NULL;
		}
	}

	const char *file;
	int line = 0;
	if (source_line(sm, pc, &file, &line)) {
		c->file = g_strdup(file);
		c->line = line;
	}
}

static struct cache_entry *resolve(struct symbolizer *s, uint32_t generation,
                                   uint64_t addr, bool is_return_address)
{
	struct cache_entry *c = g_new0(struct cache_entry, 1);
	c->addr = addr;
	c->generation = generation;
	c->is_return_address = is_return_address;

	/* A return address follows the call; when the call is a function's
	 * last instruction (a noreturn callee) addr is already past the end,
	 * possibly past the module.  addr - 1 is inside the call. */
	uint64_t pc = is_return_address && addr > 0 ? addr - 1 : addr;
	c->module = module_find(s, generation, pc);
	if (c->module < 0)
		return c;

	struct sym_module *sm = &s->mods[c->module];
	module_open(s, sm);
	if (sm->state == MOD_OK)
		describe(sm, pc, c);
	return c;
}

static guint cache_hash(gconstpointer p)
{
	const struct cache_entry *c = p;
	uint64_t h = c->addr ^ ((uint64_t)c->generation << 1 | c->is_return_address)
	                       * 0x9e3779b97f4a7c15ull;
	h *= 0xff51afd7ed558ccdull;
	return (guint)(h ^ (h >> 32));
}

static gboolean cache_equal(gconstpointer a, gconstpointer b)
{
	const struct cache_entry *x = a, *y = b;
	return x->addr == y->addr && x->generation == y->generation
	       && x->is_return_address == y->is_return_address;
}

static void cache_entry_free(gpointer p)
{
	struct cache_entry *c = p;
	g_free(c->function);
	g_free(c->file);
	g_free(c);
}

void symbolizer_lookup(struct symbolizer *s, uint32_t generation, uint64_t addr,
                       bool is_return_address, struct tally_frame_info *out)
{
	memset(out, 0, sizeof *out);
	out->offset = addr;

	struct cache_entry key = {
		.addr = addr,
		.generation = generation,
		.is_return_address = is_return_address,
	};
	struct cache_entry *c = g_hash_table_lookup(s->cache, &key);
	if (c == NULL) {
		c = resolve(s, generation, addr, is_return_address);
		g_hash_table_add(s->cache, c);
	}
	if (c->module < 0)
		return;

	const struct sym_module *sm = &s->mods[c->module];
	out->module = sm->m.path;
	out->offset = addr - sm->m.bias;
	out->build_id_mismatch = sm->state == MOD_MISMATCH;
	out->function = g_strdup(c->function);
	out->file = g_strdup(c->file);
	out->line = c->line;
	out->func_start = c->func_start;
}

void symbolizer_frame_clear(struct tally_frame_info *fi)
{
	g_free(fi->function);
	g_free(fi->file);
	memset(fi, 0, sizeof *fi);
}

/* ---- life cycle -------------------------------------------------------- */

struct symbolizer *symbolizer_new(const struct tally_module *modules, unsigned count)
{
	struct symbolizer *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->mods = calloc(count ? count : 1, sizeof *s->mods);
	if (s->mods == NULL) {
		free(s);
		return NULL;
	}
	for (unsigned i = 0; i < count; i++) {
		if (modules[i].committed != 1)
			continue;
		struct sym_module *sm = &s->mods[s->nmods++];
		sm->m = modules[i];
		/* the log is untrusted input: make the path a C string */
		sm->m.path[TALLY_PATH_MAX - 1] = '\0';
	}
	s->dwfl = dwfl_begin(&offline_callbacks);
	s->cache = g_hash_table_new_full(cache_hash, cache_equal, cache_entry_free, NULL);
	return s;
}

void symbolizer_free(struct symbolizer *s)
{
	if (s == NULL)
		return;
	g_hash_table_destroy(s->cache);
	for (unsigned i = 0; i < s->nmods; i++) {
		g_free(s->mods[i].syms.v);
		g_free(s->mods[i].cus.v);
		g_free(s->mods[i].eh.v);
		g_free(s->mods[i].debug.v);
	}
	free(s->mods);
	if (s->dwfl != NULL)
		dwfl_end(s->dwfl);
	free(s);
}
