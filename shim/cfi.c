/*
 * cfi — the call-frame rule at a code address (see cfi.h).
 *
 * The FDE is found with the binary-search table of .eh_frame_hdr; the
 * CIE's initial instructions and the FDE's instructions are run up to the
 * address.  Every read stays inside the CIE or FDE it belongs to.
 */
#include "cfi.h"

#include <link.h>
#include <stddef.h>
#include <string.h>

#define DW_EH_PE_omit 0xff
#define DW_EH_PE_datarel_sdata4 0x3b

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

struct cursor {
	const uint8_t *p, *end;
	int bad;
};

static uint64_t uleb(struct cursor *c)
{
	uint64_t v = 0;
	unsigned shift = 0;

	for (;;) {
		if (c->p >= c->end || shift > 63) {
			c->bad = 1;
			return 0;
		}
		uint8_t b = *c->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
}

static int64_t sleb(struct cursor *c)
{
	int64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (c->p >= c->end || shift > 63) {
			c->bad = 1;
			return 0;
		}
		b = *c->p++;
		v |= (int64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= -((int64_t)1 << shift);
	return v;
}

static uint64_t fixed(struct cursor *c, unsigned n)
{
	uint64_t v = 0;

	if ((size_t)(c->end - c->p) < n) {
		c->bad = 1;
		return 0;
	}
	memcpy(&v, c->p, n);   /* little-endian */
	c->p += n;
	return v;
}

/* A pointer in encoding `enc`; pcrel is relative to the field itself,
 * datarel to `data`.  Other applications (textrel, funcrel) are refused. */
static uintptr_t encoded(struct cursor *c, uint8_t enc, uintptr_t data)
{
	uintptr_t at = (uintptr_t)c->p, v;

	if (enc == DW_EH_PE_omit)
		return 0;
	switch (enc & 0x0f) {
	case 0x00: v = (uintptr_t)fixed(c, 8); break;
	case 0x01: v = (uintptr_t)uleb(c); break;
	case 0x02: v = (uintptr_t)fixed(c, 2); break;
	case 0x03: v = (uintptr_t)fixed(c, 4); break;
	case 0x04: v = (uintptr_t)fixed(c, 8); break;
	case 0x09: v = (uintptr_t)sleb(c); break;
	case 0x0a: v = (uintptr_t)(int64_t)(int16_t)fixed(c, 2); break;
	case 0x0b: v = (uintptr_t)(int64_t)(int32_t)fixed(c, 4); break;
	case 0x0c: v = (uintptr_t)fixed(c, 8); break;
	default: c->bad = 1; return 0;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case 0x10: v += at; break;
	case 0x30: v += data; break;
	default: c->bad = 1; return 0;
	}
	return v;   /* DW_EH_PE_indirect (0x80) only in 'P': value unused */
}

/* ---- finding the FDE ---------------------------------------------------- */

struct find {
	uintptr_t ip;
	const uint8_t *hdr;     /* .eh_frame_hdr of the module holding ip */
	int found;              /* ip lies in a loaded segment */
};

static int find_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find *f = arg;
	const ElfW(Phdr) *eh = NULL;
	int inside = 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && f->ip >= lo && f->ip - lo < ph->p_memsz)
			inside = 1;
		else if (ph->p_type == PT_GNU_EH_FRAME)
			eh = ph;
	}
	if (!inside)
		return 0;
	f->found = 1;
	f->hdr = eh ? (const uint8_t *)(info->dlpi_addr + eh->p_vaddr) : NULL;
	return 1;
}

/* The FDE whose table entry is the last one at or below ip, or NULL. */
static const uint8_t *fde_for(uintptr_t ip)
{
	struct find f = { ip, NULL, 0 };

	dl_iterate_phdr(find_module, &f);
	if (!f.hdr || f.hdr[0] != 1 || f.hdr[3] != DW_EH_PE_datarel_sdata4)
		return NULL;
	uintptr_t hdr = (uintptr_t)f.hdr;
	struct cursor c = { f.hdr + 4, f.hdr + 4 + 16, 0 };
	(void)encoded(&c, f.hdr[1], hdr);                 /* eh_frame_ptr */
	uint64_t count = encoded(&c, f.hdr[2], hdr);
	if (c.bad || count == 0 || count > (1u << 28))
		return NULL;
	const int32_t *table = (const int32_t *)c.p;
	uint64_t lo = 0, hi = count;                        /* [lo, hi) */
	if ((uintptr_t)(hdr + table[0]) > ip)
		return NULL;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)(hdr + table[2 * mid]) <= ip)
			lo = mid;
		else
			hi = mid;
	}
	return (const uint8_t *)(hdr + table[2 * lo + 1]);
}

/* ---- running the CFA program -------------------------------------------- */

