/*
 * analysis — what a log says, before it is formatted: open sockets grouped
 * by creation stack, created/closed per creation site, failed calls grouped
 * by errno and stack, anomalies, and how complete the record is.
 *
 * Open sockets and per-site counts come from the state and stack tables,
 * failures and anomalies from the tallies: all stay exact when the event
 * area is full.  The events add the fds of the first anomalies.
 */
#ifndef TALLY_ANALYSIS_H
#define TALLY_ANALYSIS_H

#include <glib.h>
#include <stdbool.h>

#include "logread.h"

struct books;

/* Sockets made at one call stack. */
struct site {
	uint32_t stack_id;
	uint64_t created, closed;      /* exact, from the stack table */
	unsigned open;                 /* open at the end of the log */
	int domain, type;              /* of the first open socket */
	bool mixed;                    /* open sockets of several kinds */
	GArray *ports;                 /* uint16_t local ports of open sockets */
	GArray *fds;                   /* int: the open fds */
	int64_t first_ns, last_ns;     /* creation times of open ones (mono) */
	/* What the open ones are: listening, accepted connections, connected
	 * (peer known), dups of another fd, inherited at start or fork. */
	unsigned listening, accepted, connected, dups, inherited;
	GPtrArray *peers;              /* char *, distinct "addr:port", at most 16 */
};

/* Failed calls of one kind, errno and stack. */
struct failure {
	uint16_t kind;                 /* enum tally_event_kind */
	int err;
	uint32_t stack_id;
	uint64_t count;                /* exact, from the tallies */
	int64_t first_ns, last_ns;
};

/* Something that should not happen, e.g. closing an fd that is not open. */
struct anomaly {
	const char *kind;              /* "double-close", "closed-unseen" */
	uint32_t stack_id;             /* 0: not taken (a close of an fd not
	                                * open, past the first 1024) */
	uint64_t count;                /* exact, from the tallies */
	GArray *fds;                   /* int, the first ANOMALY_FDS_MAX */
};

/* An anomaly lists this many fds at most: a close-everything loop at the
 * start of a daemon gives hundreds, a bug in a loop millions. */
#define ANOMALY_FDS_MAX 256

struct analysis {
	const struct logread *lr;
	bool running;
	uint64_t created, closed;      /* sockets this process made, and its
	                                * closes of them (inherited ones apart) */
	uint64_t open;                 /* open at the end, inherited ones too */
	uint64_t inherited;            /* open at start (fork, exec) */
	uint64_t inherited_open;       /* of open: inherited (at start or fork),
	                                * not made by this process: no leak of it */
	GPtrArray *groups;             /* struct site *, open > 0, most first */
	GPtrArray *sites;              /* struct site *, every creation site */
	GPtrArray *failures;           /* struct failure * */
	GPtrArray *anomalies;          /* struct anomaly * */
	uint64_t events_claimed;       /* events the program raised */
	uint64_t events_recorded;      /* with a valid record */
	uint64_t events_torn;          /* claimed in the area but invalid */
	uint64_t event_runs;           /* of the recorded: runs (TALLY_EVF_RUN) */
	uint64_t run_calls;            /* the reference calls those runs hold */
	uint64_t ref_calls;            /* the reference calls all records hold */
	uint64_t dropped;              /* not recorded: area full */
	uint64_t tallies_lost;         /* failures/anomalies not counted: the
	                                * tallies table had no room */
	int64_t last_seen_ns;          /* newest event or socket creation */
	int64_t end_ns;                /* the log's "now": exit, the present for
	                                * a running process, else the last thing
	                                * recorded (mono) */
	const struct books *books;     /* the reference-count part (refbooks.h), set
	                                * by the caller once built; NULL: none to
	                                * report */
};

/* count things over [first_ns, end_ns), per hour; 0 when that is under a
 * tenth of a second (too short to tell a rate). */
double analysis_per_hour(uint64_t count, int64_t first_ns, int64_t end_ns);

/* How much of a port range the open sockets hold, and how fast that grows:
 * the case behind tally (a gateway running out of RTP ports). */
struct port_budget {
	uint16_t lo, hi;
	int type;                      /* SOCK_DGRAM or SOCK_STREAM */
	unsigned size;                 /* hi - lo + 1 */
	unsigned held;                 /* distinct ports in range that open
	                                * sockets are bound to */
	int64_t first_ns, last_ns;     /* creation of the oldest/newest of those */
	double per_hour;               /* held / time since the first (0: unknown) */
	double hours_left;             /* until none is free at that rate (<0:
	                                * unknown; 0: none is free now) */
};

/* Fills b for [lo, hi] from the open sockets of the analysed log that are
 * of `type` (UDP and TCP port numbers are separate ranges). */
void analysis_port_budget(const struct analysis *a, uint16_t lo, uint16_t hi, int type,
                          struct port_budget *b);

/* Builds the analysis of an open log. */
void analysis_build(struct analysis *a, const struct logread *lr);

/* The port the socket in `slot` holds, or 0: only an inet or inet6 socket
 * bound to one has a port (a raw socket's getsockname gives its protocol
 * there, SCTP's 132 for Janus; a ping socket's, its echo id). */
uint16_t analysis_slot_port(const struct tally_fd_slot *slot);
void analysis_free(struct analysis *a);

/* What stack `id`'s frames resolve to (module path + offset of each), as
 * a key: one call site captured in two module generations (a dlopen in
 * between) has two stack ids but one key.  g_free it. */
char *analysis_stack_key(const struct logread *lr, uint32_t id);

/* "socket", "bind", ... for an event kind. */
const char *analysis_call_name(uint16_t kind);

#endif
