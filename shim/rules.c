/*
 * rules — the rule parser and the presets.  See rules.h for the grammar.
 */
#include "rules.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The example gateway's publishers (examples/publisher.h). */
static const char preset_gateway[] =
	"gw_publisher: gw_publisher_new = new\n"
	"gw_publisher: gw_publisher_ref = inc\n"
	"gw_publisher: gw_publisher_unref = dec\n";

/* GObject and everything derived from it.  g_object_new and the others all
 * end in the same internal constructor; a creation seen twice on one
 * thread within one call is booked once (books.c). */
static const char preset_gobject[] =
	"GObject: g_object_new = new varargs\n"
	"GObject: g_object_new_with_properties = new\n"
	"GObject: g_object_newv = new\n"
	"GObject: g_object_new_valist = new\n"
	"GObject: g_object_ref = inc\n"
	"GObject: g_object_unref = dec\n"
	"GObject: g_object_ref_sink = sink(0, g_object_is_floating)\n"
	"GObject: g_object_take_ref = take\n"
	"GObject: g_object_add_toggle_ref = inc\n"
	"GObject: g_object_remove_toggle_ref = dec\n"
	"type_system\n"
	/* GIO's modules are GTypeModules, which are never finalized; GIO's
	 * default monitors and backends are made once, kept for the life of
	 * the process, and found from a global only through GIO's tables. */
	"GObject: g_io_module_new = lifetime\n"
	"*: g_network_monitor_get_default = lifetime\n"
	"*: g_proxy_resolver_get_default = lifetime\n"
	"*: g_tls_backend_get_default = lifetime\n"
	"*: g_memory_monitor_dup_default = lifetime\n"
	"*: g_power_profile_monitor_dup_default = lifetime\n";

/* Made while a GType is registered or its class or interface initialised:
 * once per process, for its whole life (GIO's task pool and its queue,
 * the attribute lists of GIO's file classes).  Part of gobject and glib:
 * a GLib program's type system makes objects of both. */
static const char preset_type_system[] =
	"*: *_get_type = lifetime\n"
	"*: g_type_class_ref = lifetime\n"
	"*: g_type_default_interface_ref = lifetime\n";

/* GStreamer: GstObject is a GObject (gst_object_ref calls g_object_ref;
 * the nested call is booked once), mini objects have a count of their own
 * and come back from pools after reaching 0.  Objects GStreamer keeps for
 * the life of the process (pad templates, static caps) carry a
 * MAY_BE_LEAKED flag: GstMiniObject.flags bit 2 at offset 16,
 * GstObject.flags bit 0 at offset 48 (x86-64, GStreamer 1.x). */