enum { R_SAME = 0, R_UNDEF, R_OFFSET, R_BAD };

struct reg_rule {
	uint8_t kind;
	int64_t off;
};

struct row {
	int cfa_reg;
	int64_t cfa_off;
	struct reg_rule rbp, ra;
};

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint8_t fde_enc;
	int has_z;
	const uint8_t *insns, *end;
};

static int parse_cie(const uint8_t *p, struct cie *cie)
{
	uint32_t len;

	memcpy(&len, p, 4);
	if (len == 0 || len == 0xffffffffu)
		return -1;
	struct cursor c = { p + 4, p + 4 + len, 0 };
	if (fixed(&c, 4) != 0)
		return -1;                                 /* not a CIE */
	uint8_t version = (uint8_t)fixed(&c, 1);
	if (version != 1 && version != 3 && version != 4)
		return -1;
	const char *aug = (const char *)c.p;
	size_t auglen = strnlen(aug, (size_t)(c.end - c.p));
	if (auglen == (size_t)(c.end - c.p))
		return -1;
	c.p += auglen + 1;
	if (version == 4)
		c.p += 2;                                  /* address and segment sizes */
	cie->code_align = uleb(&c);
	cie->data_align = sleb(&c);
	uint64_t ra = version == 1 ? fixed(&c, 1) : uleb(&c);
	if (c.bad || ra != REG_RA)
		return -1;
	cie->fde_enc = 0;
	cie->has_z = aug[0] == 'z';
	if (auglen && !cie->has_z)
		return -1;
	if (cie->has_z) {
		uint64_t n = uleb(&c);
		if (c.bad || n > (uint64_t)(c.end - c.p))
			return -1;
		const uint8_t *after = c.p + n;
		for (size_t i = 1; i < auglen && !c.bad; i++) {
			switch (aug[i]) {
			case 'L': fixed(&c, 1); break;
			case 'P': { uint8_t enc = (uint8_t)fixed(&c, 1);
				    (void)encoded(&c, enc & 0x7f, 0); break; }
			case 'R': cie->fde_enc = (uint8_t)fixed(&c, 1); break;
			case 'B': break;
			default: return -1;                /* 'S' (signal frame) too */
			}
		}
		if (c.bad)
			return -1;
		c.p = after;
	}
	cie->insns = c.p;
	cie->end = c.end;
	return 0;
}

/* Runs instructions [p, end) on *row; stops before the row that starts
 * past `ip` (loc tracks the address, NULL loc: CIE, no advancing). */
