/*
 * fdstate — open/close/update of the open-socket table.
 */
#include "fdstate.h"
#include "depot.h"

#include <string.h>

static void count_closed(struct tally_log *log, uint32_t stack_id)
{
	__atomic_fetch_add(&log->hdr->sockets_closed, 1, __ATOMIC_RELAXED);
	struct tally_stack *st = depot_entry(log, stack_id);
	if (st)
		__atomic_fetch_add(&st->closed, 1, __ATOMIC_RELAXED);
}

struct tally_fd_slot *fdstate_open_begin(struct tally_log *log, int fd, uint32_t stack_id,
                                         uint64_t *stale_out)
{
	struct tally_fd_slot *s = fdstate_slot(log, fd);
	struct tally_stack *st;
	uint64_t stale;

	*stale_out = 0;
	/* A socket beyond the table is counted apart, not in the books: its
	 * close could never be, and created - closed must equal open. */
	if (!s) {
		if (fd >= 0)
			__atomic_fetch_add(&log->hdr->dropped[TALLY_DROP_STATE_FULL], 1, __ATOMIC_RELAXED);
		return NULL;
	}
	__atomic_fetch_add(&log->hdr->sockets_created, 1, __ATOMIC_RELAXED);
	st = depot_entry(log, stack_id);
	if (st)
		__atomic_fetch_add(&st->created, 1, __ATOMIC_RELAXED);
	/* Empty the slot first so a live reader never mixes two sockets.  An
	 * exchange, not a load: with a double close in the program, two
	 * threads can publish at the same fd, and each socket they replace
	 * must be counted closed exactly once. */
	stale = __atomic_exchange_n(&s->serial, 0, __ATOMIC_ACQ_REL);
	if (stale) {
		count_closed(log, s->stack_id);
		/* A close() or close_range() still under way freed the number:
		 * its close, finished here, is no unseen one. */
		if (stale & TALLY_SERIAL_CLOSING ||
		    __atomic_load_n(&log->closing_ranges, __ATOMIC_ACQUIRE))
			stale = 0;
	}
	*stale_out = stale;
	return s;
}

uint64_t fdstate_open(struct tally_log *log, int fd, const struct tally_fd_slot *init)
{
	uint64_t stale;
	struct tally_fd_slot *s = fdstate_open_begin(log, fd, init->stack_id, &stale);

	if (!s)
		return 0;
	memcpy((char *)s + sizeof(s->serial), (const char *)init + sizeof(init->serial),
	       sizeof(*s) - sizeof(s->serial));
	fdstate_open_publish(s, init->serial);
	return stale;
}

int fdstate_close(struct tally_log *log, int fd, uint64_t serial)
{
	struct tally_fd_slot *s = fdstate_slot(log, fd);
	uint32_t stack_id;

	if (!s || !serial)
		return 0;
	stack_id = s->stack_id;
	if (!__atomic_compare_exchange_n(&s->serial, &serial, 0, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_RELAXED))
		return 0;
	count_closed(log, stack_id);
	return 1;
}

uint64_t fdstate_mark_closing(struct tally_log *log, int fd)
{
	struct tally_fd_slot *s = fdstate_slot(log, fd);
	uint64_t serial;

	if (!s)
		return 0;
	serial = __atomic_load_n(&s->serial, __ATOMIC_ACQUIRE);
	while (serial && !(serial & TALLY_SERIAL_CLOSING)) {
		if (__atomic_compare_exchange_n(&s->serial, &serial, serial | TALLY_SERIAL_CLOSING, 0,
		                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return serial | TALLY_SERIAL_CLOSING;
	}
	return serial;   /* 0, or already marked by a close that was cancelled */
}

void fdstate_set_addr(struct tally_log *log, int fd, uint64_t serial,
                      const struct tally_addr *addr, int peer)
{
	struct tally_fd_slot *s = fdstate_slot(log, fd);

	if (!s || !serial || __atomic_load_n(&s->serial, __ATOMIC_ACQUIRE) != serial)
		return;
	if (peer) {
		s->peer = *addr;
		__atomic_fetch_or(&s->flags, TALLY_FD_CONNECTED, __ATOMIC_RELEASE);
	} else {
		s->local = *addr;
		__atomic_fetch_or(&s->flags, TALLY_FD_BOUND, __ATOMIC_RELEASE);
	}
}

void fdstate_add_flags(struct tally_log *log, int fd, uint64_t serial, uint32_t flags)
{
	struct tally_fd_slot *s = fdstate_slot(log, fd);

	if (s && serial && __atomic_load_n(&s->serial, __ATOMIC_ACQUIRE) == serial)
		__atomic_fetch_or(&s->flags, flags, __ATOMIC_RELEASE);
}