static const char preset_gst[] =
	"gobject\n"
	"GObject: gst_object_ref = inc\n"
	"GObject: gst_object_unref = dec\n"
	"GObject: gst_object_ref_sink = sink(0, g_object_is_floating)\n"
	"GstMiniObject: resurrects\n"
	"GstMiniObject: gst_mini_object_ref = inc\n"
	"GstMiniObject: gst_mini_object_unref = dec\n"
	"GstMiniObject: gst_mini_object_copy = new\n"
	"GstBuffer: resurrects\n"
	"GstBuffer: gst_buffer_new = new\n"
	"GstBuffer: gst_buffer_new_allocate = new\n"
	"GstBuffer: gst_buffer_new_wrapped = new\n"
	"GstBuffer: gst_buffer_new_wrapped_full = new\n"
	"GstBuffer: gst_buffer_new_wrapped_bytes = new\n"
	"GstBuffer: gst_buffer_new_memdup = new\n"
	"GstBuffer: gst_buffer_copy_deep = new\n"
	"GstBuffer: gst_buffer_copy_region = new\n"
	"GstBufferList: gst_buffer_list_new = new\n"
	"GstBufferList: gst_buffer_list_new_sized = new\n"
	"GstEvent: gst_event_new_custom = new\n"
	"GstMessage: gst_message_new_custom = new\n"
	"GstQuery: gst_query_new_custom = new\n"
	"GstCaps: gst_caps_new_empty = new\n"
	"GstCaps: gst_caps_new_any = new\n"
	"GstCaps: gst_caps_new_simple = new varargs\n"
	"GstCaps: gst_caps_new_full = new varargs\n"
	"GstCaps: gst_caps_from_string = new\n"
	"GstSample: gst_sample_new = new\n"
	"GstTagList: gst_tag_list_new = new varargs\n"
	"GstTagList: gst_tag_list_new_empty = new\n"
	"GstTagList: gst_tag_list_new_valist = new\n"
	"GstTagList: gst_tag_list_new_from_string = new\n"
	"GstTagList: gst_tag_list_merge = new\n"
	"GstContext: gst_context_new = new\n"
	"GstToc: gst_toc_new = new\n"
	"GstTocEntry: gst_toc_entry_new = new\n"
	"GstMemory: resurrects\n"
	"GstMemory: gst_allocator_alloc = new\n"
	"GstMemory: gst_memory_new_wrapped = new\n"
	"GObject: kept_if(48, 1, gst_object_get_type)\n"
	/* The registry, its plugins and features: kept by GStreamer for the
	 * life of the process (freed only by gst_deinit), found from a global
	 * only through its lists. */
	"GObject: gst_init_check = lifetime\n"
	"GObject: gst_update_registry = lifetime\n"
	"GObject: gst_registry_get = lifetime\n"
	"GObject: gst_plugin_register_static = lifetime\n"
	"GObject: gst_plugin_register_static_full = lifetime\n"
	"GObject: gst_plugin_load_file = lifetime\n"
	"GObject: gst_plugin_load_by_name = lifetime\n"
	"GObject: gst_element_register = lifetime\n"
	"GObject: gst_device_provider_register = lifetime\n"
	"GObject: gst_type_find_register = lifetime\n"
	"GObject: gst_dynamic_type_register = lifetime\n"
	"GstMiniObject: kept_if(16, 4)\n"
	"GstBuffer: kept_if(16, 4)\n"
	"GstBufferList: kept_if(16, 4)\n"
	"GstEvent: kept_if(16, 4)\n"
	"GstMessage: kept_if(16, 4)\n"
	"GstQuery: kept_if(16, 4)\n"
	"GstCaps: kept_if(16, 4)\n"
	"GstSample: kept_if(16, 4)\n"
	"GstTagList: kept_if(16, 4)\n"
	"GstContext: kept_if(16, 4)\n"
	"GstToc: kept_if(16, 4)\n"
	"GstTocEntry: kept_if(16, 4)\n"
	"GstMemory: kept_if(16, 4)\n";

