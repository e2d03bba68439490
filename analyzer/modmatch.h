/*
 * modmatch — which module of a log's module table holds an address, for a
 * stack captured at a given module generation.  Shared by the symbolizer
 * and the analysis (which groups stacks by what their frames resolve to).
 */
#ifndef TALLY_MODMATCH_H
#define TALLY_MODMATCH_H

#include <stddef.h>
#include <stdint.h>

#include "tally/format.h"

/* Index of the committed module in mods[0..n) (entries `stride` bytes
 * apart) whose range holds pc and that was mapped at `generation`; failing
 * that, the earliest one mapped after it (a stack captured while a library
 * was being dlopen'ed, before the shim's rescan published it).  -1 if
 * none. */
int modmatch_find(const struct tally_module *mods, size_t stride, unsigned n,
                  uint32_t generation, uint64_t pc);

#endif
