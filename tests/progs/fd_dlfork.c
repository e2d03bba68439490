/*
 * fd_dlfork — fork while another thread walks the loaded modules
 * (dl_iterate_phdr), as libunwind or a C++ throw does in a gateway.
 *
 *   nested   the walker's callback sleeps 0.1 s, then walks again from
 *            inside the callback (a nested walk)
 *   cancel   the walker is cancelled inside its callback; then two forks.
 *            glibc 2.36 leaves its loader lock held then: this hangs
 *            without tally too, and is not run by the tests.
 * After each fork the child opens and closes a socket (the shim takes its
 * stack: libunwind walks the modules for a call site it has not seen) and
 * exits 0.  A child not done in 10 s is killed by its alarm: then "hung".
 * Prints "ok" when every child exited 0.
 */
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int inside;

static int inner(struct dl_phdr_info *i, size_t s, void *d)
{
	(void)i, (void)s, (void)d;
	return 1;
}

static int outer_nested(struct dl_phdr_info *i, size_t s, void *d)
{
	(void)i, (void)s, (void)d;
	inside = 1;
	usleep(100000);
	dl_iterate_phdr(inner, NULL);
	return 1;
}

static int outer_cancel(struct dl_phdr_info *i, size_t s, void *d)
{
	(void)i, (void)s, (void)d;
	inside = 1;
	for (;;)
		sleep(1);   /* a cancellation point */
	return 1;
}

static void *walk_nested(void *a)
{
	(void)a;
	dl_iterate_phdr(outer_nested, NULL);
	return NULL;
}

static void *walk_cancel(void *a)
{
	(void)a;
	dl_iterate_phdr(outer_cancel, NULL);
	return NULL;
}

static __attribute__((noinline)) int child_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* Forks; the child makes a socket and exits.  1 when it exited 0. */
static int fork_once(void)
{
	pid_t p = fork();
	if (p == 0) {
		alarm(10);
		_exit(child_socket() ? 0 : 3);
	}
	int st;
	if (p < 0 || waitpid(p, &st, 0) != p)
		return 0;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		printf("hung\n");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int ok = 1;

	if (argc > 1 && !strcmp(argv[1], "cancel")) {
		pthread_create(&t, NULL, walk_cancel, NULL);
		while (!inside)
			usleep(1000);
		pthread_cancel(t);
		pthread_join(t, NULL);
		ok &= fork_once();
		ok &= fork_once();
	} else {
		pthread_create(&t, NULL, walk_nested, NULL);
		while (!inside)
			usleep(1000);
		ok &= fork_once();
		pthread_join(t, NULL);
	}
	printf("%s\n", ok ? "ok" : "failed");
	return ok ? 0 : 1;
}