/* GLib's reference-counted types. */
static const char preset_glib[] =
	"type_system\n"
	"GHashTable: g_hash_table_new = new\n"
	"GHashTable: g_hash_table_new_full = new\n"
	"GHashTable: g_hash_table_ref = inc\n"
	"GHashTable: g_hash_table_unref = dec\n"
	/* GObject's param-spec pools: kept for the life of the process, found
	 * from a global only through the pool. */
	"GHashTable: g_param_spec_pool_new = lifetime\n"
	/* GLib's caches for the life of the process (or of a thread, in
	 * thread-local storage, which no global points to): the language
	 * names, GStaticPrivate's values, the UTC and local time zones,
	 * GLocalFile's writable attribute namespaces. */
	"GHashTable: g_get_language_names_with_category = lifetime\n"
	"GArray: g_static_private_set = lifetime\n"
	"GArray: g_time_zone_new_utc = lifetime\n"
	"GArray: g_time_zone_new_local = lifetime\n"
	"GArray: g_file_query_writable_namespaces = lifetime\n"
	"GHashTable: g_hash_table_destroy = dec\n"
	"GMainContext: g_main_context_new = new\n"
	"GMainContext: g_main_context_new_with_flags = new\n"
	"GMainContext: g_main_context_ref = inc\n"
	"GMainContext: g_main_context_unref = dec\n"
	/* GLib's main loop takes references to loops and sources inline or
	 * drops them through internal functions: only the program's own
	 * calls (through the GOT) balance. */
	"GMainLoop: g_main_loop_new = new got\n"
	"GMainLoop: g_main_loop_ref = inc got\n"
	"GMainLoop: g_main_loop_unref = dec got\n"
	/* hooked through the GOT: GLib's own creations are not seen */
	"GSource: unseen_new\n"
	"GSource: g_source_new = new got\n"
	"GSource: g_idle_source_new = new got\n"
	"GSource: g_timeout_source_new = new got\n"
	"GSource: g_timeout_source_new_seconds = new got\n"
	"GSource: g_child_watch_source_new = new got\n"
	"GSource: g_source_ref = inc got\n"
	"GSource: g_source_unref = dec got\n"
	"GBytes: g_bytes_new = new\n"
	"GBytes: g_bytes_new_take = new\n"
	"GBytes: g_bytes_new_static = new\n"
	"GBytes: g_bytes_new_with_free_func = new\n"
	"GBytes: g_bytes_new_from_bytes = new\n"
	"GBytes: g_bytes_ref = inc\n"
	"GBytes: g_bytes_unref = dec\n"
	"GBytes: g_bytes_unref_to_data = dec\n"
	"GBytes: g_bytes_unref_to_array = dec\n"
	"GAsyncQueue: g_async_queue_new = new\n"
	"GAsyncQueue: g_async_queue_new_full = new\n"
	"GAsyncQueue: g_async_queue_ref = inc\n"
	/* deprecated, still exported; g_async_queue_unref_and_unlock calls
	 * g_async_queue_unref */
	"GAsyncQueue: g_async_queue_ref_unlocked = inc\n"
	"GAsyncQueue: g_async_queue_unref = dec\n"
	/* A new thread starts with two references: the caller's and its own,
	 * dropped when it ends. */
	/* GLib also makes GThreads no rule sees: its thread pools' threads
	 * (an internal constructor), g_thread_self() for a thread GLib did not
	 * start. */
	"GThread: unseen_new\n"
	"GThread: thread\n"
	"GThread: g_thread_new = new(2)\n"
	"GThread: g_thread_try_new = new(2)\n"
	"GThread: g_thread_ref = inc\n"
	"GThread: g_thread_unref = dec\n"
	"GThread: g_thread_join = dec\n"
	/* GVariants are also made where no `new` rule can see them: children
	 * returned through out-parameters (g_variant_get, g_variant_iter_next),
	 * g_variant_builder_end and g_variant_get_child_value through internal
	 * constructors (the latter returns an existing child at times). */
	"GVariant: unseen_new\n"
	"GVariant: g_variant_new = new varargs\n"
	"GVariant: g_variant_new_string = new\n"
	"GVariant: g_variant_new_int32 = new\n"
	"GVariant: g_variant_new_uint32 = new\n"
	"GVariant: g_variant_new_boolean = new\n"
	"GVariant: g_variant_new_tuple = new\n"
	"GVariant: g_variant_new_byte = new\n"
	"GVariant: g_variant_new_int16 = new\n"
	"GVariant: g_variant_new_uint16 = new\n"
	"GVariant: g_variant_new_int64 = new\n"
	"GVariant: g_variant_new_uint64 = new\n"
	"GVariant: g_variant_new_handle = new\n"
	"GVariant: g_variant_new_double = new\n"
	"GVariant: g_variant_new_object_path = new\n"
	"GVariant: g_variant_new_signature = new\n"
	"GVariant: g_variant_new_variant = new\n"
	"GVariant: g_variant_new_strv = new\n"
	"GVariant: g_variant_new_objv = new\n"
	"GVariant: g_variant_new_bytestring = new\n"
	"GVariant: g_variant_new_bytestring_array = new\n"
	"GVariant: g_variant_new_array = new\n"
	"GVariant: g_variant_new_maybe = new\n"
	"GVariant: g_variant_new_dict_entry = new\n"
	"GVariant: g_variant_new_from_bytes = new\n"
	"GVariant: g_variant_new_from_data = new\n"
	"GVariant: g_variant_new_fixed_array = new\n"
	"GVariant: g_variant_new_printf = new varargs\n"
	"GVariant: g_variant_new_take_string = new\n"
	"GVariant: g_variant_new_va = new\n"
	"GVariant: g_variant_new_parsed = new varargs\n"
	"GVariant: g_variant_new_parsed_va = new\n"
	"GVariant: g_variant_parse = new\n"
	"GVariant: g_variant_ref = inc\n"
	"GVariant: g_variant_unref = dec\n"
	"GVariant: g_variant_ref_sink = sink(0, g_variant_is_floating)\n"
	"GVariant: g_variant_take_ref = take\n"
	"GArray: g_array_new = new\n"
	"GArray: g_array_sized_new = new\n"
	"GArray: g_array_ref = inc\n"
	"GArray: g_array_unref = dec\n"
	/* g_array_free and g_ptr_array_free drop one reference: with others
	 * held, GLib keeps the wrapper (emptied) until the last unref. */
	"GArray: g_array_copy = new\n"
	"GArray: g_array_free = dec\n"
	"GPtrArray: g_ptr_array_new = new\n"
	"GPtrArray: g_ptr_array_new_with_free_func = new\n"
	"GPtrArray: g_ptr_array_new_full = new\n"
	"GPtrArray: g_ptr_array_sized_new = new\n"
	"GPtrArray: g_ptr_array_ref = inc\n"
	"GPtrArray: g_ptr_array_unref = dec\n"
	"GPtrArray: g_ptr_array_new_null_terminated = new\n"
	"GPtrArray: g_ptr_array_copy = new\n"
	"GPtrArray: g_ptr_array_free = dec\n";