static int run(const uint8_t *p, const uint8_t *end, const struct cie *cie, uintptr_t *loc,
               uintptr_t ip, struct row *row, const struct row *initial)
{
	struct cursor c = { p, end, 0 };
	struct row stack[8];
	int depth = 0;

	while (c.p < c.end && !c.bad) {
		uint8_t op = *c.p++;
		uint64_t reg = 0, delta = 0;
		int64_t off = 0;
		int advance = 0;

		switch (op >> 6) {
		case 1: delta = op & 0x3f; advance = 1; break;
		case 2: reg = op & 0x3f; off = (int64_t)uleb(&c) * cie->data_align; goto set_offset;
		case 3: reg = op & 0x3f; goto restore;
		default: break;
		}
		if (!advance) {
			switch (op) {
			case 0x00: continue;                               /* nop */
			case 0x02: delta = fixed(&c, 1); advance = 1; break;
			case 0x03: delta = fixed(&c, 2); advance = 1; break;
			case 0x04: delta = fixed(&c, 4); advance = 1; break;
			case 0x05: reg = uleb(&c); off = (int64_t)uleb(&c) * cie->data_align; goto set_offset;
			case 0x11: reg = uleb(&c); off = sleb(&c) * cie->data_align; goto set_offset;
			case 0x2f: reg = uleb(&c); off = -(int64_t)uleb(&c) * cie->data_align; goto set_offset;
			case 0x06: reg = uleb(&c); goto restore;
			case 0x07: reg = uleb(&c);                         /* undefined */
				if (reg == REG_RBP) row->rbp.kind = R_UNDEF;
				else if (reg == REG_RA) row->ra.kind = R_UNDEF;
				else if (reg == REG_RSP) return -1;
				continue;
			case 0x08: reg = uleb(&c);                         /* same_value */
				if (reg == REG_RBP) row->rbp.kind = R_SAME;
				else if (reg == REG_RA || reg == REG_RSP) return -1;
				continue;
			case 0x09: reg = uleb(&c); (void)uleb(&c);         /* register */
				if (reg == REG_RBP || reg == REG_RA || reg == REG_RSP) return -1;
				continue;
			case 0x0a:                                         /* remember_state */
				if (depth == 8) return -1;
				stack[depth++] = *row;
				continue;
			case 0x0b:                                         /* restore_state */
				if (depth == 0) return -1;
				*row = stack[--depth];
				continue;
			case 0x0c: row->cfa_reg = (int)uleb(&c); row->cfa_off = (int64_t)uleb(&c); continue;
			case 0x0d: row->cfa_reg = (int)uleb(&c); continue;
			case 0x0e: row->cfa_off = (int64_t)uleb(&c); continue;
			case 0x12: row->cfa_reg = (int)uleb(&c); row->cfa_off = sleb(&c) * cie->data_align; continue;
			case 0x13: row->cfa_off = sleb(&c) * cie->data_align; continue;
			case 0x2e: (void)uleb(&c); continue;               /* GNU_args_size */
			case 0x10: case 0x16: {                            /* (val_)expression */
				reg = uleb(&c);
				uint64_t n = uleb(&c);
				if (reg == REG_RBP || reg == REG_RA || reg == REG_RSP ||
				    c.bad || n > (uint64_t)(c.end - c.p))
					return -1;
				c.p += n;
				continue;
			}
			case 0x14: case 0x15:                              /* val_offset(_sf) */
				reg = uleb(&c);
				if (op == 0x14) (void)uleb(&c); else (void)sleb(&c);
				if (reg == REG_RBP || reg == REG_RA || reg == REG_RSP) return -1;
				continue;
			default:
				return -1;   /* set_loc, def_cfa_expression, unknown */
			}
		}
		/* advance */
		if (!loc)
			return -1;       /* no advancing in a CIE */
		uintptr_t next = *loc + delta * cie->code_align;
		if (next > ip)
			return c.bad ? -1 : 0;
		*loc = next;
		continue;
set_offset:
		if (reg == REG_RBP)
			row->rbp.kind = R_OFFSET, row->rbp.off = off;
		else if (reg == REG_RA)
			row->ra.kind = R_OFFSET, row->ra.off = off;
		else if (reg == REG_RSP)
			return -1;
		continue;
restore:
		if (!initial)
			return -1;
		if (reg == REG_RBP)
			row->rbp = initial->rbp;
		else if (reg == REG_RA)
			row->ra = initial->ra;
		else if (reg == REG_RSP)
			return -1;
		continue;
	}
	return c.bad ? -1 : 0;
}

int cfi_rule_at(uintptr_t ip, struct cfi_rule *rule)
{
	struct cie cie;
	uint32_t len, cie_off;

	memset(rule, 0, sizeof(*rule));
#if !defined(__x86_64__)
	return 0;   /* the register numbers below are x86-64's */
#endif
	const uint8_t *fde = fde_for(ip);
	if (!fde)
		return 0;
	memcpy(&len, fde, 4);
	memcpy(&cie_off, fde + 4, 4);
	if (len == 0 || len == 0xffffffffu || cie_off == 0)
		return 0;
	if (parse_cie(fde + 4 - cie_off, &cie) != 0)
		return 0;
	struct cursor c = { fde + 8, fde + 4 + len, 0 };
	uintptr_t begin = encoded(&c, cie.fde_enc, 0);
	uintptr_t range = encoded(&c, cie.fde_enc & 0x0f, 0);
	if (cie.has_z) {
		uint64_t n = uleb(&c);
		if (n > (uint64_t)(c.end - c.p))
			return 0;
		c.p += n;
	}
	if (c.bad || ip < begin || ip - begin >= range)
		return 0;

	struct row row = { -1, 0, { R_SAME, 0 }, { R_SAME, 0 } }, initial;
	if (run(cie.insns, cie.end, &cie, NULL, ip, &row, NULL) != 0)
		return 0;
	initial = row;
	uintptr_t loc = begin;
	if (run(c.p, c.end, &cie, &loc, ip, &row, &initial) != 0)
		return 0;

	if ((row.cfa_reg != REG_RSP && row.cfa_reg != REG_RBP) ||
	    row.cfa_off < INT32_MIN || row.cfa_off > INT32_MAX)
		return 0;
	if (row.ra.kind == R_UNDEF)
		rule->ra_undefined = 1;
	else if (row.ra.kind != R_OFFSET || row.ra.off != -8)
		return 0;
	if (row.rbp.kind == R_OFFSET) {
		if (row.rbp.off < INT32_MIN || row.rbp.off > INT32_MAX)
			return 0;
		rule->rbp_saved = 1;
		rule->rbp_off = (int32_t)row.rbp.off;
	} else if (row.rbp.kind != R_SAME) {
		return 0;
	}
	rule->cfa_rbp = row.cfa_reg == REG_RBP;
	rule->cfa_off = (int32_t)row.cfa_off;
	rule->ok = 1;
	return 1;
}
