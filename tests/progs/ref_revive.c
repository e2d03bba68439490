/*
 * ref_revive — correct GLib and GObject code that takes a reference while
 * the decrement of what looks like the last one is still under way, and
 * GLib calls that drop one reference of several under a "free" name.
 * tests/integration/test_ref_revive.sh runs it with TALLY_ENFORCE=abort:
 * none of it may abort, and nothing may stay alive in the books.
 *
 *   shared_arrays    g_array_free / g_ptr_array_free with a second holder:
 *                    GLib keeps the wrapper until the last unref
 *   revive_in_dispose  dispose takes a reference to its own object and
 *                    keeps it (GObject's documented resurrection)
 *   signal_in_dispose  dispose takes a reference and drops it again, twice
 *                    (as g_signal_emit does on its instance)
 *   revive_from_thread  another thread takes a reference while the last
 *                    unref's dispose runs (as a cache that hands the object
 *                    out, or GLib's g_weak_ref_get in the window before the
 *                    unref clears weak references, may)
 *   use_and_drop_from_thread  another thread takes and drops a reference
 *                    while dispose waits, then dispose takes and drops one
 *
 * Prints "revived ADDR" and "raced ADDR" for the objects brought back.
 * With --many N: only many_at_once (below) with N threads.
 */
#include <glib-object.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_TYPE_OBJ (t_obj_get_type())
G_DECLARE_FINAL_TYPE(TObj, t_obj, T, OBJ, GObject)

enum dispose_does { DISPOSE_PLAIN, DISPOSE_REVIVE, DISPOSE_REF_UNREF, DISPOSE_WAIT_RACE,
                    DISPOSE_WAIT_THEN_REF_UNREF, DISPOSE_ALL_TOGETHER };

struct _TObj {
	GObject parent;
	enum dispose_does does;
};

G_DEFINE_TYPE(TObj, t_obj, G_TYPE_OBJECT)

static GObject *revived;

/* revive_from_thread: dispose lets the other thread take a reference and
 * waits until it has. */
static GMutex race_lock;
static GCond race_cond;
static int race_step;   /* 1: dispose runs, 2: the other thread holds it */
static GObject *race_obj;
static int together, together_n;   /* many_at_once: in dispose / threads */

static void t_obj_dispose(GObject *o)
{
	TObj *t = T_OBJ(o);

	switch (t->does) {
	case DISPOSE_REVIVE:
		t->does = DISPOSE_PLAIN;
		revived = g_object_ref(o);
		break;
	case DISPOSE_REF_UNREF:
		/* twice: the second reference comes after the first one's
		 * unref released the object again, the outer unref still
		 * under way */
		t->does = DISPOSE_PLAIN;
		g_object_unref(g_object_ref(o));
		g_object_unref(g_object_ref(o));
		break;
	case DISPOSE_WAIT_RACE:
	case DISPOSE_WAIT_THEN_REF_UNREF: {
		enum dispose_does did = t->does;
		t->does = DISPOSE_PLAIN;
		g_mutex_lock(&race_lock);
		race_step = 1;
		g_cond_broadcast(&race_cond);
		while (race_step != 2)
			g_cond_wait(&race_cond, &race_lock);
		g_mutex_unlock(&race_lock);
		/* after the other thread's own unref returned: this
		 * decrement is still under way */
		if (did == DISPOSE_WAIT_THEN_REF_UNREF)
			g_object_unref(g_object_ref(o));
		break;
	}
	case DISPOSE_ALL_TOGETHER:
		/* every thread's last unref under way at once, then a signal */
		t->does = DISPOSE_PLAIN;
		g_mutex_lock(&race_lock);
		together++;
		g_cond_broadcast(&race_cond);
		while (together < together_n)
			g_cond_wait(&race_cond, &race_lock);
		g_mutex_unlock(&race_lock);
		g_object_unref(g_object_ref(o));
		break;
	case DISPOSE_PLAIN:
		break;
	}
	G_OBJECT_CLASS(t_obj_parent_class)->dispose(o);
}

static void t_obj_class_init(TObjClass *k)
{
	G_OBJECT_CLASS(k)->dispose = t_obj_dispose;
}

static void t_obj_init(TObj *t)
{
	t->does = DISPOSE_PLAIN;
}

