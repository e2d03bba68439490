/*
 * analysis — walk a log's tables and events into groups.
 */
#include "analysis.h"
#include "modmatch.h"

#include <inttypes.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *analysis_call_name(uint16_t kind)
{
	static const char *const names[TALLY_EV_KIND_MAX] = {
		[TALLY_EV_SOCKET] = "socket",       [TALLY_EV_SOCKETPAIR] = "socketpair",
		[TALLY_EV_BIND] = "bind",           [TALLY_EV_CONNECT] = "connect",
		[TALLY_EV_LISTEN] = "listen",       [TALLY_EV_ACCEPT] = "accept",
		[TALLY_EV_CLOSE] = "close",         [TALLY_EV_CLOSE_RANGE] = "close_range",
		[TALLY_EV_DUP] = "dup",             [TALLY_EV_FORK] = "fork",
		[TALLY_EV_EXEC] = "exec",           [TALLY_EV_REUSE] = "reuse",
		[TALLY_EV_DLOPEN] = "dlopen",
	};
	return kind < TALLY_EV_KIND_MAX && names[kind] ? names[kind] : "unknown";
}

static void site_free(gpointer p)
{
	struct site *s = p;
	g_array_free(s->ports, TRUE);
	g_array_free(s->fds, TRUE);
	g_ptr_array_free(s->peers, TRUE);
	g_free(s);
}

static void anomaly_free(gpointer p)
{
	struct anomaly *an = p;
	g_array_free(an->fds, TRUE);
	g_free(an);
}

char *analysis_stack_key(const struct logread *lr, uint32_t stack_id)
{
	const uint64_t *frames;
	const struct tally_stack *st = logread_stack(lr, stack_id, &frames);
	uint32_t nmods = lr->hdr.modules_used < lr->hdr.max_modules ? lr->hdr.modules_used
	                                                            : lr->hdr.max_modules;
	GString *key;

	if (!st)
		return g_strdup_printf("special:%u", stack_id);
	key = g_string_new(NULL);
	for (unsigned i = 0; i < st->depth; i++) {
		/* Return addresses: the call is at addr - 1. */
		int m = modmatch_find(lr->modules, sizeof(*lr->modules), nmods, st->generation,
		                      frames[i] - 1);
		if (m >= 0)
			g_string_append_printf(key, "%.*s+%" PRIx64 ";", TALLY_PATH_MAX,
			                       lr->modules[m].path, frames[i] - lr->modules[m].bias);
		else
			g_string_append_printf(key, "?%" PRIx64 ";", frames[i]);
	}
	return g_string_free(key, FALSE);
}

/* The site of stack_id, made on first use.  by_stack caches stack id ->
 * site; by_key holds one site per resolved frame list. */
static struct site *site_get(struct analysis *a, GHashTable *by_stack, GHashTable *by_key,
                             uint32_t stack_id)
{
	struct site *s = g_hash_table_lookup(by_stack, GUINT_TO_POINTER(stack_id));
	if (s)
		return s;
	/* one site per key: a call site seen in two module generations */
	char *key = analysis_stack_key(a->lr, stack_id);
	s = g_hash_table_lookup(by_key, key);
	if (!s) {
		s = g_new0(struct site, 1);
		s->stack_id = stack_id;
		s->ports = g_array_new(FALSE, FALSE, sizeof(uint16_t));
		s->fds = g_array_new(FALSE, FALSE, sizeof(int));
		s->peers = g_ptr_array_new_with_free_func(g_free);
		s->first_ns = INT64_MAX;
		s->last_ns = INT64_MIN;
		g_hash_table_insert(by_key, key, s);
		g_ptr_array_add(a->sites, s);
	} else {
		g_free(key);
	}
	g_hash_table_insert(by_stack, GUINT_TO_POINTER(stack_id), s);
	return s;
}

/* Per-site counts from the stack table: exact even when events dropped. */
static void collect_sites(struct analysis *a, GHashTable *by_stack, GHashTable *by_key)
{
	const struct logread *lr = a->lr;
	uint32_t used = lr->hdr.stacks_used < lr->hdr.max_stacks ? lr->hdr.stacks_used
	                                                          : lr->hdr.max_stacks;
	for (uint32_t i = 0; i < used; i++) {
		const uint64_t *frames;
		const struct tally_stack *st = logread_stack(lr, i + 1, &frames);
		if (!st || !st->created)
			continue;
		struct site *s = site_get(a, by_stack, by_key, i + 1);
		s->created += st->created;
		s->closed += st->closed;
	}
}

