/*
 * inherit — the sockets a program already has when it starts: inherited
 * across exec (not close-on-exec) or from the process that spawned it.
 * Without them, a socket the previous image leaked into this one would be
 * in no log at all.
 */
#ifndef TALLY_INHERIT_H
#define TALLY_INHERIT_H

/* Lists the process's open fds (/proc/self/fd, read with raw syscalls, its
 * own fd closed again before returning) and records each socket as open,
 * with stack TALLY_STACK_INHERITED.  Start-up only, recording on.  Returns
 * the number of sockets found. */
unsigned inherit_scan(void);

#endif
