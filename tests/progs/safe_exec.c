/*
 * safe_exec — exec of the same program in the same process, and the execl
 * family's argument lists:
 *
 *   safe_exec first      opens 1 socket (first_image_socket, inherited
 *                        across exec), then execv()s itself with "second"
 *   safe_exec second     opens 2 TCP sockets (second_image_socket), exits
 *   safe_exec execl      execl()s itself: "args" and awkward arguments
 *   safe_exec execlp     the same through execlp() and $PATH
 *   safe_exec execle     the same through execle() with an environment
 *   safe_exec args ...   prints its argv (and SAFE_EXEC_ENV), one per line
 *
 * Each image prints "pid P" so the test can check it stayed the same.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static __attribute__((noinline)) int first_image_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	__asm__ volatile("" ::: "memory");   /* no tail call: keep this frame */
	return fd;
}

static __attribute__((noinline)) int second_image_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);   /* not the same code as above */
	__asm__ volatile("" ::: "memory");   /* no tail call: keep this frame */
	return fd;
}

static void self_path(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);
	if (n <= 0) {
		perror("readlink");
		exit(100);
	}
	out[n] = 0;
}

/* The awkward arguments the execl family must pass on intact. */
#define ARGS "args", "one", "two words", "", "--", "tab\there", "last"

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	char self[PATH_MAX];

	self_path(self, sizeof(self));
	if (strcmp(mode, "first") == 0) {
		int fd = first_image_socket();
		printf("first: pid %d socket %d\n", (int)getpid(), fd);
		fflush(stdout);
		char *args[] = { argv[0], "second", NULL };
		execv(self, args);
		perror("execv");
		return 100;
	}
	if (strcmp(mode, "second") == 0) {
		int a = second_image_socket();
		int b = second_image_socket();
		printf("second: pid %d sockets %d %d\n", (int)getpid(), a, b);
		return 0;
	}
	if (strcmp(mode, "execl") == 0) {
		execl(self, "safe_exec", ARGS, (char *)NULL);
		perror("execl");
		return 100;
	}
	if (strcmp(mode, "execlp") == 0) {
		/* Found through $PATH, which the test points at our directory. */
		execlp("safe_exec", "safe_exec", ARGS, (char *)NULL);
		perror("execlp");
		return 100;
	}
	if (strcmp(mode, "execle") == 0) {
		char *env[] = { "SAFE_EXEC_ENV=from execle", NULL };
		execle(self, "safe_exec", ARGS, (char *)NULL, env);
		perror("execle");
		return 100;
	}
	if (strcmp(mode, "args") == 0) {
		const char *env = getenv("SAFE_EXEC_ENV");
		printf("argc %d\n", argc);
		for (int i = 0; i < argc; i++)
			printf("argv[%d] [%s]\n", i, argv[i]);
		printf("env [%s]\n", env ? env : "(unset)");
		return 0;
	}
	fprintf(stderr, "usage: safe_exec first|second|execl|execlp|execle|args ...\n");
	return 2;
}
