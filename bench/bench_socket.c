/*
 * bench_socket — the program the benchmark runs with and without
 * libtally.so.  Every mode first descends a chain of CHAIN distinct noinline
 * functions, so the unwinder walks real frames (each with its own unwind
 * info), then warms up, then times its loop and prints one line:
 *
 *   mode=socket iters=N ns_per_iter=... ns_batch_median=... mallocs=M
 *
 * ns_per_iter is the mean over the N timed iterations, ns_batch_median the
 * median of 10 equal batches of them.  `mallocs` is the number of
 * malloc-family calls made during the timed loop when bench/countmalloc.c is
 * preloaded too (its counter is found with dlsym; -1 when absent).  Modes:
 *
 *   socket  N   socket(AF_INET, SOCK_DGRAM) + close: two recorded events
 *   fcntl   N   fcntl(fd, F_GETFL): interposed, forwarded, never recorded
 *   cheap   N   dup(fd of /dev/null) + close: two events recorded without
 *               a stack (the fd is no socket)
 *   stacks  K   socket() from K distinct call stacks (K <= 256), closed
 *               from one common site: K + 1 distinct stacks
 *   open    M   M sockets created and left open at exit
 *   unwind  N   unw_backtrace(buf, SIZE) alone, without the shim: libunwind
 *               dlopen'ed as the shim does, called one noinline frame
 *               below the loop as the shim's socket wrapper is (the capture
 *               is inline in it), so SIZE frames walk the same stack
 *   sockunwind N  socket + close, each followed by that unw_backtrace, no
 *               shim: the unwinder's cost among real socket calls
 *
 * usage: bench_socket MODE COUNT [CHAIN [SIZE]]   (CHAIN 0..48, default 12)
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
/* Keeps a call from becoming a tail call (which would drop its frame). */
#define KEEP(x) __asm__ volatile("" : "+r"(x))

#define CHAIN_MAX 48
#define BATCHES 10
#define WARMUP 4096   /* > the 1,024 events of the smallest log: in the
                       * "area full" case the timed loop only drops */

struct job {
	const char *mode;
	long count;
	long mallocs;        /* during the timed loop, or -1 */
	double ns_per_iter;
	double ns_batch_median;
};

static volatile uint64_t *malloc_counter;   /* countmalloc's, if preloaded */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long mallocs_now(void)
{
	return malloc_counter ? (long)__atomic_load_n(malloc_counter, __ATOMIC_RELAXED) : -1;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* ---- the loops ------------------------------------------------------- */

static NOINLINE void loop_socket(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			die("socket");
		close(fd);
	}
}

static NOINLINE long loop_fcntl(int fd, long n)
{
	long sum = 0;
	for (long i = 0; i < n; i++)
		sum += fcntl(fd, F_GETFL);
	return sum;
}

