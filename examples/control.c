/*
 * control.c — the control listener: accepts one client at a time, cuts its
 * byte stream into lines and hands each line to command_run().
 *
 * The loop blocks in poll() on the listener (or the client), an eventfd that
 * control_stop() writes, and the caller's signalfd, so it needs no timeout
 * and no flag polling to notice that it must stop.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4() */
#endif
#include "control.h"

#include "commands.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define CONTROL_LINE_MAX 256
/* Bound on a reply send to a client that does not read. */
#define CONTROL_SEND_TIMEOUT_S 5

struct control {
	struct room *room;
	int listen_fd;
	int stop_fd;		/* eventfd written by control_stop() */
	int sigfd;		/* caller's signalfd or -1, not ours to close */
	uint16_t port;
	int client_fd;		/* -1 when no client; serve thread only */
	size_t len;		/* bytes pending in line */
	char line[CONTROL_LINE_MAX];
};

/* A TCP listener on 127.0.0.1:port; returns the fd or -errno. */
static int listen_on(uint16_t port, uint16_t *bound)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t alen = sizeof(addr);
	int fd, one = 1, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A restarted gateway must not wait for TIME_WAIT on a fixed port. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &alen) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*bound = ntohs(addr.sin_port);
	return fd;
}

int control_open(struct control **out, uint16_t port, struct room *room,
		 int sigfd)
{
	struct control *ctl;
	int rc;

	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->room = room;
	ctl->sigfd = sigfd;
	ctl->client_fd = -1;
	ctl->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ctl->stop_fd < 0) {
		rc = -errno;
		goto err_free;
	}
	ctl->listen_fd = listen_on(port, &ctl->port);
	if (ctl->listen_fd < 0) {
		rc = ctl->listen_fd;
		goto err_stop;
	}
	*out = ctl;
	return 0;

err_stop:
	close(ctl->stop_fd);
err_free:
	free(ctl);
	return rc;
}

uint16_t control_port(const struct control *ctl)
{
	return ctl->port;
}

void control_stop(struct control *ctl)
{
	uint64_t one = 1;

	/* Can only fail if the counter is about to overflow, i.e. it is
	 * already signalled; nothing is lost then. */
	if (write(ctl->stop_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		fprintf(stderr, "gateway: control stop: %s\n", strerror(errno));
}

static void client_close(struct control *ctl)
{
	/* A close error on a socket we are done with changes nothing. */
	close(ctl->client_fd);
	ctl->client_fd = -1;
	ctl->len = 0;
}

static void client_accept(struct control *ctl)
{
	struct timeval tv = { .tv_sec = CONTROL_SEND_TIMEOUT_S };
	int fd;

	fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		/* Aborted handshakes and the like: the next client is fine. */
		fprintf(stderr, "gateway: accept: %s\n", strerror(errno));
		return;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		fprintf(stderr, "gateway: SO_SNDTIMEO: %s\n", strerror(errno));
		close(fd);
		return;
	}
	ctl->client_fd = fd;
	ctl->len = 0;
}

/* Runs every complete line in the buffer.  Returns true on `quit`. */
static bool client_run_lines(struct control *ctl)
{
	char *nl;
	size_t used;
	int rc;

	while (ctl->client_fd >= 0 &&
	       (nl = memchr(ctl->line, '\n', ctl->len)) != NULL) {
		*nl = '\0';
		used = (size_t)(nl - ctl->line) + 1;
		rc = command_run(ctl->room, ctl->line, ctl->client_fd);
		memmove(ctl->line, ctl->line + used, ctl->len - used);
		ctl->len -= used;
		if (rc == COMMAND_QUIT)
			return true;
		if (rc < 0)
			client_close(ctl);
	}
	return false;
}

/* Reads what the client sent.  Returns true on `quit`. */
static bool client_read(struct control *ctl)
{
	static const char too_long[] = "error 400 line too long\n";
	ssize_t n;

	n = recv(ctl->client_fd, ctl->line + ctl->len,
		 sizeof(ctl->line) - ctl->len, 0);
	if (n < 0 && errno == EINTR)
		return false;
	if (n <= 0) {
		if (n < 0)
			fprintf(stderr, "gateway: control recv: %s\n",
				strerror(errno));
		client_close(ctl);
		return false;
	}
	ctl->len += (size_t)n;
	if (client_run_lines(ctl))
		return true;
	if (ctl->client_fd >= 0 && ctl->len == sizeof(ctl->line)) {
		/* Best effort: the client is dropped whether this arrives or not. */
		if (send(ctl->client_fd, too_long, sizeof(too_long) - 1,
			 MSG_NOSIGNAL) < 0)
			fprintf(stderr, "gateway: control send: %s\n",
				strerror(errno));
		client_close(ctl);
	}
	return false;
}

/* Consumes the pending signal and says which one it was. */
static void report_signal(int sigfd)
{
	struct signalfd_siginfo si;
	ssize_t n = read(sigfd, &si, sizeof(si));

	if (n == (ssize_t)sizeof(si))
		printf("gateway: %s, shutting down\n", strsignal((int)si.ssi_signo));
	else
		printf("gateway: signal, shutting down\n");
}

int control_serve(struct control *ctl)
{
	struct pollfd pfd[3];
	nfds_t nfds;
	int rc = 0;

	for (;;) {
		/* Slot 0 is the client if there is one, else the listener:
		 * one client at a time, the others wait in the backlog. */
		pfd[0].fd = ctl->client_fd >= 0 ? ctl->client_fd : ctl->listen_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = ctl->stop_fd;
		pfd[1].events = POLLIN;
		pfd[2].fd = ctl->sigfd;
		pfd[2].events = POLLIN;
		nfds = ctl->sigfd >= 0 ? 3 : 2;
		if (poll(pfd, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (pfd[1].revents)
			break;
		if (nfds == 3 && pfd[2].revents) {
			report_signal(ctl->sigfd);
			break;
		}
		if (!pfd[0].revents)
			continue;
		if (ctl->client_fd < 0)
			client_accept(ctl);
		else if (client_read(ctl))
			break;
	}
	if (ctl->client_fd >= 0)
		client_close(ctl);
	return rc;
}

void control_close(struct control *ctl)
{
	close(ctl->listen_fd);
	close(ctl->stop_fd);
	free(ctl);
}
