/*
 * ref_gio — a correct GLib/GIO program, and the same with one leak, under
 * the glib and gobject presets (tests/integration/test_ref_gio.sh).
 *
 * GLib and GIO make objects they keep for the life of the process: the
 * worker thread a unix signal source starts, GTask's thread pool and its
 * queue (made in g_task_get_type), the attribute lists of GIO's file
 * classes (made in their class_init), GIO's modules.  None of them is the
 * program's leak: the presets' lifetime rules say so.  And it makes
 * GVariants where no rule sees them, at released ones' addresses.
 *
 * GIO's default network monitor, kept too, references the default
 * GMainContext made before it.
 *
 *   (no option)  uses all of the above and frees what it made: no leak
 *   --leak       also loses one GFile, in leak_one_file()
 * Then runs itself as a child that writes nothing (--silent-child) and
 * prints how many bytes its stderr carried.  Prints "done" and exits 0.
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gboolean on_signal(gpointer data)
{
	(void)data;
	return G_SOURCE_CONTINUE;
}

static void work(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	(void)source, (void)data, (void)cancel;
	g_task_return_boolean(task, TRUE);
}

/* Runs one GTask in GLib's thread pool.  The pool thread drops its own
 * reference to the task just after the caller has its result: wait for
 * that, so that the program's exit does not cut it short (README, Limits). */
static void run_a_task(void)
{
	GTask *task = g_task_new(NULL, NULL, NULL, NULL);

	g_task_run_in_thread_sync(task, work);
	for (int i = 0; i < 5000 && G_OBJECT(task)->ref_count > 1; i++)
		g_usleep(1000);
	g_object_unref(task);
}

/* GVariants made where no rule sees them (g_variant_builder_end and
 * g_variant_get's children use internal constructors) at the addresses of
 * released ones: new objects, not references after release (the preset's
 * "GVariant: unseen_new"). */
static void build_variants(void)
{
	for (int round = 0; round < 20; round++) {
		GVariant *n = g_variant_ref_sink(g_variant_new_int32(round));
		g_variant_unref(n);
		GVariantBuilder b;
		g_variant_builder_init(&b, G_VARIANT_TYPE("(si)"));
		g_variant_builder_add(&b, "s", "key");
		g_variant_builder_add(&b, "i", round);
		GVariant *v = g_variant_ref_sink(g_variant_builder_end(&b));
		GVariant *child = NULL;
		g_variant_get(v, "(@si)", &child, NULL);
		g_variant_unref(child);
		g_variant_unref(v);
	}
}

/* GThreads GLib's pools make where no rule sees them, at the addresses of
 * released GHashTables: the pool's g_thread_unref is no reference after
 * the table's release. */
static void nothing(gpointer data, gpointer user)
{
	(void)data, (void)user;
}

static void churn_pools(void)
{
	g_thread_pool_set_max_unused_threads(0);   /* a new pool thread each time */
	for (int i = 0; i < 200; i++) {
		GHashTable *table = g_hash_table_new(g_str_hash, g_str_equal);
		g_hash_table_unref(table);
		GThreadPool *pool = g_thread_pool_new(nothing, NULL, 1, FALSE, NULL);
		g_thread_pool_push(pool, GINT_TO_POINTER(1), NULL);
		g_thread_pool_free(pool, FALSE, TRUE);
	}
}

/* A queue referenced while locked (deprecated, still exported and used):
 * the last unref is no reference after release. */
static void lock_a_queue(void)
{
	GAsyncQueue *queue = g_async_queue_new();

	G_GNUC_BEGIN_IGNORE_DEPRECATIONS
	g_async_queue_lock(queue);
	g_async_queue_ref_unlocked(queue);
	g_async_queue_unref_and_unlock(queue);
	G_GNUC_END_IGNORE_DEPRECATIONS
	g_async_queue_unref(queue);
}

/* g_object_new with 24 property pairs: 46 words of stack arguments, past
 * the 32 every hook passes on (the preset's rule is "varargs"). */