/* "127.0.0.1:5060", "[::1]:443", "unix:/run/x" (first 16 bytes kept). */
static char *addr_text(const struct tally_addr *a)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == AF_INET && inet_ntop(AF_INET, a->addr, ip, sizeof(ip)))
		return g_strdup_printf("%s:%u", ip, a->port);
	if (a->family == AF_INET6 && inet_ntop(AF_INET6, a->addr, ip, sizeof(ip)))
		return g_strdup_printf("[%s]:%u", ip, a->port);
	if (a->family == AF_UNIX)
		return g_strdup_printf("unix:%.*s", (int)strnlen((const char *)a->addr,
		                                                sizeof(a->addr)), a->addr);
	return NULL;
}

static void note_kind(struct site *s, const struct tally_fd_slot *slot)
{
	s->listening += !!(slot->flags & TALLY_FD_LISTENING);
	s->accepted += !!(slot->flags & TALLY_FD_ACCEPTED);
	s->dups += !!(slot->flags & TALLY_FD_DUP);
	s->inherited += !!(slot->flags & TALLY_FD_INHERITED);
	if (!(slot->flags & TALLY_FD_CONNECTED))
		return;
	s->connected++;
	char *peer = addr_text(&slot->peer);
	if (!peer)
		return;
	for (guint i = 0; i < s->peers->len; i++)
		if (strcmp(s->peers->pdata[i], peer) == 0) {
			g_free(peer);
			return;
		}
	if (s->peers->len < 16)
		g_ptr_array_add(s->peers, peer);
	else
		g_free(peer);
}

uint16_t analysis_slot_port(const struct tally_fd_slot *slot)
{
	if (!(slot->flags & TALLY_FD_BOUND) || slot->type == SOCK_RAW ||
	    slot->protocol == IPPROTO_ICMP || slot->protocol == IPPROTO_ICMPV6 ||
	    (slot->local.family != AF_INET && slot->local.family != AF_INET6))
		return 0;
	return slot->local.port;
}

static void collect_open(struct analysis *a, GHashTable *by_stack, GHashTable *by_key)
{
	const struct logread *lr = a->lr;

	for (uint32_t fd = 0; fd < lr->hdr.max_fds; fd++) {
		struct tally_fd_slot slot;
		if (!logread_slot(lr, fd, &slot))
			continue;
		struct site *s = site_get(a, by_stack, by_key, slot.stack_id);
		if (s->open++ == 0) {
			s->domain = slot.domain;
			s->type = slot.type;
		} else if (slot.domain != s->domain || slot.type != s->type) {
			s->mixed = true;
		}
		a->open++;
		a->inherited_open += !!(slot.flags & TALLY_FD_INHERITED);
		int ifd = (int)fd;
		g_array_append_val(s->fds, ifd);
		uint16_t port = analysis_slot_port(&slot);
		if (port)
			g_array_append_val(s->ports, port);
		note_kind(s, &slot);
		if (slot.time_ns < s->first_ns)
			s->first_ns = slot.time_ns;
		if (slot.time_ns > s->last_ns)
			s->last_ns = slot.time_ns;
		if (slot.time_ns > a->last_seen_ns)
			a->last_seen_ns = slot.time_ns;
	}
}

/* Failures a program expects in normal operation are not failures. */
static bool is_failure(uint16_t kind, int err)
{
	switch (kind) {
	case TALLY_EV_SOCKET: case TALLY_EV_SOCKETPAIR: case TALLY_EV_BIND: case TALLY_EV_LISTEN:
		return true;
	case TALLY_EV_ACCEPT:
		return err != EAGAIN && err != EWOULDBLOCK && err != EINTR && err != ECONNABORTED;
	case TALLY_EV_CONNECT:
		return err != EINPROGRESS && err != EINTR && err != EALREADY && err != EISCONN;
	default:
		return false;
	}
}

static struct anomaly *anomaly_get(GHashTable *by_key, GPtrArray *list, const char *kind,
                                   uint32_t stack_id)
{
	char key[64];
	snprintf(key, sizeof(key), "%s/%u", kind, stack_id);
	struct anomaly *an = g_hash_table_lookup(by_key, key);
	if (an)
		return an;
	an = g_new0(struct anomaly, 1);
	an->kind = kind;
	an->stack_id = stack_id;
	an->fds = g_array_new(FALSE, FALSE, sizeof(int));
	g_hash_table_insert(by_key, g_strdup(key), an);
	g_ptr_array_add(list, an);
	return an;
}

