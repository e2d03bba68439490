/*
 * elfdyn — what the dynamic section of a loaded ELF module says, read from
 * memory: its exported symbols (through DT_GNU_HASH or DT_HASH) and its
 * GOT relocations.  No allocation, no syscall.
 */
#ifndef TALLY_ELFDYN_H
#define TALLY_ELFDYN_H

#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>

struct elfdyn {
	uintptr_t bias;
	const char *name;
	const ElfW(Sym) *symtab;
	const char *strtab;
	size_t strsz;
	const uint32_t *gnu_hash;
	const uint32_t *sysv_hash;
	const ElfW(Rela) *jmprel;      /* PLT relocations */
	size_t jmprel_count;
	const ElfW(Rela) *rela;        /* other relocations (GLOB_DAT, ...) */
	size_t rela_count;
	uintptr_t relro_lo, relro_hi;  /* the whole pages of PT_GNU_RELRO: what
	                                * ld.so made read-only */
	int has_rpath;                 /* DT_RPATH or DT_RUNPATH present */
	const char *soname;            /* DT_SONAME, or NULL */
};

/* Reads the module's dynamic section.  Returns 0, or -1 when it has none
 * usable (the vDSO, a static object). */
int elfdyn_read(const struct dl_phdr_info *info, struct elfdyn *out);

/* The module's own definition of `name` (a function or object it exports),
 * or NULL.  *size gets the symbol's size. */
void *elfdyn_lookup(const struct elfdyn *d, const char *name, size_t *size);

/* Calls fn(GOT slot, symbol name, arg) for each JUMP_SLOT and GLOB_DAT
 * relocation with a symbol. */
void elfdyn_each_got(const struct elfdyn *d,
                     void (*fn)(void **slot, const char *name, void *arg), void *arg);

#endif
