/*
 * control.h — the gateway's control interface: a line protocol on a TCP
 * socket bound to 127.0.0.1, standing in for Janus's admin/plugin API.
 *
 * One client at a time; every request line gets exactly one reply line:
 *   add <id>               ok <id> <rtp_port> <rtcp_port> | error <code> <text>
 *   remove <id>            ok | error 404 no such publisher
 *   wait <id> <packets>    ok <seen> | error 408 ... (publisher <id> has
 *                          relayed <packets> packets; waits at most 3 s)
 *   list                   ok [<id>:<refs> ...]   (room members, oldest first)
 *   quit                   ok bye, then the server stops
 * Error codes: 400 bad request, 404 no such publisher, 408 timeout,
 * 409 publisher exists, 499 could not add (Janus's "unknown error").
 */
#ifndef GW_CONTROL_H
#define GW_CONTROL_H

#include <stdint.h>

struct control;
struct room;

/*
 * Listens on 127.0.0.1:port (0: the kernel picks) for requests on `room`.
 * sigfd, if >= 0, is a signalfd whose readiness also stops the server; it
 * stays the caller's.  Returns 0 or -errno.
 */
int control_open(struct control **out, uint16_t port, struct room *room,
		 int sigfd);

/* The port actually bound. */
uint16_t control_port(const struct control *ctl);

/*
 * Serves clients until a `quit`, a signal on sigfd, or control_stop().
 * Returns 0 then, or -errno if the listener itself failed.  The client
 * connection is closed on return; the listener stays open until
 * control_close().
 */
int control_serve(struct control *ctl);

/* Makes control_serve() return soon.  Safe from any thread. */
void control_stop(struct control *ctl);

/* Closes the listener and frees ctl; control_serve() must have returned. */
void control_close(struct control *ctl);

#endif /* GW_CONTROL_H */