static const struct {
	const char *name, *text;
} presets[] = {
	{ "gateway", preset_gateway },
	{ "gobject", preset_gobject },
	{ "gst", preset_gst },
	{ "glib", preset_glib },
	{ "type_system", preset_type_system },
};

static const char *const role_names[TALLY_ROLE_MAX] = {
	[TALLY_ROLE_NEW] = "new",   [TALLY_ROLE_INC] = "inc",   [TALLY_ROLE_DEC] = "dec",
	[TALLY_ROLE_FREE] = "free", [TALLY_ROLE_SINK] = "sink", [TALLY_ROLE_TAKE] = "take",
	[TALLY_ROLE_LIFETIME] = "lifetime",
};

const char *rules_role_name(unsigned role)
{
	return role > 0 && role < TALLY_ROLE_MAX ? role_names[role] : "?";
}

const char *rules_preset(const char *name)
{
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(presets[i].name, name) == 0)
			return presets[i].text;
	return NULL;
}

int rules_find(const struct rule_tables *t, const char *function)
{
	for (uint32_t i = 0; i < t->nrules; i++)
		if (t->rules[i].role != TALLY_ROLE_LIFETIME &&
		    strcmp(t->rules[i].function, function) == 0)
			return (int)i;
	return -1;
}

/* Index of the lifetime rule for `function` and type index `type`, or -1:
 * one function may be a lifetime function of several types, and beside
 * a hooked rule of its own. */
static int lifetime_find(const struct rule_tables *t, const char *function, int type,
                         int any_type)
{
	for (uint32_t i = 0; i < t->nrules; i++)
		if (t->rules[i].role == TALLY_ROLE_LIFETIME &&
		    !!(t->rules[i].flags & TALLY_RULEF_ANY_TYPE) == !!any_type &&
		    (any_type || t->rules[i].type == type) &&
		    strcmp(t->rules[i].function, function) == 0)
			return (int)i;
	return -1;
}

/* ---- lexing one item ----------------------------------------------------- */

static int is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '@';
}

static const char *skip_blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* Reads an identifier into out (NUL-terminated).  Returns the position after
 * it, or NULL when there is none or it does not fit. */
