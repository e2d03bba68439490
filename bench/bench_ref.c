/*
 * bench_ref — the program the benchmark runs to time booked reference
 * calls (build/bench/libbenchref.so), with and without libtally.so and
 * its rules.  Like bench_socket, every mode first descends a chain of CHAIN
 * distinct noinline functions (built without frame pointers), then warms
 * up, then times its loop and prints one line:
 *
 *   mode=pair iters=N ns_per_iter=... ns_batch_median=... mallocs=M refs=R
 *
 * One iteration is one pair of calls on one live object, whose count goes
 * 1 -> 2 -> 1 and never reaches 0.  `refs` is the object's count after the
 * loop (1: nothing was lost or added); `mallocs` as in bench_socket.
 * Modes:
 *
 *   pair    N   br_ref(o) + br_unref(o), called from here through the PLT
 *   nested  N   br_hold(o) + br_release(o), each of which calls br_ref or
 *               br_unref inside the library (directly, no PLT)
 *   live    M   M objects made with br_new and left live at exit
 *
 * The object of pair and nested is released at the end (count 0, freed).
 *
 * usage: bench_ref MODE COUNT [CHAIN]   (CHAIN 0..48, default 12)
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))
/* Keeps a call from becoming a tail call (which would drop its frame). */
#define KEEP(x) __asm__ volatile("" : "+r"(x))

#define CHAIN_MAX 48
#define BATCHES 10
#define WARMUP 4096

/* libbenchref.so */
struct br;
struct br *br_new(void);
struct br *br_ref(struct br *o);
void br_unref(struct br *o);
struct br *br_hold(struct br *o);
void br_release(struct br *o);
int br_refs(const struct br *o);

struct job {
	const char *mode;
	long count;
	long mallocs;        /* during the timed loop, or -1 */
	double ns_per_iter;
	double ns_batch_median;
	int refs;            /* the object's count after the loop */
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

/* ---- the loops --------------------------------------------------------- */

static NOINLINE void loop_pair(struct br *o, long n)
{
	for (long i = 0; i < n; i++) {
		struct br *r = br_ref(o);
		KEEP(r);
		br_unref(r);
	}
}

static NOINLINE void loop_nested(struct br *o, long n)
{
	for (long i = 0; i < n; i++) {
		struct br *r = br_hold(o);
		KEEP(r);
		br_release(r);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Runs the loop WARMUP times, then j->count times in BATCHES equal batches
 * (as bench_socket's run_timed). */
static void run_timed(struct job *j, void (*loop)(struct br *, long), struct br *o)
{
	double per[BATCHES];
	long each = j->count / BATCHES;

	if (each < 1)
		each = 1;
	j->count = each * BATCHES;
	loop(o, WARMUP);
	long m0 = mallocs_now();
	int64_t t0 = now_ns(), tb = t0;
	for (int b = 0; b < BATCHES; b++) {
		loop(o, each);
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

/* ---- the mode, at the bottom of the chain ------------------------------- */

static NOINLINE int run_mode(struct job *j)
{
	if (strcmp(j->mode, "pair") == 0 || strcmp(j->mode, "nested") == 0) {
		struct br *o = br_new();
		if (!o) {
			fprintf(stderr, "bench_ref: br_new failed\n");
			exit(1);
		}
		run_timed(j, j->mode[0] == 'p' ? loop_pair : loop_nested, o);
		j->refs = br_refs(o);
		br_unref(o);
	} else if (strcmp(j->mode, "live") == 0) {
		for (long i = 0; i < j->count; i++)
			if (!br_new()) {
				fprintf(stderr, "bench_ref: br_new failed\n");
				exit(1);
			}
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

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s pair|nested|live COUNT [CHAIN]\n", argv[0]);
		return 2;
	}
	j.mode = argv[1];
	j.count = strtol(argv[2], NULL, 10);
	if (argc == 4)
		chain = strtol(argv[3], NULL, 10);
	if (j.count <= 0 || chain < 0 || chain > CHAIN_MAX) {
		fprintf(stderr, "bench_ref: bad COUNT or CHAIN\n");
		return 2;
	}
	malloc_counter = dlsym(RTLD_DEFAULT, "countmalloc_calls");
	init_links();
	if (links[CHAIN_MAX - chain](&j) != 0) {
		fprintf(stderr, "bench_ref: unknown mode %s\n", j.mode);
		return 2;
	}
	if (j.ns_per_iter > 0)
		printf("mode=%s iters=%ld ns_per_iter=%.2f ns_batch_median=%.2f mallocs=%ld refs=%d\n",
		       j.mode, j.count, j.ns_per_iter, j.ns_batch_median, j.mallocs, j.refs);
	return 0;
}
