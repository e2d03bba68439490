/*
 * safe_lifecycle — sockets made before main and closed or leaked after it:
 *
 *   lifecycle_ctor (constructor)  makes 3: kept_for_dtor, kept_for_atexit,
 *                                 leaked_forever
 *   main                          registers lifecycle_atexit, prints the fds
 *   lifecycle_atexit (atexit)     closes kept_for_atexit, leaks 1 new
 *   lifecycle_dtor (destructor)   closes kept_for_dtor, leaks 1 new
 *
 * So: 5 created, 2 closed, 3 open at the end, one each from the
 * constructor, the atexit handler and the destructor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int kept_for_dtor = -1, kept_for_atexit = -1, leaked_forever = -1;

static __attribute__((noinline)) int make_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		_exit(100);
	}
	return fd;
}

__attribute__((constructor, noinline)) static void lifecycle_ctor(void)
{
	kept_for_dtor = make_socket();
	kept_for_atexit = make_socket();
	leaked_forever = make_socket();
}

static __attribute__((noinline)) void lifecycle_atexit(void)
{
	close(kept_for_atexit);
	int fd = make_socket();
	printf("atexit: closed %d, leaked %d\n", kept_for_atexit, fd);
	fflush(stdout);
}

__attribute__((destructor, noinline)) static void lifecycle_dtor(void)
{
	close(kept_for_dtor);
	int fd = make_socket();
	/* stdout may be flushed and gone by now: write(2) it. */
	char line[64];
	int n = snprintf(line, sizeof(line), "dtor: closed %d, leaked %d\n", kept_for_dtor, fd);
	if (write(1, line, (size_t)n) < 0)
		_exit(101);
}

int main(void)
{
	if (atexit(lifecycle_atexit) != 0)
		return 100;
	printf("ctor: %d %d %d\n", kept_for_dtor, kept_for_atexit, leaked_forever);
	fflush(stdout);
	return 0;
}