/* Failed calls and anomalies come from the tallies, which count every one
 * whatever happened to the event area. */
static void walk_tallies(struct analysis *a, GHashTable *anomalies)
{
	const struct logread *lr = a->lr;

	for (uint32_t i = 0; i < lr->hdr.max_tallies; i++) {
		struct tally_tally t;
		if (!logread_tally(lr, i, &t))
			continue;
		uint16_t kind = TALLY_TALLY_KIND(t.key), detail = TALLY_TALLY_DETAIL(t.key);
		uint32_t stack = TALLY_TALLY_STACK(t.key);
		int64_t first = t.first_ns ? t.first_ns : t.last_ns;
		if (is_failure(kind, detail)) {
			struct failure *f = g_new0(struct failure, 1);
			f->kind = kind;
			f->err = detail;
			f->stack_id = stack;
			f->count = t.count;
			f->first_ns = first;
			f->last_ns = t.last_ns;
			g_ptr_array_add(a->failures, f);
		} else if (kind == TALLY_EV_CLOSE && detail == EBADF) {
			anomaly_get(anomalies, a->anomalies, "double-close", stack)->count += t.count;
		} else if (kind == TALLY_EV_REUSE) {
			anomaly_get(anomalies, a->anomalies, "closed-unseen", 0)->count += t.count;
		}
		if (t.last_ns > a->last_seen_ns)
			a->last_seen_ns = t.last_ns;
	}
	a->tallies_lost = __atomic_load_n(&((const struct tally_header *)lr->base)->tallies_lost,
	                                  __ATOMIC_RELAXED);
}

/* The events: how many are readable, and the fds of the first anomalies. */
static void walk_events(struct analysis *a, GHashTable *anomalies)
{
	const struct logread *lr = a->lr;

	for (uint64_t seq = 0; seq < lr->events_readable; seq++) {
		struct tally_event ev;
		if (!logread_event(lr, seq, &ev)) {
			a->events_torn++;
			continue;
		}
		a->events_recorded++;
		if (ev.time_ns > a->last_seen_ns)
			a->last_seen_ns = ev.time_ns;
		if (TALLY_RUN_OPEN_FIELDS(&ev)) {
			a->event_runs++;
			a->run_calls += (uint32_t)ev.result;
			a->ref_calls += (uint32_t)ev.result;
		} else if (ev.kind == TALLY_EV_OBJ) {
			a->ref_calls++;
		}
		const char *kind = NULL;
		if (ev.kind == TALLY_EV_CLOSE && ev.result < 0 && ev.err == EBADF)
			kind = "double-close";
		else if (ev.kind == TALLY_EV_REUSE)
			kind = "closed-unseen";
		if (!kind)
			continue;
		/* The tallies know every one; an event of a key they lost (table
		 * full) still shows. */
		struct anomaly *an = anomaly_get(anomalies, a->anomalies, kind,
		                                 ev.kind == TALLY_EV_REUSE ? 0 : ev.stack_id);
		if (an->fds->len < ANOMALY_FDS_MAX)
			g_array_append_val(an->fds, ev.fd);
		if (an->count < an->fds->len)
			an->count = an->fds->len;
	}
}

/* The log's "now" for rates: when the process exited or exec'd; the
 * present for a running one; else (killed) the last thing it recorded. */
static int64_t log_end(const struct analysis *a)
{
	const struct tally_header *h = &a->lr->hdr;
	const struct tally_header *live = (const void *)a->lr->base;
	int64_t end = a->last_seen_ns;

	if (__atomic_load_n(&live->exit_state, __ATOMIC_ACQUIRE) != TALLY_RUNNING &&
	    live->exit_mono_ns > end)
		return live->exit_mono_ns;
	if (a->running) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	return end > h->start_mono_ns ? end : h->start_mono_ns;
}

static gint by_open_desc(gconstpointer pa, gconstpointer pb)
{
	const struct site *a = *(struct site *const *)pa, *b = *(struct site *const *)pb;
	if (a->open != b->open)
		return a->open > b->open ? -1 : 1;
	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	return a->stack_id < b->stack_id ? -1 : a->stack_id > b->stack_id;
}

static gint by_count_desc(gconstpointer pa, gconstpointer pb)
{
	const struct failure *a = *(struct failure *const *)pa, *b = *(struct failure *const *)pb;
	return a->count == b->count ? 0 : a->count > b->count ? -1 : 1;
}

