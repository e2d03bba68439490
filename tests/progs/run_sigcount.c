/*
 * run_sigcount — counts the SIGTERMs and SIGUSR1s it receives, for the
 * signal forwarding of `tally run`.  With "notify" it first sends SIGUSR1
 * to its parent (as a daemon tells its supervisor it is ready) and prints
 * "ready".  It then waits (5 s at most) for a SIGTERM, waits 300 ms more
 * for any second one, prints "term N usr1 M" and exits 0.
 *
 *   run_sigcount [notify]
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t terms, usr1s;

static void count(int sig)
{
	if (sig == SIGTERM)
		terms++;
	else
		usr1s++;
}

/* Sleeps `ms` milliseconds whatever signals come meanwhile. */
static void sleep_ms(long ms)
{
	struct timespec left = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&left, &left) != 0)
		;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	if (argc > 1 && strcmp(argv[1], "notify") == 0) {
		kill(getppid(), SIGUSR1);
		printf("ready\n");
		fflush(stdout);
	}
	for (int i = 0; i < 500 && !terms; i++)
		sleep_ms(10);
	sleep_ms(300);
	printf("term %d usr1 %d\n", (int)terms, (int)usr1s);
	return 0;
}
