/*
 * Offline symbolizer: turns a recorded frame (return address + the stack's
 * module generation) into module, offset, function and file:line, using the
 * module table from the log and elfutils libdwfl.  Files are opened lazily
 * and every answer is cached, so a report can look up the same frame many
 * times.  It never fails the caller: what cannot be found is left unknown.
 */
#ifndef TALLY_SYMBOLIZE_H
#define TALLY_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "tally/format.h"

struct symbolizer;

/* What is known about one frame.  Fields filled by symbolizer_lookup();
 * function and file belong to the caller (symbolizer_frame_clear frees them). */
struct tally_frame_info {
	char *function;          /* symbol name without @version, not
	                          * demangled; NULL unless a sized symbol
	                          * covers the address (or a sizeless one
	                          * starts where its FDE starts) */
	char *file;              /* source file from DWARF, NULL when unknown */
	int line;                /* 0 when unknown */
	const char *module;      /* module path (owned by the symbolizer), NULL
	                          * when no module held the address */
	uint64_t offset;         /* address - module bias (the address itself
	                          * when module is NULL) */
	uint64_t func_start;     /* offset of the enclosing function's first
	                          * byte, from the symbol or else from the
	                          * .eh_frame/.debug_frame FDE; 0 when unknown */
	bool build_id_mismatch;  /* the file on disk is not the one that was
	                          * mapped: only module and offset are given */
};

/* Takes a copy of the committed entries of modules[0..count); the table
 * need not outlive the symbolizer.  Returns NULL only when out of memory.
 * A symbolizer is not thread-safe: use one per thread. */
struct symbolizer *symbolizer_new(const struct tally_module *modules, unsigned count);

/* Describes addr as seen by a stack captured at module generation
 * `generation`.  With is_return_address, the module, function, func_start
 * and file:line are those of addr - 1 (the call instruction, which may be
 * the last one of a function), while offset still reports addr itself.
 * out is overwritten; clear it with symbolizer_frame_clear() when done. */
void symbolizer_lookup(struct symbolizer *s, uint32_t generation, uint64_t addr,
                       bool is_return_address, struct tally_frame_info *out);

/* Frees the strings of fi and zeroes it; safe to call twice. */
void symbolizer_frame_clear(struct tally_frame_info *fi);

void symbolizer_free(struct symbolizer *s);

#endif /* TALLY_SYMBOLIZE_H */