static gint by_anomaly_desc(gconstpointer pa, gconstpointer pb)
{
	const struct anomaly *a = *(struct anomaly *const *)pa, *b = *(struct anomaly *const *)pb;
	return a->count == b->count ? 0 : a->count > b->count ? -1 : 1;
}

void analysis_build(struct analysis *a, const struct logread *lr)
{
	GHashTable *by_stack = g_hash_table_new(g_direct_hash, g_direct_equal);
	GHashTable *by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	memset(a, 0, sizeof(*a));
	a->lr = lr;
	a->running = logread_process_running(lr);
	a->sites = g_ptr_array_new_with_free_func(site_free);
	a->groups = g_ptr_array_new();
	a->failures = g_ptr_array_new_with_free_func(g_free);
	a->anomalies = g_ptr_array_new_with_free_func(anomaly_free);
	a->created = lr->hdr.sockets_created;
	a->closed = lr->hdr.sockets_closed;
	a->events_claimed = lr->hdr.events_claimed;
	a->dropped = lr->hdr.dropped[TALLY_DROP_FULL];

	collect_sites(a, by_stack, by_key);
	collect_open(a, by_stack, by_key);
	/* The header counts the sockets open at start (inherited at fork or
	 * across exec) as created then: the process's own are the others,
	 * and its own closes are those not of inherited sockets. */
	a->inherited = lr->hdr.sockets_inherited;
	if (a->inherited <= a->created && a->inherited >= a->inherited_open &&
	    a->inherited - a->inherited_open <= a->closed) {
		a->created -= a->inherited;
		a->closed -= a->inherited - a->inherited_open;
	}
	GHashTable *anomalies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	walk_tallies(a, anomalies);
	walk_events(a, anomalies);
	g_hash_table_destroy(anomalies);
	a->end_ns = log_end(a);

	g_ptr_array_sort(a->sites, by_open_desc);
	for (guint i = 0; i < a->sites->len; i++) {
		struct site *s = a->sites->pdata[i];
		if (s->open)
			g_ptr_array_add(a->groups, s);
	}
	g_ptr_array_sort(a->failures, by_count_desc);
	g_ptr_array_sort(a->anomalies, by_anomaly_desc);
	g_hash_table_destroy(by_stack);
	g_hash_table_destroy(by_key);
}

double analysis_per_hour(uint64_t count, int64_t first_ns, int64_t end_ns)
{
	/* One socket is not a rate: "1 per 3 s" would read as 1200 an hour. */
	if (count < 2 || end_ns - first_ns < 100000000)
		return 0;
	return (double)count * 3600e9 / (double)(end_ns - first_ns);
}

void analysis_port_budget(const struct analysis *a, uint16_t lo, uint16_t hi, int type,
                          struct port_budget *b)
{
	const struct logread *lr = a->lr;
	/* Ports, not fds: dup'ed fds and accepted connections share one. */
	uint8_t *taken = g_malloc0(65536 / 8);

	memset(b, 0, sizeof(*b));
	b->lo = lo, b->hi = hi, b->type = type, b->size = (unsigned)hi - lo + 1;
	b->first_ns = INT64_MAX, b->last_ns = INT64_MIN;
	b->hours_left = -1;
	for (uint32_t fd = 0; fd < lr->hdr.max_fds; fd++) {
		struct tally_fd_slot slot;
		if (!logread_slot(lr, fd, &slot) || slot.type != type || !analysis_slot_port(&slot) ||
		    slot.local.port < lo || slot.local.port > hi)
			continue;
		if (slot.time_ns < b->first_ns)
			b->first_ns = slot.time_ns;
		if (slot.time_ns > b->last_ns)
			b->last_ns = slot.time_ns;
		uint16_t p = slot.local.port;
		if (taken[p / 8] & (1u << (p % 8)))
			continue;
		taken[p / 8] |= (uint8_t)(1u << (p % 8));
		b->held++;
	}
	g_free(taken);
	/* The rate since the first port was taken, up to the log's "now": a
	 * burst followed by hours of quiet is a slow rate, not a fast one. */
	b->per_hour = analysis_per_hour(b->held, b->first_ns, a->end_ns);
	if (b->held >= b->size)
		b->hours_left = 0;
	else if (b->per_hour > 0)
		b->hours_left = (b->size - b->held) / b->per_hour;
}

void analysis_free(struct analysis *a)
{
	g_ptr_array_free(a->groups, TRUE);
	g_ptr_array_free(a->sites, TRUE);
	g_ptr_array_free(a->failures, TRUE);
	g_ptr_array_free(a->anomalies, TRUE);
}