static const char *read_ident(const char *p, const char *end, char *out, size_t outsz)
{
	size_t n = 0;

	p = skip_blank(p, end);
	while (p < end && is_ident(*p)) {
		if (n + 1 >= outsz)
			return NULL;
		out[n++] = *p++;
	}
	out[n] = 0;
	return n ? p : NULL;
}

/* A name that may also be a pattern: "*" alone (a TYPE: every type), or
 * "*" and a suffix (a FUNCTION: every function whose name ends so).  Only
 * lifetime rules take patterns (parse_item). */
static const char *read_name(const char *p, const char *end, char *out, size_t outsz)
{
	p = skip_blank(p, end);
	if (p < end && *p == '*') {
		const char *q = p + 1 < end && is_ident(p[1]) ? read_ident(p + 1, end, out + 1, outsz - 1)
		                                             : p + 1;
		if (!q)
			return NULL;
		if (q == p + 1)
			out[1] = 0;
		out[0] = '*';
		return q;
	}
	return read_ident(p, end, out, outsz);
}

static const char *read_uint(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0, digits = 0;

	p = skip_blank(p, end);
	while (p < end && *p >= '0' && *p <= '9' && digits < 4) {
		v = v * 10 + (unsigned)(*p++ - '0');
		digits++;
	}
	*out = v;
	return digits ? p : NULL;
}

/* ---- building the tables --------------------------------------------------- */

static void warn_item(void (*warn)(const char *), const char *origin, unsigned line,
                      const char *item, size_t len, const char *why)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "tally: %s line %u: ignoring rule \"%.*s\": %s", origin, line,
	         (int)(len > 80 ? 80 : len), item, why);
	warn(msg);
}

/* The index of type `name`, added when new; -1 when the table is full. */
static int type_index(struct rule_tables *t, const char *name)
{
	for (uint32_t i = 0; i < t->ntypes; i++)
		if (strcmp(t->types[i].name, name) == 0)
			return (int)i;
	if (t->ntypes >= t->max_types)
		return -1;
	struct tally_type *ty = &t->types[t->ntypes];
	memset(ty, 0, sizeof(*ty));
	snprintf(ty->name, sizeof(ty->name), "%s", name);
	return (int)t->ntypes++;
}

/* The default type of a function: its name without the last "_word". */
static void default_type(const char *function, char *out, size_t outsz)
{
	const char *us = strrchr(function, '_');
	size_t n = us && us != function ? (size_t)(us - function) : strlen(function);

	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, function, n);
	out[n] = 0;
}

static int parse_role(const char *word, unsigned *role)
{
	for (unsigned r = 1; r < TALLY_ROLE_MAX; r++)
		if (strcmp(word, role_names[r]) == 0) {
			*role = r;
			return 0;
		}
	return -1;
}

/* Like read_uint, for numbers up to UINT32_MAX. */
/* A decimal number, or a hexadecimal one after "0x" (a flag mask). */
static const char *read_u32(const char *p, const char *end, uint32_t *out)
{
	uint64_t v = 0;
	unsigned digits = 0, base = 10;

	p = skip_blank(p, end);
	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	for (; p < end && digits < 11; p++, digits++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0'
		      : base == 16 && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
		      : base == 16 && *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;
		if (d < 0)
			break;
		v = v * base + (unsigned)d;
	}
	*out = (uint32_t)v;
	return digits && v <= UINT32_MAX ? p : NULL;
}

