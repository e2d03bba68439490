/*
 * ports — a set of port numbers as sorted, merged ranges ("20000-20009").
 */
#ifndef TALLY_PORTS_H
#define TALLY_PORTS_H

#include <stddef.h>
#include <stdint.h>

struct port_range {
	uint16_t lo, hi;   /* inclusive */
};

/* Sorts `ports` in place, drops duplicates and zeros, and writes the
 * merged ranges into out (at most n entries, which always suffices).
 * Returns the number of ranges. */
size_t ports_to_ranges(uint16_t *ports, size_t n, struct port_range *out);

/* Formats one range as "P" or "LO-HI". */
void ports_format_range(const struct port_range *r, char *buf, size_t size);

#endif