static NOINLINE void loop_cheap(int src, long n)
{
	for (long i = 0; i < n; i++) {
		int fd = dup(src);
		if (fd < 0)
			die("dup");
		close(fd);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Runs the loop WARMUP times, then j->count times in BATCHES equal batches.
 * ns_per_iter is the mean over all of them; ns_batch_median the median
 * batch, which a preemption in the middle of one batch does not move. */
static void run_timed(struct job *j, void (*loop)(long, void *), void *arg)
{
	double per[BATCHES];
	long each = j->count / BATCHES;

	if (each < 1)
		each = 1;
	j->count = each * BATCHES;
	loop(WARMUP, arg);
	long m0 = mallocs_now();
	int64_t t0 = now_ns(), tb = t0;
	for (int b = 0; b < BATCHES; b++) {
		loop(each, arg);
		int64_t t = now_ns();
		per[b] = (double)(t - tb) / (double)each;
		tb = t;
	}
	long m1 = mallocs_now();
	j->ns_per_iter = (double)(tb - t0) / (double)j->count;
	qsort(per, BATCHES, sizeof(per[0]), cmp_double);
	j->ns_batch_median = (per[BATCHES / 2 - 1] + per[BATCHES / 2]) / 2;
	j->mallocs = m0 < 0 ? -1 : m1 - m0;
}

static void do_socket(long n, void *arg)
{
	(void)arg;
	loop_socket(n);
}

static volatile long fcntl_sink;   /* keeps the results live */

static void do_fcntl(long n, void *arg)
{
	fcntl_sink += loop_fcntl(*(int *)arg, n);
}

static void do_cheap(long n, void *arg)
{
	loop_cheap(*(int *)arg, n);
}

/* ---- the unwinder alone ------------------------------------------------- */

typedef int (*unw_backtrace_fn)(void **, int);
static unw_backtrace_fn unw_backtrace_p;
static int unwind_size;
static volatile int unwind_sink;

static NOINLINE int shim_frame1(void)
{
	void *raw[80];
	int n = unw_backtrace_p(raw, unwind_size);
	KEEP(n);
	return n;
}

static NOINLINE void loop_unwind(long n)
{
	for (long i = 0; i < n; i++)
		unwind_sink = shim_frame1();
}

static void do_unwind(long n, void *arg)
{
	(void)arg;
	loop_unwind(n);
}

static NOINLINE void loop_sockunwind(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			die("socket");
		unwind_sink = shim_frame1();
		close(fd);
		unwind_sink = shim_frame1();
	}
}

static void do_sockunwind(long n, void *arg)
{
	(void)arg;
	loop_sockunwind(n);
}

/* ---- K distinct stacks: 16 x 16 call sites ------------------------------ */

/* Each inner function is a distinct call site of socket(); each outer one a
 * distinct call site of the inner table.  Outer i calling inner j makes the
 * stack (socket <- inner j <- outer i <- ...), distinct for each (i, j). */
#define INNER(j)                                                               \
	static NOINLINE int inner##j(void)                                     \
	{                                                                      \
		int fd = socket(AF_INET, SOCK_DGRAM, 0);                       \
		KEEP(fd);                                                      \
		return fd;                                                     \
	}
INNER(0) INNER(1) INNER(2) INNER(3) INNER(4) INNER(5) INNER(6) INNER(7)
INNER(8) INNER(9) INNER(10) INNER(11) INNER(12) INNER(13) INNER(14) INNER(15)
static int (*const inner[16])(void) = {
	inner0, inner1, inner2, inner3, inner4, inner5, inner6, inner7,
	inner8, inner9, inner10, inner11, inner12, inner13, inner14, inner15,
};

#define OUTER(i)                                                               \
	static NOINLINE int outer##i(int j)                                    \
	{                                                                      \
		int fd = inner[j]();                                           \
		KEEP(fd);                                                      \
		return fd;                                                     \
	}
OUTER(0) OUTER(1) OUTER(2) OUTER(3) OUTER(4) OUTER(5) OUTER(6) OUTER(7)
OUTER(8) OUTER(9) OUTER(10) OUTER(11) OUTER(12) OUTER(13) OUTER(14) OUTER(15)
static int (*const outer[16])(int) = {
	outer0, outer1, outer2, outer3, outer4, outer5, outer6, outer7,
	outer8, outer9, outer10, outer11, outer12, outer13, outer14, outer15,
};

static NOINLINE void do_stacks(long k)
{
	for (long i = 0; i < k && i < 256; i++) {
		int fd = outer[i / 16]((int)(i % 16));
		if (fd < 0)
			die("socket");
		close(fd);   /* one common site for every close */
	}
}

static NOINLINE void do_open(long m)
{
	for (long i = 0; i < m; i++)
		if (socket(AF_INET, SOCK_DGRAM, 0) < 0)
			die("socket");
}

/* ---- the mode, at the bottom of the chain ------------------------------- */

static NOINLINE int run_mode(struct job *j)
{
	int fd;

	if (strcmp(j->mode, "socket") == 0) {
		run_timed(j, do_socket, NULL);
	} else if (strcmp(j->mode, "fcntl") == 0) {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			die("socket");
		run_timed(j, do_fcntl, &fd);
		close(fd);
	} else if (strcmp(j->mode, "cheap") == 0) {
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("/dev/null");
		run_timed(j, do_cheap, &fd);
		close(fd);
	} else if (strcmp(j->mode, "unwind") == 0 || strcmp(j->mode, "sockunwind") == 0) {
		void *lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
		unw_backtrace_p = lib ? (unw_backtrace_fn)dlsym(lib, "unw_backtrace") : NULL;
		if (!unw_backtrace_p) {
			fprintf(stderr, "bench_socket: libunwind.so.8: %s\n", dlerror());
			exit(1);
		}
		run_timed(j, j->mode[0] == 'u' ? do_unwind : do_sockunwind, NULL);
		printf("unwind_frames=%d ", unwind_sink);
	} else if (strcmp(j->mode, "stacks") == 0) {
		do_stacks(j->count);
	} else if (strcmp(j->mode, "open") == 0) {
		do_open(j->count);
	} else {
		return -1;
	}
	return 0;
}

/* CHAIN_MAX distinct frames; link i calls link i + 1, the last runs the
 * mode.  Entering at link CHAIN_MAX - chain gives `chain` frames. */
typedef int (*link_fn)(struct job *);
static link_fn links[CHAIN_MAX + 1];

#define LINK(i)                                                                \
	static NOINLINE int link##i(struct job *j)                             \
	{                                                                      \
		int r = links[(i) + 1](j);                                     \
		KEEP(r);                                                       \
		return r;                                                      \
	}
LINK(0) LINK(1) LINK(2) LINK(3) LINK(4) LINK(5) LINK(6) LINK(7) LINK(8) LINK(9)
LINK(10) LINK(11) LINK(12) LINK(13) LINK(14) LINK(15) LINK(16) LINK(17) LINK(18)
LINK(19) LINK(20) LINK(21) LINK(22) LINK(23) LINK(24) LINK(25) LINK(26) LINK(27)
LINK(28) LINK(29) LINK(30) LINK(31) LINK(32) LINK(33) LINK(34) LINK(35) LINK(36)
LINK(37) LINK(38) LINK(39) LINK(40) LINK(41) LINK(42) LINK(43) LINK(44) LINK(45)
LINK(46) LINK(47)

static void init_links(void)
{
	link_fn all[CHAIN_MAX] = {
		link0, link1, link2, link3, link4, link5, link6, link7, link8, link9,
		link10, link11, link12, link13, link14, link15, link16, link17, link18,
		link19, link20, link21, link22, link23, link24, link25, link26, link27,
		link28, link29, link30, link31, link32, link33, link34, link35, link36,
		link37, link38, link39, link40, link41, link42, link43, link44, link45,
		link46, link47,
	};
	memcpy(links, all, sizeof(all));
	links[CHAIN_MAX] = run_mode;
}

int main(int argc, char **argv)
{
	struct job j = { 0 };
	long chain = 12;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: %s socket|fcntl|cheap|stacks|open|unwind|sockunwind COUNT "
		        "[CHAIN [SIZE]]\n", argv[0]);
		return 2;
	}
	j.mode = argv[1];
	j.count = strtol(argv[2], NULL, 10);
	if (argc >= 4)
		chain = strtol(argv[3], NULL, 10);
	unwind_size = argc == 5 ? (int)strtol(argv[4], NULL, 10) : 16;
	if (j.count <= 0 || chain < 0 || chain > CHAIN_MAX || unwind_size < 1 ||
	    unwind_size > 80) {
		fprintf(stderr, "bench_socket: bad COUNT, CHAIN or SIZE\n");
		return 2;
	}
	malloc_counter = dlsym(RTLD_DEFAULT, "countmalloc_calls");
	init_links();
	if (links[CHAIN_MAX - chain](&j) != 0) {
		fprintf(stderr, "bench_socket: unknown mode %s\n", j.mode);
		return 2;
	}
	if (j.ns_per_iter > 0)
		printf("mode=%s iters=%ld ns_per_iter=%.2f ns_batch_median=%.2f mallocs=%ld\n",
		       j.mode, j.count, j.ns_per_iter, j.ns_batch_median, j.mallocs);
	return 0;
}
