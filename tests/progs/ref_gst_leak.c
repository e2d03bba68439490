/*
 * ref_gst_leak — GStreamer buffers pushed into a fakesink, with one known
 * buffer reference leaked (tests/integration/test_ref_gst.sh).
 *
 * A source pad of the program's own is linked to a fakesink's sink pad;
 * the program sends stream-start and segment, pushes BUFFERS buffers made
 * by gst_buffer_new_allocate (peek_buffer takes and drops one reference of
 * each, in balance), then EOS, and takes everything down.  Unless
 * --no-leak, keep_a_buffer_ref() takes one extra reference of buffer 7
 * with gst_buffer_ref (an inline calling gst_mini_object_ref) and nobody
 * drops it: that buffer stays alive with a count of 1, and the program
 * forgets its pointer before exit (a leak, not a global that still holds
 * it).
 *
 * Prints "kept 0xADDR" (the buffer keep_a_buffer_ref referenced, or "(nil)") and
 * "pushed N".  Usage: ref_gst_leak [--no-leak] [BUFFERS]  (default 50)
 */
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARK __attribute__((noinline, no_icf))
/* After a call: keeps the call from becoming a tail call. */
#define NO_TAIL() __asm__ volatile("" ::: "memory")

static GstBuffer *kept;

MARK static void keep_a_buffer_ref(GstBuffer *buf)
{
	kept = gst_buffer_ref(buf);
	NO_TAIL();
}

MARK static gsize peek_buffer(GstBuffer *buf)
{
	GstBuffer *b = gst_buffer_ref(buf);
	gsize size = gst_buffer_get_size(b);
	gst_buffer_unref(b);
	NO_TAIL();
	return size;
}

MARK static GstBuffer *make_buffer(int i)
{
	GstBuffer *buf = gst_buffer_new_allocate(NULL, 64, NULL);
	gst_buffer_memset(buf, 0, (guint8)i, 64);
	GST_BUFFER_OFFSET(buf) = (guint64)i;
	NO_TAIL();
	return buf;
}

static void die(const char *what)
{
	fprintf(stderr, "ref_gst_leak: %s\n", what);
	exit(1);
}

int main(int argc, char **argv)
{
	int leak = 1, nbuf = 50, pushed = 0;
	GstSegment segment;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-leak") == 0)
			leak = 0;
		else if ((nbuf = atoi(argv[i])) < 8)
			die("usage: ref_gst_leak [--no-leak] [BUFFERS >= 8]");
	}
	gst_init(NULL, NULL);

	GstElement *sink = gst_element_factory_make("fakesink", "sink");
	if (!sink)
		die("no fakesink element (GStreamer core elements)");
	gst_object_ref_sink(sink);
	g_object_set(sink, "sync", FALSE, "async", FALSE, NULL);
	GstPad *src = gst_pad_new("src", GST_PAD_SRC);
	GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
	gst_object_ref_sink(src);
	if (!gst_pad_set_active(src, TRUE))
		die("cannot activate the source pad");
	if (gst_pad_link(src, sinkpad) != GST_PAD_LINK_OK)
		die("cannot link to fakesink");
	if (gst_element_set_state(sink, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
		die("fakesink does not start");

	gst_pad_push_event(src, gst_event_new_stream_start("ref_gst_leak"));
	gst_segment_init(&segment, GST_FORMAT_BYTES);
	gst_pad_push_event(src, gst_event_new_segment(&segment));
	for (int i = 0; i < nbuf; i++) {
		GstBuffer *buf = make_buffer(i);
		if (peek_buffer(buf) != 64)
			die("buffer size");
		if (i == 7 && leak)
			keep_a_buffer_ref(buf);
		if (gst_pad_push(src, buf) != GST_FLOW_OK)
			die("push failed");
		pushed++;
	}
	gst_pad_push_event(src, gst_event_new_eos());
	printf("kept %p\n", (void *)kept);
	printf("pushed %d\n", pushed);

	gst_element_set_state(sink, GST_STATE_NULL);
	gst_pad_set_active(src, FALSE);
	gst_pad_unlink(src, sinkpad);
	gst_object_unref(sinkpad);
	gst_object_unref(src);
	gst_object_unref(sink);
	if (kept && GST_MINI_OBJECT_REFCOUNT_VALUE(kept) != 1)
		die("the kept buffer should hold exactly one reference");
	/* The program forgets the buffer with its reference: leaked, not just
	 * still reachable from a global at exit (which tally would excuse). */
	kept = NULL;
	__asm__ volatile("" ::: "memory");
	/* Drops the registry and its features, as gst-launch-1.0 does: what
	 * stays alive after it is kept by GStreamer for the process's life. */
	gst_deinit();
	return 0;
}
