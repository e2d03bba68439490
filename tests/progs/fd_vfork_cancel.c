/* Books that must not be broken by code that never really closed a socket:
 *  - a vfork child (on the parent's memory) that closes the parent's
 *    sockets, one by close() and the rest by close_range(), then _exits:
 *    in the parent they are all still open;
 *  - a thread cancelled in close() before the syscall ran (a cancel was
 *    pending): the socket stays open.
 * Prints the fds it knows are open at exit, which the report must list. */
#define _GNU_SOURCE
#include <linux/close_range.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static __attribute__((noinline)) int vfork_socket(void)
{
	return socket(AF_INET, SOCK_DGRAM, 0);
}

static void *cancelled_closer(void *arg)
{
	int fd = *(int *)arg;

	pthread_cancel(pthread_self());   /* pending: acted on in close() */
	close(fd);                        /* cancelled before the syscall */
	return NULL;
}

int main(void)
{
	int a = vfork_socket(), b = vfork_socket(), c = vfork_socket();
	pid_t pid = vfork();

	if (pid == 0) {
		close(a);
		syscall(SYS_close_range, 3, ~0U, 0);   /* raw: no libc wrapper */
		close_range(3, ~0U, 0);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		return 1;

	int d = vfork_socket();
	pthread_t t;
	void *res;
	if (pthread_create(&t, NULL, cancelled_closer, &d) || pthread_join(t, &res))
		return 1;
	if (res != PTHREAD_CANCELED)
		return 1;
	printf("open %d %d %d %d\n", a, b, c, d);
	return 0;
}
