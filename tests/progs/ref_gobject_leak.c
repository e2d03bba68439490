/*
 * ref_gobject_leak — GObject and GLib reference counts with one known leak
 * (tests/integration/test_ref_glib.sh).
 *
 * GObject part (booked under TALLY_RULES=gobject): three RefThing objects
 * (a GObject subclass) and two RefFloaty objects (a GInitiallyUnowned
 * subclass, created with a floating reference) are made, referenced and
 * dropped in balance; g_object_ref_sink takes over the floating reference
 * of each floaty (count unchanged), a second sink of one of them adds a
 * reference.  Unless --no-leak, leak_one_ref() takes one more reference of
 * the second thing and nobody drops it: that object stays alive, count 1.
 *
 * GLib part (booked under TALLY_RULES=glib): a GHashTable, a GMainContext
 * with a GMainLoop run by an idle and a timeout GSource, and GBytes, all
 * referenced and dropped in balance.  With --leak-bytes, leak_bytes_ref()
 * takes one more reference of a GBytes that is never dropped.
 *
 * Prints "leaked 0xADDR" (the object leak_one_ref referenced, or "(nil)"),
 * "floaty 0xADDR" for each floaty and "bytes 0xADDR" for the GBytes
 * leak_bytes_ref referenced (or "(nil)").
 *
 * Every function named in a test is noinline, not folded with another
 * (no_icf) and makes no tail call, so it is the innermost program frame of
 * the references it takes.
 */
#include <glib-object.h>
#include <stdio.h>
#include <string.h>

#define MARK __attribute__((noinline, no_icf))
/* After a call: keeps the call from becoming a tail call. */
#define NO_TAIL() __asm__ volatile("" ::: "memory")

/* ---- the types --------------------------------------------------------- */

#define REF_TYPE_THING (ref_thing_get_type())
G_DECLARE_FINAL_TYPE(RefThing, ref_thing, REF, THING, GObject)
struct _RefThing {
	GObject parent;
	int n;
};
G_DEFINE_TYPE(RefThing, ref_thing, G_TYPE_OBJECT)
static void ref_thing_class_init(RefThingClass *klass) { (void)klass; }
static void ref_thing_init(RefThing *self) { self->n = 0; }

#define REF_TYPE_FLOATY (ref_floaty_get_type())
G_DECLARE_FINAL_TYPE(RefFloaty, ref_floaty, REF, FLOATY, GInitiallyUnowned)
struct _RefFloaty {
	GInitiallyUnowned parent;
	int n;
};
G_DEFINE_TYPE(RefFloaty, ref_floaty, G_TYPE_INITIALLY_UNOWNED)
static void ref_floaty_class_init(RefFloatyClass *klass) { (void)klass; }
static void ref_floaty_init(RefFloaty *self) { self->n = 0; }

/* ---- GObject part ------------------------------------------------------ */

MARK static RefThing *make_thing(void)
{
	RefThing *t = g_object_new(REF_TYPE_THING, NULL);
	NO_TAIL();
	return t;
}

MARK static RefFloaty *make_floaty(void)
{
	RefFloaty *f = g_object_new(REF_TYPE_FLOATY, NULL);
	NO_TAIL();
	return f;
}

MARK static void adopt(gpointer obj)
{
	g_object_ref_sink(obj);
	NO_TAIL();
}

MARK static void share(gpointer obj)
{
	g_object_ref(obj);
	NO_TAIL();
}

MARK static void drop(gpointer obj)
{
	g_object_unref(obj);
	NO_TAIL();
}

MARK static void leak_one_ref(gpointer obj)
{
	g_object_ref(obj);
	NO_TAIL();
}

/* Balanced: `times` references taken, then as many dropped. */
MARK static void use(gpointer obj, int times)
{
	for (int i = 0; i < times; i++)
		share(obj);
	for (int i = 0; i < times; i++)
		drop(obj);
}

