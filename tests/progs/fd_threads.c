/*
 * fd_threads — THREADS threads released together by a barrier; each
 * creates and closes ROUNDS sockets (churn_socket / churn_close), so fd
 * numbers pass from thread to thread all the time, then leaks LEAK sockets
 * (leak_socket).  Prints "threads", "rounds", "leak" and "leaked FD" lines.
 *
 *   fd_threads [THREADS [ROUNDS [LEAK]]]     default 8 1000 3
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "progutil.h"

static int rounds = 1000, leak = 3;
static pthread_barrier_t start;

static __attribute__((noinline, noclone)) int churn_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket churn");
	return fd;
}

static __attribute__((noinline, noclone)) void churn_close(int fd)
{
	if (close(fd) != 0)
		die("close churn");
}

static __attribute__((noinline, noclone)) int leak_socket(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket leak");
	return fd;
}

struct worker {
	pthread_t thread;
	int leaked[64];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start);
	for (volatile int i = 0; i < rounds; i++)
		churn_close(churn_socket());
	for (volatile int i = 0; i < leak; i++)
		w->leaked[i] = leak_socket();
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 8;
	struct worker *w;

	if (argc > 2)
		rounds = atoi(argv[2]);
	if (argc > 3)
		leak = atoi(argv[3]);
	if (threads < 1 || threads > 256 || rounds < 0 || leak < 0 || leak > 64) {
		fprintf(stderr, "usage: fd_threads [THREADS<=256 [ROUNDS [LEAK<=64]]]\n");
		return 2;
	}
	w = calloc((size_t)threads, sizeof(*w));
	if (!w || pthread_barrier_init(&start, NULL, (unsigned)threads))
		die("setup");
	for (int t = 0; t < threads; t++)
		if (pthread_create(&w[t].thread, NULL, worker_main, &w[t]))
			die("pthread_create");
	for (int t = 0; t < threads; t++)
		pthread_join(w[t].thread, NULL);
	printf("threads %d\nrounds %d\nleak %d\n", threads, rounds, leak);
	for (int t = 0; t < threads; t++)
		for (int i = 0; i < leak; i++)
			printf("leaked %d\n", w[t].leaked[i]);
	return 0;
}
