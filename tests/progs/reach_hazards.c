/*
 * reach_hazards — what broke the exit-time walk (shim/reach.c) in a review,
 * for tests/integration/test_reach_hazards.sh under the rules
 * "ob: ob_new = new; ob: ob_new_at = new; ob: ob_ref = inc; ob: ob_unref = dec"
 * (reachlib.h).  Each mode prints "ok" and exits 0 without tally.
 *
 *   dlrace LIB  an object the walk reads with GLib's help kept in a
 *               library's global, and a thread that dlopens and dlcloses
 *               LIB through libc's own dlopen while main exits: the walk
 *               called dlsym under dl_iterate_phdr's loader lock, and the
 *               loading thread, holding the other loader lock, waited for
 *               it: the process hung at exit.  A 64 MiB .bss, read first,
 *               gives the loader time to be inside dlopen.
 *   uffd        a global pointing into memory registered with userfaultfd
 *               that nobody serves: reading it waits for ever (the walk
 *               hung at exit).  Prints "skip" if userfaultfd is refused.
 *   window      A (global) and B packed side by side in one block, B
 *               holding the only pointer to C: the 128-byte window read
 *               for A ran over B, and C counted as reachable.  B and C
 *               are leaked.
 *   forlife     a function a lifetime rule names ("ob: lib_setup =
 *               lifetime") takes a reference and gives it back, and
 *               leak_one() takes one never dropped: leaving out only the
 *               +1 under lib_setup cancelled the leak.  1 leaked.
 *   forkchild   a fork child (no exec) that exits with a GObject a
 *               global reaches only through another GObject's private
 *               part: in a fork child the walk asks GLib nothing (a
 *               thread of the parent may have held GLib's type lock at
 *               the fork, for good: the child hung at exit in a helper's
 *               stress), so the inner GObject counts as leaked there.
 *               The parent waits for it and exits 0.
 *   forlater    as forlife, but lib_setup's reference is given back
 *               later, outside it (as a GTask made there drops its
 *               GMainContext from a later dispatch): the +1 under
 *               lib_setup was held for life and the -1 cancelled the
 *               leak.  The object is unreachable: nothing keeps it for
 *               life.  1 leaked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <glib-object.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reachlib/reachlib.h"

char big_root[64 << 20];   /* not static: kept, read first */
struct ob *global_a, *global_obj;
char *global_cursor;

static const char *loaded;
static void *(*libc_dlopen)(const char *, int);

static void *loader(void *arg)
{
	(void)arg;
	for (;;) {
		void *h = libc_dlopen(loaded, RTLD_NOW);
		if (h)
			dlclose(h);
	}
	return NULL;
}

static int dlrace(const char *lib)
{
	/* libc's dlopen, not the shim's wrapper (which takes its own steps
	 * first and makes the race rarer). */
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	*(void **)&libc_dlopen = libc ? dlsym(libc, "dlopen") : NULL;
	if (!libc_dlopen)
		return 2;
	loaded = lib;
	ob_keep_global(ob_new(NULL));
	big_root[sizeof(big_root) - 1] = 1;
	pthread_t t;
	if (pthread_create(&t, NULL, loader, NULL) != 0)
		return 2;
	printf("ok\n");
	fflush(stdout);
	return 0;   /* exit() while the loader runs */
}

static int uffd(void)
{
	global_obj = ob_new(NULL);   /* a live object: the walk runs */
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */);
	if (fd < 0)
		fd = syscall(SYS_userfaultfd, O_CLOEXEC);
	struct uffdio_api api = { .api = UFFD_API };
	if (fd < 0 || ioctl((int)fd, UFFDIO_API, &api) != 0) {
		printf("skip\n");
		return 0;
	}
	size_t len = 1 << 20;
	char *region = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		return 2;
	struct uffdio_register reg = { .range = { (unsigned long)region, len },
	                               .mode = UFFDIO_REGISTER_MODE_MISSING };
	if (ioctl((int)fd, UFFDIO_REGISTER, &reg) != 0) {
		printf("skip\n");
		return 0;
	}
	global_cursor = region + 4096 + 64;   /* never touched */
	printf("ok\n");
	return 0;
}

static int window(void)
{
	char *slab = malloc(4096), *other = malloc(4096);
	if (!slab || !other)
		return 2;
	struct ob *c = ob_new_at(other + 64, NULL);     /* C */
	global_a = ob_new_at(slab + 32, NULL);          /* A */
	struct ob *b = ob_new_at(slab + 48, c);         /* B, holding C */
	__asm__ volatile("" : : "r"(b) : "memory");
	printf("ok\n");
	return 0;
}

__attribute__((noinline)) void lib_setup(struct ob *o)
{
	ob_ref(o);   /* a temporary while setting up */
	__asm__ volatile("" ::: "memory");
	ob_unref(o);   /* given back before lib_setup returns */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void leak_one(struct ob *o)
{
	ob_ref(o);   /* never dropped */
	__asm__ volatile("" ::: "memory");
}

typedef struct {
	GObject parent;
} RhBox;
typedef struct {
	GObjectClass parent;
} RhBoxClass;
typedef struct {
	GObject *held;
} RhBoxPrivate;
G_DEFINE_TYPE_WITH_PRIVATE(RhBox, rh_box, G_TYPE_OBJECT)
static void rh_box_class_init(RhBoxClass *k)
{
	(void)k;
}
static void rh_box_init(RhBox *b)
{
	(void)b;
}

RhBox *global_box;

static int forkchild(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		global_box = g_object_new(rh_box_get_type(), NULL);
		RhBoxPrivate *priv = rh_box_get_instance_private(global_box);
		priv->held = g_object_new(G_TYPE_OBJECT, NULL);
		exit(0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 3;
	printf("ok\n");
	return 0;
}

__attribute__((noinline)) void later(struct ob *o)
{
	ob_unref(o);   /* lib_setup's, given back outside it */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void lib_setup_keep(struct ob *o)
{
	ob_ref(o);   /* given back by later() */
	__asm__ volatile("" ::: "memory");
}

static int forlater(void)
{
	struct ob *o = ob_new(NULL);
	if (!o)
		return 2;
	lib_setup_keep(o);
	leak_one(o);
	later(o);
	ob_unref(o);   /* the creator's */
	printf("ok\n");
	return 0;
}

static int forlife(void)
{
	struct ob *o = ob_new(NULL);
	if (!o)
		return 2;
	lib_setup(o);
	leak_one(o);
	ob_unref(o);   /* the creator's */
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "dlrace") == 0)
		return dlrace(argv[2]);
	if (argc == 2 && strcmp(argv[1], "uffd") == 0)
		return uffd();
	if (argc == 2 && strcmp(argv[1], "window") == 0)
		return window();
	if (argc == 2 && strcmp(argv[1], "forlife") == 0)
		return forlife();
	if (argc == 2 && strcmp(argv[1], "forlater") == 0)
		return forlater();
	if (argc == 2 && strcmp(argv[1], "forkchild") == 0)
		return forkchild();
	fprintf(stderr, "usage: reach_hazards dlrace LIB | uffd | window | forlife | forlater | forkchild\n");
	return 2;
}
