/*
 * commands.c — parsing control requests and writing their replies.
 *
 * Replies are built in a small buffer that is flushed when full, so a long
 * `list` needs no allocation; the socket is blocking with a send timeout set
 * by control.c, so a client that stops reading cannot hang us for long.
 */
#include "commands.h"

#include "room.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct reply {
	int fd;
	int err;		/* first send error, -errno; later output dropped */
	size_t len;
	char buf[1024];
};

static void reply_flush(struct reply *r)
{
	size_t off = 0;
	ssize_t n;

	while (off < r->len && !r->err) {
		/* MSG_NOSIGNAL: a client gone away is an error, not SIGPIPE. */
		n = send(r->fd, r->buf + off, r->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r->err = -errno;
		else
			off += (size_t)n;
	}
	r->len = 0;
}

static __attribute__((format(printf, 2, 3))) void
reply_add(struct reply *r, const char *fmt, ...)
{
	size_t space = sizeof(r->buf) - r->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, space, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < space) {
		r->len += (size_t)n;
		return;
	}
	/* Did not fit: send what is there and format again into an empty buffer
	 * (pieces are short, they always fit in a whole buffer). */
	reply_flush(r);
	va_start(ap, fmt);
	n = vsnprintf(r->buf, sizeof(r->buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len = (size_t)n < sizeof(r->buf) ? (size_t)n : sizeof(r->buf) - 1;
}

/* Ends the reply line and sends it; returns 0 or the first send error. */
static int reply_end(struct reply *r)
{
	reply_add(r, "\n");
	reply_flush(r);
	return r->err;
}

/* Parses a decimal number 0..max; returns 0 or -EINVAL. */
static int parse_ulong(const char *text, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void cmd_add(struct room *room, const char *arg, struct reply *r)
{
	unsigned long id;
	uint16_t port;
	const char *why = "";
	int rc;

	if (parse_ulong(arg, UINT_MAX, &id)) {
		reply_add(r, "error 400 usage: add <id>");
		return;
	}
	rc = room_add(room, (unsigned)id, &port, &why);
	if (rc == 0)
		reply_add(r, "ok %lu %u %u", id, port, port + 1u);
	else if (rc == -EEXIST)
		reply_add(r, "error 409 %s", why);
	else
		reply_add(r, "error 499 %s", why);
}

static void cmd_remove(struct room *room, const char *arg, struct reply *r)
{
	unsigned long id;

	if (parse_ulong(arg, UINT_MAX, &id)) {
		reply_add(r, "error 400 usage: remove <id>");
		return;
	}
	if (room_remove(room, (unsigned)id) == 0)
		reply_add(r, "ok");
	else
		reply_add(r, "error 404 no such publisher");
}

static void cmd_wait(struct room *room, const char *id_arg,
		     const char *count_arg, struct reply *r)
{
	unsigned long id, count;
	uint64_t seen = 0;
	int rc;

	if (parse_ulong(id_arg, UINT_MAX, &id) ||
	    parse_ulong(count_arg, ULONG_MAX, &count)) {
		reply_add(r, "error 400 usage: wait <id> <packets>");
		return;
	}
	rc = room_wait_packets(room, (unsigned)id, count, COMMAND_WAIT_MS,
			       &seen);
	if (rc == 0)
		reply_add(r, "ok %llu", (unsigned long long)seen);
	else if (rc == -ENOENT)
		reply_add(r, "error 404 no such publisher");
	else if (rc == -ETIMEDOUT)
		reply_add(r, "error 408 timeout: %llu of %lu packets relayed",
			  (unsigned long long)seen, count);
	else
		reply_add(r, "error 499 wait: %s", strerror(-rc));
}

static void list_one(void *arg, unsigned id, unsigned refs, uint16_t port)
{
	(void)port;
	reply_add(arg, " %u:%u", id, refs);
}

/* Request verbs, their argument counts and usage texts. */
enum verb { VERB_ADD, VERB_REMOVE, VERB_WAIT, VERB_LIST, VERB_QUIT };

static const struct {
	const char *name;
	int args;
	const char *usage;
} verbs[] = {
	[VERB_ADD] = { "add", 1, "add <id>" },
	[VERB_REMOVE] = { "remove", 1, "remove <id>" },
	[VERB_WAIT] = { "wait", 2, "wait <id> <packets>" },
	[VERB_LIST] = { "list", 0, "list" },
	[VERB_QUIT] = { "quit", 0, "quit" },
};

#define NVERBS ((int)(sizeof(verbs) / sizeof(verbs[0])))
#define MAX_WORDS 4	/* verb + 2 arguments + one to detect extras */

int command_run(struct room *room, char *line, int fd)
{
	struct reply r = { .fd = fd };
	char *word[MAX_WORDS] = { NULL };
	char *save = NULL;
	int nwords, v;
	int outcome = COMMAND_CONTINUE;

	for (nwords = 0; nwords < MAX_WORDS; nwords++) {
		word[nwords] = strtok_r(nwords ? NULL : line, " \t\r", &save);
		if (!word[nwords])
			break;
	}
	for (v = 0; word[0] && v < NVERBS; v++)
		if (strcmp(word[0], verbs[v].name) == 0)
			break;

	if (nwords == 0)
		reply_add(&r, "error 400 empty request");
	else if (v == NVERBS)
		reply_add(&r, "error 400 unknown request (add, remove, wait, list, quit)");
	else if (nwords != verbs[v].args + 1)
		reply_add(&r, "error 400 usage: %s", verbs[v].usage);
	else if (v == VERB_ADD)
		cmd_add(room, word[1], &r);
	else if (v == VERB_REMOVE)
		cmd_remove(room, word[1], &r);
	else if (v == VERB_WAIT)
		cmd_wait(room, word[1], word[2], &r);
	else if (v == VERB_LIST) {
		reply_add(&r, "ok");
		room_visit(room, list_one, &r);
	} else {
		reply_add(&r, "ok bye");
		outcome = COMMAND_QUIT;
	}

	if (reply_end(&r))
		return r.err;
	return outcome;
}
