/*
 * cfi — the DWARF call-frame rule at one code address, read from the
 * module's .eh_frame (found through PT_GNU_EH_FRAME's sorted table).
 *
 * Only what an x86-64 stack walk needs, and only the plain cases: the CFA
 * is rsp or rbp plus a constant, the return address is saved at CFA - 8
 * (or undefined: the outermost frame), rbp is unchanged or saved at CFA
 * plus a constant.  Anything else (expressions, signal frames, other CFA
 * registers, no unwind info) is reported as unsupported, and the caller
 * leaves that stack to libunwind.  No malloc, no lock, no syscall
 * (dl_iterate_phdr takes the loader's lock for reading).
 */
#ifndef TALLY_CFI_H
#define TALLY_CFI_H

#include <stdint.h>

struct cfi_rule {
	uint8_t ok;            /* 1: one of the plain cases below */
	uint8_t cfa_rbp;       /* CFA = rbp + cfa_off, else rsp + cfa_off */
	uint8_t ra_undefined;  /* no caller: the outermost frame */
	uint8_t rbp_saved;     /* the caller's rbp is at CFA + rbp_off */
	int32_t cfa_off;
	int32_t rbp_off;
};

/* The rule in force at code address `ip` (for a return address, pass the
 * address of the call: return address - 1).  Returns rule->ok. */
int cfi_rule_at(uintptr_t ip, struct cfi_rule *rule);

#endif
