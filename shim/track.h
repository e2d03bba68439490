/*
 * track — bookkeeping shared by the wrappers: turning a successful call
 * into state-table changes and the events that explain them.
 */
#ifndef TALLY_TRACK_H
#define TALLY_TRACK_H

#include <sys/socket.h>

#include "record.h"

/* Converts a sockaddr into the log's compact form (family 0 if unknown). */
void track_addr(const struct sockaddr *sa, socklen_t len, struct tally_addr *out);

/* Publishes a socket created by the event in `r` at fd.  `like` gives the
 * domain/type/protocol/addresses to copy (dup, accept), or NULL to use
 * domain/type/protocol.  Claims r's sequence number if not yet claimed.
 * Returns the new serial. */
uint64_t track_open(struct rec *r, int fd, int domain, int type, int protocol,
                    uint32_t flags, const struct tally_fd_slot *like);

/* Closes the socket with `serial` at fd, if the table still holds it. */
void track_close(int fd, uint64_t serial);

/* Copy of fd's slot if it holds a socket; returns its serial or 0. */
uint64_t track_snapshot(int fd, struct tally_fd_slot *out);

/* An fd came back from a call that does not make sockets (pipe, dup of a
 * non-socket): if the table said socket, that socket was closed where the
 * shim could not see it.  Records a REUSE event and clears the slot. */
void track_reused(int fd);

#endif