/* "TYPE: kept_if(OFFSET, MASK[, GET_TYPE])", after "kept_if". */
static const char *parse_kept_if(struct rule_tables *t, const char *type, const char *q,
                                 const char *end)
{
	uint32_t offset, mask;
	char gtype[48] = "";

	if (q == end || *q != '(')
		return "expected kept_if(OFFSET, MASK[, GET_TYPE])";
	q = read_u32(q + 1, end, &offset);
	if (!q || offset > 4096 || offset % 4)
		return "kept_if: OFFSET must be a multiple of 4, at most 4096";
	q = skip_blank(q, end);
	if (q == end || *q != ',')
		return "kept_if: expected ',' and a MASK";
	q = read_u32(q + 1, end, &mask);
	if (!q || mask == 0)
		return "kept_if: MASK must be a number other than 0";
	q = skip_blank(q, end);
	if (q < end && *q == ',') {
		q = read_ident(q + 1, end, gtype, sizeof(gtype));
		if (!q)
			return "kept_if: GET_TYPE must be a function name (at most 47 characters)";
		q = skip_blank(q, end);
	}
	if (q == end || *q != ')' || skip_blank(q + 1, end) != end)
		return "kept_if: expected ')' at the end";
	int ti = type_index(t, type);
	if (ti < 0)
		return "too many types";
	t->types[ti].kept_offset = offset;
	t->types[ti].kept_mask = mask;
	memcpy(t->types[ti].kept_gtype, gtype, sizeof(gtype));
	return NULL;
}

/* Parses one item [p, end).  Returns NULL when it applied, else the reason. */
static const char *parse_item(struct rule_tables *t, const char *p, const char *end,
                              void (*warn)(const char *), int depth, int *nwarn);

static int rules_parse_depth(struct rule_tables *t, const char *text, const char *origin,
                      void (*warn)(const char *), int depth);

static const char *apply_preset(struct rule_tables *t, const char *name,
                                void (*warn)(const char *), int depth, int *nwarn)
{
	const char *text = rules_preset(name);

	if (!text)
		return "unknown preset (presets: gobject, gst, glib, gateway)";
	if (depth > 2)
		return "presets nested too deep";
	*nwarn += rules_parse_depth(t, text, name, warn, depth + 1);
	return NULL;
}

