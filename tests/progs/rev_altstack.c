/*
 * rev_altstack — a signal handler running on an alternate signal stack
 * (sigaltstack, SA_ONSTACK) interrupts a hooked creation and calls hooked
 * functions itself.  The thread that creates runs on a stack of its own in
 * the program's .bss (pthread_attr_setstack); the alternate stack is
 * mmap'ed, i.e. at higher addresses.  o = rv_new_cb(...), whose callback
 * raises SIGUSR1; the handler references and drops another object p.
 * Writes "object o ADDR" and "object p ADDR" into argv[1]; prints
 * "ok o N p M" (their counts).  Both are left alive.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "revlib/revlib.h"

static char thread_stack[1 << 20] __attribute__((aligned(4096)));
static struct rv_obj *o, *p;

static void handler(int sig)
{
	(void)sig;
	rv_ref(p);
	rv_unref(p);
}

static void raise_it(void *arg)
{
	(void)arg;
	raise(SIGUSR1);
}

static void *creator(void *arg)
{
	(void)arg;
	size_t size = 256 * 1024;
	stack_t ss = { .ss_sp = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
	               .ss_size = size };
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0)
		abort();
	o = rv_new_cb(raise_it, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	p = rv_new();
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstack(&at, thread_stack, sizeof(thread_stack));
	pthread_t t;
	if (pthread_create(&t, &at, creator, NULL) != 0)
		return 2;
	pthread_join(t, NULL);
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fprintf(f, "object o %p\nobject p %p\n", (void *)o, (void *)p);
	fclose(f);
	printf("ok o %d p %d\n", rv_count(o), rv_count(p));
	return 0;
}
