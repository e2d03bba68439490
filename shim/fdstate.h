/*
 * fdstate — the log's table of currently open socket fds, indexed by fd.
 *
 * It is the part of the log that stays exact when the event area is full:
 * a report after weeks reads the open sockets from here.  A slot is owned by
 * the thread that holds the fd, and the kernel hands an fd number to one
 * thread at a time, so slots need no lock; a close clears a slot only if it
 * still holds the serial seen before the close, so a racing re-open of the
 * same number by another thread is never wiped.
 */
#ifndef TALLY_FDSTATE_H
#define TALLY_FDSTATE_H

#include <stdint.h>

#include "logfile.h"

static inline struct tally_fd_slot *fdstate_slot(struct tally_log *log, int fd)
{
	if (fd < 0 || (uint32_t)fd >= log->hdr->max_fds)
		return 0;
	return &log->state[fd];
}

/* The serial of the socket open at fd, or 0. */
static inline uint64_t fdstate_serial(struct tally_log *log, int fd)
{
	struct tally_fd_slot *s = fdstate_slot(log, fd);
	return s ? __atomic_load_n(&s->serial, __ATOMIC_ACQUIRE) : 0;
}

/* Publishes `init` (serial included) at fd.  Returns the serial of a socket
 * the slot still held, which was closed without the shim seeing it, or 0.
 * Counts the fd as untracked when it lies beyond the table. */
uint64_t fdstate_open(struct tally_log *log, int fd, const struct tally_fd_slot *init);

/* fdstate_open in two steps, for a caller that fills the slot in place:
 * counts the socket (for the stack `stack_id`), empties the slot and
 * returns it, or NULL when fd lies beyond the table; *stale as
 * fdstate_open returns it.  Every field but the serial is then written, and
 * fdstate_open_publish makes the slot visible. */
struct tally_fd_slot *fdstate_open_begin(struct tally_log *log, int fd, uint32_t stack_id,
                                         uint64_t *stale);

static inline void fdstate_open_publish(struct tally_fd_slot *s, uint64_t serial)
{
	__atomic_store_n(&s->serial, serial, __ATOMIC_RELEASE);
}

/* Clears fd's slot if it still holds `serial`; on success counts the close
 * for the creating stack and returns 1. */
int fdstate_close(struct tally_log *log, int fd, uint64_t serial);

/* Marks the socket at fd as being closed (TALLY_SERIAL_CLOSING) before
 * close() runs, and returns the marked serial (0: no socket there).  A
 * racing socket() that gets the number back before the closer clears the
 * slot then knows it is no unseen close; a close cancelled before its
 * syscall leaves the socket open, as it is. */
uint64_t fdstate_mark_closing(struct tally_log *log, int fd);

/* Notes which socket was last closed at fd (0: the number was used for
 * something else since), to tell a later double close. */
static inline void fdstate_set_closed(struct tally_log *log, int fd, uint64_t serial)
{
	struct tally_fd_slot *s = fdstate_slot(log, fd);
	if (s && __atomic_load_n(&s->closed_serial, __ATOMIC_RELAXED) != serial)
		__atomic_store_n(&s->closed_serial, serial, __ATOMIC_RELAXED);
}

/* Records the local or peer address of the socket at fd, if it still holds
 * `serial`. */
void fdstate_set_addr(struct tally_log *log, int fd, uint64_t serial,
                      const struct tally_addr *addr, int peer);

/* Sets flag bits on the socket at fd, if it still holds `serial`. */
void fdstate_add_flags(struct tally_log *log, int fd, uint64_t serial, uint32_t flags);

#endif
