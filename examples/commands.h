/*
 * commands.h — the control protocol's requests: one line in, one reply line
 * out (the grammar is in control.h).  Kept apart from the socket handling so
 * the protocol reads on its own.
 */
#ifndef GW_COMMANDS_H
#define GW_COMMANDS_H

struct room;

/* Upper bound on `wait`, so that a request cannot stall the control thread. */
#define COMMAND_WAIT_MS 3000

enum command_outcome {
	COMMAND_CONTINUE = 0,	/* reply sent, read the next request */
	COMMAND_QUIT = 1,	/* reply sent, the client asked to stop */
};

/*
 * Runs one request (without its newline) against `room` and sends the reply
 * line on `fd`.  Returns a command_outcome, or -errno if the reply could not
 * be sent (the client should then be dropped).
 */
int command_run(struct room *room, char *line, int fd);

#endif /* GW_COMMANDS_H */
