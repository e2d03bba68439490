/*
 * ports — compress port lists for reports.
 */
#include "ports.h"

#include <stdio.h>
#include <stdlib.h>

static int cmp_port(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

size_t ports_to_ranges(uint16_t *ports, size_t n, struct port_range *out)
{
	size_t count = 0;

	if (n == 0)
		return 0;   /* ports may be NULL then, which qsort must not get */
	qsort(ports, n, sizeof(*ports), cmp_port);
	for (size_t i = 0; i < n; i++) {
		uint16_t p = ports[i];
		if (p == 0)
			continue;
		if (count && (p == out[count - 1].hi || p == out[count - 1].hi + 1)) {
			out[count - 1].hi = p;
			continue;
		}
		out[count].lo = out[count].hi = p;
		count++;
	}
	return count;
}

void ports_format_range(const struct port_range *r, char *buf, size_t size)
{
	if (r->lo == r->hi)
		snprintf(buf, size, "%u", r->lo);
	else
		snprintf(buf, size, "%u-%u", r->lo, r->hi);
}
