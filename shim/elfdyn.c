/*
 * elfdyn — reading a loaded module's dynamic section.  See elfdyn.h.
 */
#include "elfdyn.h"

#include <string.h>

/* ld.so relocates most d_ptr values in place; in the vDSO and on some
 * architectures they stay file-relative.  A pointer below the bias is one
 * of those. */
static uintptr_t dptr(uintptr_t bias, ElfW(Addr) v)
{
	return v < bias ? bias + v : v;
}

int elfdyn_read(const struct dl_phdr_info *info, struct elfdyn *d)
{
	const ElfW(Dyn) *dyn = NULL;
	size_t pltrelsz = 0, relasz = 0, relaent = sizeof(ElfW(Rela));
	int pltrel_rela = 1;

	memset(d, 0, sizeof(*d));
	d->bias = info->dlpi_addr;
	d->name = info->dlpi_name;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
		if (ph->p_type == PT_GNU_RELRO) {
			/* What ld.so made read-only: the whole pages only.  The
			 * rest of a last partial page stays writable. */
			uintptr_t a = info->dlpi_addr + ph->p_vaddr;
			d->relro_lo = a & ~(uintptr_t)4095;
			d->relro_hi = (a + ph->p_memsz) & ~(uintptr_t)4095;
		}
	}
	if (!dyn)
		return -1;
	size_t soname = 0;
	int has_soname = 0;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: d->symtab = (const void *)dptr(d->bias, dyn->d_un.d_ptr); break;
		case DT_STRTAB: d->strtab = (const void *)dptr(d->bias, dyn->d_un.d_ptr); break;
		case DT_STRSZ: d->strsz = dyn->d_un.d_val; break;
		case DT_GNU_HASH: d->gnu_hash = (const void *)dptr(d->bias, dyn->d_un.d_ptr); break;
		case DT_HASH: d->sysv_hash = (const void *)dptr(d->bias, dyn->d_un.d_ptr); break;
		case DT_JMPREL: d->jmprel = (const void *)dptr(d->bias, dyn->d_un.d_ptr); break;
		case DT_PLTRELSZ: pltrelsz = dyn->d_un.d_val; break;
		case DT_PLTREL: pltrel_rela = dyn->d_un.d_val == DT_RELA; break;
		case DT_RELA: d->rela = (const void *)dptr(d->bias, dyn->d_un.d_ptr); break;
		case DT_RELASZ: relasz = dyn->d_un.d_val; break;
		case DT_RELAENT: relaent = dyn->d_un.d_val; break;
		case DT_RPATH: case DT_RUNPATH: d->has_rpath = 1; break;
		case DT_SONAME: soname = dyn->d_un.d_val; has_soname = 1; break;
		default: break;
		}
	}
	if (!d->symtab || !d->strtab)
		return -1;
	d->soname = has_soname && soname < d->strsz ? d->strtab + soname : NULL;
	if (!pltrel_rela || relaent != sizeof(ElfW(Rela)))
		d->jmprel = NULL, pltrelsz = 0;
	if (relaent != sizeof(ElfW(Rela)))
		d->rela = NULL, relasz = 0;
	d->jmprel_count = d->jmprel ? pltrelsz / sizeof(ElfW(Rela)) : 0;
	d->rela_count = d->rela ? relasz / sizeof(ElfW(Rela)) : 0;
	return 0;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (uint8_t)*s;
	return h;
}

static uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0, g;
	for (; *s; s++) {
		h = (h << 4) + (uint8_t)*s;
		g = h & 0xf0000000;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

/* A defined, exported function or object named `name` at index i. */
static void *match(const struct elfdyn *d, uint32_t i, const char *name, size_t *size)
{
	const ElfW(Sym) *sym = &d->symtab[i];

	if (sym->st_shndx == SHN_UNDEF || sym->st_name >= d->strsz || !sym->st_value)
		return NULL;
	unsigned type = ELF64_ST_TYPE(sym->st_info);
	if (type != STT_FUNC && type != STT_OBJECT)
		return NULL;
	if (ELF64_ST_VISIBILITY(sym->st_other) == STV_HIDDEN ||
	    ELF64_ST_VISIBILITY(sym->st_other) == STV_INTERNAL)
		return NULL;
	if (strcmp(d->strtab + sym->st_name, name) != 0)
		return NULL;
	if (size)
		*size = sym->st_size;
	return (void *)(d->bias + sym->st_value);
}

void *elfdyn_lookup(const struct elfdyn *d, const char *name, size_t *size)
{
	if (d->gnu_hash) {
		const uint32_t *gh = d->gnu_hash;
		uint32_t nbuckets = gh[0], symoffset = gh[1], bloom_size = gh[2];
		const ElfW(Addr) *bloom = (const void *)&gh[4];
		const uint32_t *buckets = (const void *)&bloom[bloom_size];
		const uint32_t *chain = &buckets[nbuckets];
		uint32_t h = gnu_hash(name);

		if (!nbuckets)
			return NULL;
		for (uint32_t i = buckets[h % nbuckets]; i >= symoffset && i; i++) {
			uint32_t ch = chain[i - symoffset];
			if ((ch | 1) == (h | 1)) {
				void *p = match(d, i, name, size);
				if (p)
					return p;
			}
			if (ch & 1)
				break;
		}
		return NULL;
	}
	if (d->sysv_hash) {
		uint32_t nbucket = d->sysv_hash[0];
		const uint32_t *bucket = &d->sysv_hash[2], *chain = &bucket[nbucket];
		if (!nbucket)
			return NULL;
		for (uint32_t i = bucket[sysv_hash(name) % nbucket]; i; i = chain[i]) {
			void *p = match(d, i, name, size);
			if (p)
				return p;
		}
	}
	return NULL;
}

static void each_in(const struct elfdyn *d, const ElfW(Rela) *r, size_t n,
                    void (*fn)(void **, const char *, void *), void *arg)
{
	for (size_t i = 0; i < n; i++) {
		unsigned type = ELF64_R_TYPE(r[i].r_info), sym = ELF64_R_SYM(r[i].r_info);
#if defined(__x86_64__)
		if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
			continue;
#elif defined(__aarch64__)
		if (type != R_AARCH64_JUMP_SLOT && type != R_AARCH64_GLOB_DAT)
			continue;
#else
		(void)type;
		continue;
#endif
		if (!sym || d->symtab[sym].st_name >= d->strsz)
			continue;
		fn((void **)(d->bias + r[i].r_offset), d->strtab + d->symtab[sym].st_name, arg);
	}
}

void elfdyn_each_got(const struct elfdyn *d, void (*fn)(void **, const char *, void *), void *arg)
{
	each_in(d, d->jmprel, d->jmprel_count, fn, arg);
	each_in(d, d->rela, d->rela_count, fn, arg);
}