MARK static void gobject_part(int leak)
{
	RefThing *things[3];
	RefFloaty *f1, *f2;

	for (int i = 0; i < 3; i++)
		things[i] = make_thing();
	for (int i = 0; i < 3; i++)
		use(things[i], 5);

	/* Floating reference sunk: the count stays 1, then one drop frees it. */
	f1 = make_floaty();
	if (!g_object_is_floating(f1))
		g_error("a new GInitiallyUnowned should be floating");
	adopt(f1);
	if (g_object_is_floating(f1) || G_OBJECT(f1)->ref_count != 1)
		g_error("g_object_ref_sink should take over the floating reference");
	use(f1, 1);
	printf("floaty %p\n", (void *)f1);
	drop(f1);

	/* Sunk twice: the second sink is a plain reference. */
	f2 = make_floaty();
	adopt(f2);
	adopt(f2);
	printf("floaty %p\n", (void *)f2);
	drop(f2);
	drop(f2);

	if (leak)
		leak_one_ref(things[1]);
	printf("leaked %p\n", leak ? (void *)things[1] : NULL);
	for (int i = 0; i < 3; i++)
		drop(things[i]);
	if (leak && G_OBJECT(things[1])->ref_count != 1)
		g_error("the leaked object should hold exactly one reference");
	NO_TAIL();
}

/* ---- GLib part --------------------------------------------------------- */

MARK static void glib_hash(void)
{
	GHashTable *h = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable *h2 = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	g_hash_table_ref(h);
	g_hash_table_insert(h, "key", "value");
	g_hash_table_unref(h);
	g_hash_table_unref(h);
	g_hash_table_insert(h2, g_strdup("key"), "value");
	g_hash_table_destroy(h2);
	NO_TAIL();
}

static gboolean quit_loop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

static gboolean idle_once(gpointer data)
{
	(*(int *)data)++;
	return G_SOURCE_REMOVE;
}

MARK static void glib_loop(void)
{
	GMainContext *ctx = g_main_context_new();
	GMainLoop *loop = g_main_loop_new(ctx, FALSE);
	GSource *idle = g_idle_source_new();
	GSource *timeout = g_timeout_source_new(10);
	int ran = 0;

	g_main_loop_ref(loop);
	g_main_loop_unref(loop);
	g_source_set_callback(idle, idle_once, &ran, NULL);
	g_source_attach(idle, ctx);
	g_source_set_callback(timeout, quit_loop, loop, NULL);
	g_source_attach(timeout, ctx);
	g_source_ref(idle);
	g_source_unref(idle);
	g_source_unref(idle);
	g_source_unref(timeout);
	g_main_loop_run(loop);
	if (ran != 1)
		g_error("the idle source did not run");
	g_main_loop_unref(loop);
	g_main_context_unref(ctx);
	NO_TAIL();
}

MARK static void leak_bytes_ref(GBytes *b)
{
	g_bytes_ref(b);
	NO_TAIL();
}

MARK static void glib_bytes(int leak)
{
	static const char text[] = "reference books";
	GBytes *b = g_bytes_new(text, sizeof(text));
	GBytes *part = g_bytes_new_from_bytes(b, 0, 4);
	GBytes *other = g_bytes_new_static(text, 4);
	gsize size;

	g_bytes_ref(b);
	g_bytes_unref(b);
	if (!g_bytes_equal(part, other))
		g_error("GBytes compare");
	g_bytes_unref(part);
	g_free(g_bytes_unref_to_data(other, &size));
	if (leak)
		leak_bytes_ref(b);
	printf("bytes %p\n", leak ? (void *)b : NULL);
	g_bytes_unref(b);
	NO_TAIL();
}

int main(int argc, char **argv)
{
	int leak = 1, leak_bytes = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-leak") == 0) {
			leak = 0;
		} else if (strcmp(argv[i], "--leak-bytes") == 0) {
			leak_bytes = 1;
		} else {
			fprintf(stderr, "usage: ref_gobject_leak [--no-leak] [--leak-bytes]\n");
			return 2;
		}
	}
	gobject_part(leak);
	glib_hash();
	glib_loop();
	glib_bytes(leak_bytes);
	return 0;
}