static const char *parse_item(struct rule_tables *t, const char *p, const char *end,
                              void (*warn)(const char *), int depth, int *nwarn)
{
	char first[64], function[64], word[16], floating[48] = "", type[40];
	unsigned role = 0, arg = 0, refs = 1;
	const char *q;

	q = read_name(p, end, first, sizeof(first));
	if (!q)
		return "expected a function, a type or a preset name (at most 63 characters)";
	q = skip_blank(q, end);
	if (q == end)
		return apply_preset(t, first, warn, depth, nwarn);

	if (*q == ':') {
		if (strlen(first) >= sizeof(type))
			return "type name longer than 39 characters";
		strcpy(type, first);
		q = read_name(q + 1, end, function, sizeof(function));
		if (!q)
			return "expected a function name after the type";
		q = skip_blank(q, end);
		uint32_t flag = strcmp(function, "resurrects") == 0 ? TALLY_TYPEF_RESURRECTS
		                : strcmp(function, "unseen_new") == 0 ? TALLY_TYPEF_UNSEEN_NEW
		                : strcmp(function, "thread") == 0 ? TALLY_TYPEF_THREAD : 0;
		if (strcmp(type, "*") == 0 && (flag || strcmp(function, "kept_if") == 0))
			return "'*' (every type) is for lifetime rules only";
		if (q == end && flag) {
			int ti = type_index(t, type);
			if (ti < 0)
				return "too many types";
			t->types[ti].flags |= flag;
			return NULL;
		}
		if (strcmp(function, "kept_if") == 0)
			return parse_kept_if(t, type, q, end);
	} else {
		if (first[0] == '*')
			return "a pattern needs a TYPE before it ('*:' for every type)";
		strcpy(function, first);
		default_type(function, type, sizeof(type));
	}
	if (q == end || *q != '=')
		return "expected '=' and a role (new, inc, dec, free, sink, take, lifetime)";
	q = read_ident(q + 1, end, word, sizeof(word));
	if (!q || parse_role(word, &role) != 0)
		return "unknown role (new, inc, dec, free, sink, take, lifetime)";
	q = skip_blank(q, end);
	if (role == TALLY_ROLE_SINK)
		strcpy(floating, "g_object_is_floating");
	if (q < end && *q == '(') {
		unsigned n;
		q = read_uint(q + 1, end, &n);
		if (!q)
			return "expected a number in parentheses";
		if (role == TALLY_ROLE_NEW) {
			if (n < 1 || n > 64)
				return "a new object starts with 1 to 64 references";
			refs = n;
		} else {
			if (n > 5)
				return "the object must be one of the first 6 arguments (0-5)";
			arg = n;
		}
		q = skip_blank(q, end);
		if (q < end && *q == ',' && role == TALLY_ROLE_SINK) {
			q = read_ident(q + 1, end, floating, sizeof(floating));
			if (!q)
				return "expected the floating-check function after ','";
			q = skip_blank(q, end);
		}
		if (q == end || *q != ')')
			return "expected ')'";
		q = skip_blank(q + 1, end);
	}
	int got_only = 0, varargs = 0;
	while (q != end) {   /* "got", "varargs", each at most once */
		char mod[16];
		const char *m = read_ident(q, end, mod, sizeof(mod));
		if (m && strcmp(mod, "got") == 0 && !got_only)
			got_only = 1;
		else if (m && strcmp(mod, "varargs") == 0 && !varargs)
			varargs = 1;
		else
			return "unexpected text after the rule (only \"got\" and \"varargs\" may follow)";
		q = skip_blank(m, end);
	}

	int any_type = strcmp(type, "*") == 0;
	if ((any_type || function[0] == '*') && role != TALLY_ROLE_LIFETIME)
		return "a pattern (*) names no function to hook: only lifetime rules take one";
	if (strcmp(function, "*") == 0)
		return "a function pattern needs a suffix after '*' (*_get_type)";
	if (strchr(type, '*') && !any_type)
		return "a type is a name, or '*' for every type";
	int ti, ri;
	if (role == TALLY_ROLE_LIFETIME) {   /* one per function and type */
		ti = any_type ? 0 : type_index(t, type);
		if (ti < 0)
			return "too many types";
		ri = lifetime_find(t, function, ti, any_type);
		if (ri < 0 && t->nrules >= t->max_rules)
			return "too many rules";
	} else {
		ri = rules_find(t, function);
		if (ri < 0 && t->nrules >= t->max_rules)
			return "too many rules";
		ti = type_index(t, type);
		if (ti < 0)
			return "too many types";
	}
	if (ri < 0)
		ri = (int)t->nrules++;
	struct tally_rule *r = &t->rules[ri];
	memset(r, 0, sizeof(*r));
	snprintf(r->function, sizeof(r->function), "%s", function);
	snprintf(r->floating, sizeof(r->floating), "%s", floating);
	r->role = (uint8_t)role;
	/* For NEW the argument index is unused: it carries the start count. */
	r->arg = (uint8_t)(role == TALLY_ROLE_NEW ? refs : arg);
	r->type = (uint16_t)ti;
	if (depth > 0)
		r->flags |= TALLY_RULEF_PRESET;
	if (got_only)
		r->flags |= TALLY_RULEF_GOT;
	if (varargs)
		r->flags |= TALLY_RULEF_VARARGS;
	if (any_type)
		r->flags |= TALLY_RULEF_ANY_TYPE;
	return NULL;
}

static int rules_parse_depth(struct rule_tables *t, const char *text, const char *origin,
                      void (*warn)(const char *), int depth)
{
	int nwarn = 0;
	unsigned line = 1;
	const char *p = text;

	while (p && *p) {
		/* An item ends at ';', a newline, a comment or the end. */
		const char *end = p;
		while (*end && *end != ';' && *end != '\n' && *end != '#')
			end++;
		const char *b = skip_blank(p, end), *e = end;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (b < e) {
			const char *why = parse_item(t, b, e, warn, depth, &nwarn);
			if (why) {
				warn_item(warn, origin, line, b, (size_t)(e - b), why);
				nwarn++;
			}
		}
		if (*end == '#')
			while (*end && *end != '\n')
				end++;
		if (*end == '\n')
			line++;
		p = *end ? end + 1 : end;
	}
	return nwarn;
}

int rules_parse(struct rule_tables *t, const char *text, const char *origin,
                void (*warn)(const char *line))
{
	return rules_parse_depth(t, text, origin, warn, 0);
}
