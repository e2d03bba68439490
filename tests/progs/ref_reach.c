/*
 * ref_reach — objects alive at exit that a global variable reaches only
 * through heap memory, for tests/integration/test_ref_reach.sh under the
 * rules "rl: rl_new = new; rl: rl_ref = inc; rl: rl_unref = dec; gobject".
 *
 *   rl A   global -> malloc'd holder -> A                still reachable
 *   rl B   global -> malloc'd table -> holder -> B       still reachable
 *   rl C   as B, and one more rl_ref at extra_ref()      leaked: +1 beyond
 *                                                        its creation one
 *   rl D   global -> the middle of a holder -> D          leaked: a pointer
 *                                                        into a block is
 *                                                        not followed
 *   rl F   held by a cycle of two holders no global      leaked
 *          reaches
 *   rl G   in a local only                               leaked
 *   rl H   global -> a 256 KiB (mmapped) array -> H      still reachable
 *   rl J   global -> a list of 100000 holders -> J       still reachable
 *   rl K   global -> a holder a thread allocated (in     still reachable
 *          its own arena, next to the arena's top
 *          chunk, whose header glibc keeps without
 *          the NON_MAIN_ARENA bit) -> K
 *   GObject box   global -> box                          still reachable
 *   GObject E     box's private part -> E                still reachable
 *                 (GLib puts it before the instance)
 *   GObject I     box's instance, 264 bytes in -> I      still reachable
 *                 (GLib says the instance's size)
 *   RrSub          global -> a subclass of the box that    still reachable
 *                 adds no private part (GLib's
 *                 g_type_class_get_instance_private_offset
 *                 would g_error() on it, killing the program)
 * With --many, only this:
 *   rl L   global -> a list of 1100000 links -> L       leaked: past the
 *                                                        walk's 2^20 blocks
 *          (the report says the walk was cut short)
 * Exits 0; prints "ok".
 */
#include <glib-object.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reflib/reflib.h"

struct holder {
	void *next;
	struct rl_obj *obj;
	char pad[48];
};

/* ---- a GObject with a private part and a large instance ---- */

typedef struct {
	GObject parent;
	char pad[240];
	GObject *far;   /* beyond a guess of the instance's size */
} RrBox;
typedef struct {
	GObjectClass parent;
} RrBoxClass;
typedef struct {
	GObject *held;
} RrBoxPrivate;

G_DEFINE_TYPE_WITH_PRIVATE(RrBox, rr_box, G_TYPE_OBJECT)

static void rr_box_class_init(RrBoxClass *klass)
{
	(void)klass;
}

static void rr_box_init(RrBox *self)
{
	(void)self;
}

typedef struct {
	RrBox parent;
} RrSub;
typedef struct {
	RrBoxClass parent;
} RrSubClass;

G_DEFINE_TYPE(RrSub, rr_sub, rr_box_get_type())

static void rr_sub_class_init(RrSubClass *klass)
{
	(void)klass;
}

static void rr_sub_init(RrSub *self)
{
	(void)self;
}

/* ---- the roots ---- */

struct holder *global_holder;
void **global_table;
char *global_interior;
struct rl_obj **global_big;
struct holder *global_list;
struct holder *global_from_thread;
RrBox *global_box;
RrSub *global_sub;

static __attribute__((noinline)) void extra_ref(struct rl_obj *o)
{
	rl_ref(o);   /* never dropped */
	__asm__ volatile("" ::: "memory");
}

static struct holder *holder_of(struct rl_obj *o)
{
	struct holder *h = calloc(1, sizeof(*h));
	if (!h)
		exit(1);
	h->obj = o;
	return h;
}

static void *hold_one(void *arg)
{
	(void)arg;
	global_from_thread = holder_of(rl_new(9));               /* K */
	return NULL;
}

/* A list longer than the walk follows; L at its far end. */
struct link {
	struct link *next;
	struct rl_obj *obj;
};
struct link *global_long_list;

static int many(void)
{
	struct link *last = calloc(1, sizeof(*last));
	if (!last)
		return 1;
	last->obj = rl_new(10);                                   /* L */
	for (int i = 0; i < 1100000; i++) {
		struct link *l = calloc(1, sizeof(*l));
		if (!l)
			return 1;
		l->next = last;
		last = l;
	}
	global_long_list = last;
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--many") == 0)
		return many();

	global_holder = holder_of(rl_new(1));                    /* A */

	global_table = calloc(4, sizeof(void *));
	if (!global_table)
		return 1;
	global_table[1] = holder_of(rl_new(2));                  /* B */
	struct rl_obj *c = rl_new(3);                            /* C */
	global_table[3] = holder_of(c);
	extra_ref(c);

	global_interior = (char *)holder_of(rl_new(4)) + 8;      /* D */

	struct holder *x = holder_of(rl_new(5)), *y = holder_of(NULL);   /* F */
	x->next = y;
	y->next = x;
	x = y = NULL;

	struct rl_obj *g = rl_new(6);                            /* G */
	__asm__ volatile("" : : "r"(g) : "memory");
	g = NULL;

	global_big = calloc(32768, sizeof(*global_big));
	if (!global_big)
		return 1;
	global_big[30000] = rl_new(7);                           /* H */

	struct holder *last = holder_of(rl_new(8));              /* J */
	for (int i = 0; i < 100000; i++) {
		struct holder *h = holder_of(NULL);
		h->next = last;
		last = h;
	}
	global_list = last;

	pthread_t t;
	if (pthread_create(&t, NULL, hold_one, NULL) != 0 || pthread_join(t, NULL) != 0)
		return 1;

	global_box = g_object_new(rr_box_get_type(), NULL);
	RrBoxPrivate *priv = rr_box_get_instance_private(global_box);
	priv->held = g_object_new(G_TYPE_OBJECT, NULL);           /* E */
	global_box->far = g_object_new(G_TYPE_OBJECT, NULL);      /* I */
	global_sub = g_object_new(rr_sub_get_type(), NULL);

	printf("ok\n");
	return 0;
}