static __attribute__((noinline)) void shared_arrays(void)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(int));
	int v = 1;

	g_array_ref(a);
	g_array_free(a, TRUE);   /* one holder done: the wrapper stays */
	g_array_append_val(a, v);
	g_array_unref(a);        /* the last one: freed */

	GPtrArray *p = g_ptr_array_new();
	g_ptr_array_ref(p);
	g_ptr_array_free(p, TRUE);
	g_ptr_array_add(p, NULL);
	g_ptr_array_unref(p);
}

static __attribute__((noinline)) void revive_in_dispose(void)
{
	TObj *t = g_object_new(T_TYPE_OBJ, NULL);

	t->does = DISPOSE_REVIVE;
	g_object_unref(t);   /* dispose keeps it: the count is 1 again */
	if (revived != G_OBJECT(t) || revived->ref_count != 1) {
		fprintf(stderr, "ref_revive: dispose did not bring the object back\n");
		exit(1);
	}
	printf("revived %p\n", (void *)revived);
	g_object_unref(revived);   /* the real last one */
}

static __attribute__((noinline)) void signal_in_dispose(void)
{
	TObj *t = g_object_new(T_TYPE_OBJ, NULL);

	t->does = DISPOSE_REF_UNREF;
	g_object_unref(t);
}

static gpointer race_thread(gpointer drop)
{
	g_mutex_lock(&race_lock);
	while (race_step != 1)
		g_cond_wait(&race_cond, &race_lock);
	GObject *o = g_object_ref(race_obj);   /* dispose is under way */
	if (drop) {
		g_object_unref(o);   /* used and dropped again: its release returns */
		o = NULL;
	}
	race_step = 2;
	g_cond_broadcast(&race_cond);
	g_mutex_unlock(&race_lock);
	return o;
}

static __attribute__((noinline)) void revive_from_thread(void)
{
	TObj *t = g_object_new(T_TYPE_OBJ, NULL);

	race_obj = G_OBJECT(t);
	t->does = DISPOSE_WAIT_RACE;
	race_step = 0;
	GThread *th = g_thread_new("race", race_thread, NULL);
	g_object_unref(t);   /* dispose waits for the other thread's reference */
	GObject *o = g_thread_join(th);
	if (o != race_obj || o->ref_count != 1) {
		fprintf(stderr, "ref_revive: the other thread's reference did not hold the object\n");
		exit(1);
	}
	printf("raced %p\n", (void *)o);
	g_object_unref(o);
}

/* The other thread takes a reference and drops it again while dispose
 * waits; then dispose takes and drops one, the last unref still under way
 * (a review found the other thread's return ended this one's release). */
static __attribute__((noinline)) void use_and_drop_from_thread(void)
{
	TObj *t = g_object_new(T_TYPE_OBJ, NULL);

	race_obj = G_OBJECT(t);
	t->does = DISPOSE_WAIT_THEN_REF_UNREF;
	race_step = 0;
	GThread *th = g_thread_new("race", race_thread, GINT_TO_POINTER(1));
	g_object_unref(t);   /* finalized: the last reference */
	if (g_thread_join(th) != NULL) {
		fprintf(stderr, "ref_revive: the other thread kept a reference\n");
		exit(1);
	}
}

static gpointer drop_last(gpointer obj)
{
	g_object_unref(obj);
	return NULL;
}

/* More threads than the shim counts releases for (256) each drop the last
 * reference to an object of their own, all disposes under way at once,
 * each then emits "a signal" (a review: 65 of them aborted a correct
 * program when the table held 64). */
static __attribute__((noinline)) void many_at_once(int n)
{
	GThread **threads = g_new(GThread *, n);

	together = 0;
	together_n = n;
	for (int i = 0; i < n; i++) {
		TObj *t = g_object_new(T_TYPE_OBJ, NULL);
		t->does = DISPOSE_ALL_TOGETHER;
		threads[i] = g_thread_new("many", drop_last, t);
	}
	for (int i = 0; i < n; i++)
		g_thread_join(threads[i]);
	g_free(threads);
	printf("together %d\n", together);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--many") == 0) {
		many_at_once(atoi(argv[2]));
		return 0;
	}
	shared_arrays();
	revive_in_dispose();
	signal_in_dispose();
	revive_from_thread();
	use_and_drop_from_thread();
	printf("done\n");
	return 0;
}