static void many_properties(void)
{
#define E2(v) "enabled", (gboolean)(v), "enabled", (gboolean)!(v)
	GObject *action = g_object_new(G_TYPE_SIMPLE_ACTION, "name", "many",
		E2(0), E2(0), E2(0), E2(0), E2(0), E2(0), E2(0), E2(0), E2(0), E2(0), E2(0),
		"enabled", FALSE, "enabled", TRUE, NULL);
#undef E2
	printf("many properties: name %s, enabled %d\n", g_action_get_name(G_ACTION(action)),
	       g_action_get_enabled(G_ACTION(action)));
	g_object_unref(action);
}

/* Hooked calls nested deeper than the shim follows (ACTIVE_MAX): a
 * GVariant 100 deep, freed recursively by GLib, and a chain of 40 objects
 * each of whose dispose drops the next, the innermost taking a reference
 * to a shared object that is given back later.  They were not booked: the
 * children "leaked", and the late unref was a certain reference after
 * release, an abort. */
typedef struct {
	GObject parent;
	GObject *next;
} Link;
typedef struct {
	GObjectClass parent;
} LinkClass;
G_DEFINE_TYPE(Link, link, G_TYPE_OBJECT)

static GObject *shared, *taken;

static void link_init(Link *l)
{
	(void)l;
}

static void link_dispose(GObject *o)
{
	Link *l = (Link *)o;

	if (l->next)
		g_clear_object(&l->next);
	else if (!taken)
		taken = g_object_ref(shared);
	G_OBJECT_CLASS(link_parent_class)->dispose(o);
}

static void link_class_init(LinkClass *k)
{
	G_OBJECT_CLASS(k)->dispose = link_dispose;
}

static void deep_calls(void)
{
	GVariant *v = g_variant_new_int32(1);
	for (int i = 0; i < 100; i++)
		v = g_variant_new_variant(v);
	g_variant_unref(g_variant_ref_sink(v));

	shared = g_object_new(G_TYPE_OBJECT, NULL);
	GObject *head = NULL;
	for (int i = 0; i < 40; i++) {
		Link *l = g_object_new(link_get_type(), NULL);
		l->next = head;
		head = G_OBJECT(l);
	}
	g_object_unref(head);
	g_clear_object(&taken);
	g_clear_object(&shared);
}

static void query_a_file(void)
{
	GFile *file = g_file_new_for_path("/");
	GFileInfo *info = g_file_query_info(file, "standard::*", G_FILE_QUERY_INFO_NONE, NULL, NULL);

	if (info)
		g_object_unref(info);
	g_object_unref(file);
}

static __attribute__((noinline)) GFile *leak_one_file(void)
{
	GFile *file = g_file_new_for_path("/tmp");   /* never unreferenced */

	if (!file)   /* and not a tail call: this frame stays in its stack */
		abort();
	return file;
}

/* Runs this program again as a child that writes nothing, and prints how
 * many bytes arrived on the child's stderr: tally must write none there
 * (its coverage lines are COMMAND's alone). */
static void spawn_a_silent_child(const char *self)
{
	gchar *argv[] = { (gchar *)self, (gchar *)"--silent-child", NULL };
	gchar *err = NULL;
	gint status = 0;

	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, NULL))
		err = g_strdup("(spawn failed)");
	printf("child's stderr: %zu bytes\n", strlen(err));
	g_free(err);
}

/* GIO's default network monitor, kept for the life of the process (the
 * preset's lifetime rule), references the default GMainContext, which a
 * GMainLoop on it made first: that reference is the monitor's, held for
 * good, no leak of the context ("held for the life of the process"). */
static void monitor_the_network(void)
{
	GMainLoop *loop = g_main_loop_new(NULL, FALSE);

	printf("network available: %d\n",
	       g_network_monitor_get_network_available(g_network_monitor_get_default()) ? 1 : 0);
	g_main_loop_unref(loop);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--silent-child") == 0)
		return 0;
	int leak = argc == 2 && strcmp(argv[1], "--leak") == 0;
	guint id = g_unix_signal_add(SIGUSR1, on_signal, NULL);

	run_a_task();
	query_a_file();
	build_variants();
	churn_pools();
	lock_a_queue();
	many_properties();
	deep_calls();
	monitor_the_network();
	if (leak) {
		volatile GFile *lost = leak_one_file();
		lost = NULL;
		(void)lost;
	}
	g_source_remove(id);
	spawn_a_silent_child(argv[0]);
	printf("done\n");
	return 0;
}
