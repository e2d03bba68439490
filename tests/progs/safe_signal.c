/*
 * safe_signal — sockets closed from signal handlers while three threads
 * create and close sockets as fast as they can: the shim is interrupted in
 * the middle of its own work (a stack capture, a table update) and the
 * handler's close() must still be recorded, without a deadlock or a crash.
 *
 * The main thread puts sockets into a pool; the SIGALRM handler (setitimer,
 * every 200 us) and the SIGUSR1 handler (sent by the workers to the whole
 * process) take sockets out of the pool and close them.  Two workers and
 * the main thread also open and close sockets of their own in a loop.  At
 * the end (after SECONDS, default 1.5) the timer stops, signals are blocked,
 * and the program prints how many pool sockets are left open, and which:
 *
 *   open N
 *   open-fds A B C ...
 *   handler-closes H
 *
 * then exits 0 without closing them.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define POOL 64

static int pool[POOL];                 /* fds the handlers may close; -1 = empty */
static volatile int handler_closes;    /* closes done in handlers (atomic adds) */
static volatile int stop_workers;
static volatile int failures;          /* socket()/close() that failed */

/* Takes one socket out of the pool and closes it.  Async-signal-safe:
 * an atomic exchange and close(). */
static void on_signal(int sig)
{
	int saved = errno;
	static unsigned next;
	unsigned start = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);

	(void)sig;
	for (unsigned i = 0; i < POOL; i++) {
		int *slot = &pool[(start + i) % POOL];
		int fd = __atomic_exchange_n(slot, -1, __ATOMIC_ACQ_REL);
		if (fd >= 0) {
			if (close(fd) == 0)
				__atomic_fetch_add(&handler_closes, 1, __ATOMIC_RELAXED);
			else
				__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	errno = saved;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One socket opened and closed by the caller's own thread. */
static __attribute__((noinline)) void churn_once(int type)
{
	int fd = socket(AF_INET, type, 0);
	if (fd < 0 || close(fd) != 0)
		__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
}

static __attribute__((noinline)) void *worker(void *arg)
{
	long id = (long)arg;
	unsigned n = 0;

	while (!__atomic_load_n(&stop_workers, __ATOMIC_ACQUIRE) && n < 200000) {
		churn_once(id & 1 ? SOCK_STREAM : SOCK_DGRAM);
		if (++n % 64 == 0)
			kill(getpid(), SIGUSR1);   /* some thread takes it */
	}
	return NULL;
}

/* The main thread's pool deposit: a socket only the handlers close. */
static __attribute__((noinline)) void pool_put(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0) {
		__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
		return;
	}
	for (unsigned i = 0; i < POOL; i++) {
		int empty = -1;
		if (__atomic_compare_exchange_n(&pool[i], &empty, fd, 0, __ATOMIC_ACQ_REL,
		                                __ATOMIC_RELAXED))
			return;
	}
	close(fd);   /* pool full */
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.5;
	pthread_t threads[2];
	struct sigaction sa;
	struct itimerval it;
	sigset_t block;

	for (unsigned i = 0; i < POOL; i++)
		pool[i] = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	for (long i = 0; i < 2; i++)
		if (pthread_create(&threads[i], NULL, worker, (void *)i) != 0) {
			fprintf(stderr, "safe_signal: pthread_create failed\n");
			return 100;
		}
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_usec = 200;
	it.it_value.tv_usec = 200;
	setitimer(ITIMER_REAL, &it, NULL);

	double end = now() + seconds;
	unsigned rounds = 0;
	while (now() < end && rounds < 400000) {
		pool_put();
		churn_once(SOCK_DGRAM);
		rounds++;
	}

	/* Quiesce: no more timer, no more handlers on any thread. */
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	__atomic_store_n(&stop_workers, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, NULL);

	int open = 0;
	char list[POOL * 8] = "";
	size_t len = 0;
	for (unsigned i = 0; i < POOL; i++) {
		int fd = __atomic_load_n(&pool[i], __ATOMIC_ACQUIRE);
		if (fd >= 0) {
			open++;
			len += (size_t)snprintf(list + len, sizeof(list) - len, " %d", fd);
		}
	}
	printf("rounds %u\n", rounds);
	printf("handler-closes %d\n", handler_closes);
	printf("failures %d\n", failures);
	printf("open %d\n", open);
	printf("open-fds%s\n", list);
	return failures ? 1 : 0;
}
