/*
 * clockns — a clock read as nanoseconds, the one way the shim reads time.
 * 0 when the clock cannot be read (never for the monotonic clocks on
 * Linux, but a failed read must not give garbage).
 */
#ifndef TALLY_CLOCKNS_H
#define TALLY_CLOCKNS_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
