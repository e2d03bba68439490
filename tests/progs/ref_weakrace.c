/*
 * ref_weakrace — g_weak_ref_get racing the last g_object_unref, as GLib's
 * own threadtests (/GObject/threaded-weak-ref) do: GObject decides under
 * its weak-locations lock, and either the weak reference gets the object
 * (whose unref then finds the count raised and keeps it) or NULL.  A
 * correct program (tests/integration/test_ref_weakrace.sh).
 *
 *   ref_weakrace N   N rounds; prints "got G of N" and exits 0
 */
#include <glib-object.h>
#include <stdio.h>
#include <stdlib.h>

static GObject *shared;

static gpointer unref_in_thread(gpointer delay)
{
	g_usleep(GPOINTER_TO_UINT(delay));
	g_object_unref(shared);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 5000, got = 0;

	for (int i = 0; i < n; i++) {
		GWeakRef weak;
		shared = g_object_new(G_TYPE_OBJECT, NULL);
		g_weak_ref_init(&weak, shared);
		g_usleep(g_random_int_range(1, 10));
		GThread *t = g_thread_new("unref", unref_in_thread,
		                          GUINT_TO_POINTER(g_random_int_range(0, 5)));
		g_usleep(g_random_int_range(0, 150));
		GObject *strong = g_weak_ref_get(&weak);
		got += strong != NULL;
		g_thread_join(t);
		if (strong)
			g_object_unref(strong);
		g_weak_ref_clear(&weak);
	}
	printf("got %d of %d\n", got, n);
	return 0;
}
