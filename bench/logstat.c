/*
 * logstat — prints a tally log's header counters and a few facts computed
 * from its tables as key=value lines, for bench/run.sh.  Uses nothing but
 * include/tally/format.h, so the figures are the format's, not the
 * analyzer's.
 *
 *   socket_stack_depth   frames of the stack of the last recorded socket
 *                        event (what a capture actually stored)
 *   open_slots           state slots holding a socket (serial != 0)
 *   obj_stack_depth      the deepest stack of a recorded reference-call
 *                        event
 *   obj_events           reference-call events recorded
 *   live_slots           object slots in state LIVE (objects_live is the
 *                        header's own counter of them)
 *   rule.NAME.calls      calls of rule NAME's function seen, also .entries
 *                        (entries patched) and .got (GOT entries redirected)
 *   type.NAME.created    objects of type NAME created, also .freed,
 *                        .first_seen_inc, .dec_unknown, .nested
 *
 * usage: logstat LOG
 */
#include "tally/format.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int section_ok(const struct tally_header *h, uint64_t size, uint64_t off,
                      uint64_t count, uint64_t each)
{
	(void)h;
	return off >= TALLY_PAGE && off <= size && count <= (size - off) / each;
}

int main(int argc, char **argv)
{
	struct stat st;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: logstat LOG\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(argv[1]);
		return 2;
	}
	uint64_t size = (uint64_t)st.st_size;
	if (size < TALLY_PAGE) {
		fprintf(stderr, "%s: too small\n", argv[1]);
		return 2;
	}
	const char *base = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	const struct tally_header *h = (const void *)base;
	if (memcmp(h->magic, TALLY_MAGIC, 8) != 0 || h->version != TALLY_FORMAT_VERSION ||
	    h->header_size != sizeof(*h) ||
	    !section_ok(h, size, h->stacks_off, h->max_stacks, sizeof(struct tally_stack)) ||
	    !section_ok(h, size, h->index_off, h->stack_buckets, 4) ||
	    !section_ok(h, size, h->frames_off, h->max_frames, 8) ||
	    !section_ok(h, size, h->state_off, h->max_fds, sizeof(struct tally_fd_slot)) ||
	    !section_ok(h, size, h->events_off, h->max_events, sizeof(struct tally_event)) ||
	    !section_ok(h, size, h->rules_off, h->max_rules, sizeof(struct tally_rule)) ||
	    !section_ok(h, size, h->types_off, h->max_types, sizeof(struct tally_type)) ||
	    !section_ok(h, size, h->objkeys_off, h->max_objects, 8) ||
	    !section_ok(h, size, h->objects_off, h->max_objects, sizeof(struct tally_object)) ||
	    h->rules_used > h->max_rules || h->types_used > h->max_types) {
		fprintf(stderr, "%s: not a tally log of format %u\n", argv[1], TALLY_FORMAT_VERSION);
		return 2;
	}
	const struct tally_stack *stacks = (const void *)(base + h->stacks_off);
	const struct tally_fd_slot *state = (const void *)(base + h->state_off);
	const struct tally_event *events = (const void *)(base + h->events_off);
	const struct tally_rule *rules = (const void *)(base + h->rules_off);
	const struct tally_type *types = (const void *)(base + h->types_off);
	const struct tally_object *objects = (const void *)(base + h->objects_off);

	uint64_t recorded = h->events_claimed < h->max_events ? h->events_claimed : h->max_events;
	long sock_depth = -1;
	for (uint64_t i = recorded; i-- > 0;) {
		if (events[i].kind != TALLY_EV_SOCKET || events[i].check == 0)
			continue;
		uint32_t id = events[i].stack_id;
		if (id != TALLY_STACK_NONE && id <= h->max_stacks && id <= h->stacks_used)
			sock_depth = stacks[id - 1].depth;
		break;
	}
	long obj_depth = -1;
	uint64_t obj_events = 0;
	for (uint64_t i = recorded; i-- > 0;) {
		if (events[i].kind != TALLY_EV_OBJ || events[i].check == 0)
			continue;
		obj_events++;
		uint32_t id = events[i].stack_id;
		if (id != TALLY_STACK_NONE && id <= h->max_stacks && id <= h->stacks_used &&
		    stacks[id - 1].depth > obj_depth)
			obj_depth = stacks[id - 1].depth;
	}
	uint64_t live_slots = 0;
	for (uint32_t i = 0; i < h->max_objects; i++)
		live_slots += objects[i].state == TALLY_OBJ_LIVE;
	uint64_t open_slots = 0;
	for (uint32_t fd = 0; fd < h->max_fds; fd++)
		open_slots += state[fd].serial != 0;
	unsigned max_depth = 0;
	uint32_t used = h->stacks_used < h->max_stacks ? h->stacks_used : h->max_stacks;
	for (uint32_t i = 0; i < used; i++)
		if (stacks[i].depth > max_depth)
			max_depth = stacks[i].depth;

	printf("file_size=%llu\n", (unsigned long long)h->file_size);
	printf("depth=%u\n", h->depth);
	printf("max_stacks=%u\n", h->max_stacks);
	printf("stack_buckets=%u\n", h->stack_buckets);
	printf("max_frames=%u\n", h->max_frames);
	printf("max_fds=%u\n", h->max_fds);
	printf("max_events=%llu\n", (unsigned long long)h->max_events);
	printf("events_off=%llu\n", (unsigned long long)h->events_off);
	printf("events_claimed=%llu\n", (unsigned long long)h->events_claimed);
	printf("stacks_used=%u\n", h->stacks_used);
	printf("frames_used=%llu\n", (unsigned long long)h->frames_used);
	printf("max_stack_depth=%u\n", max_depth);
	printf("socket_stack_depth=%ld\n", sock_depth);
	printf("dropped_full=%llu\n", (unsigned long long)h->dropped[TALLY_DROP_FULL]);
	printf("dropped_nested=%llu\n", (unsigned long long)h->dropped[TALLY_DROP_NESTED]);
	printf("dropped_stack_full=%llu\n", (unsigned long long)h->dropped[TALLY_DROP_STACK_FULL]);
	printf("sockets_created=%llu\n", (unsigned long long)h->sockets_created);
	printf("sockets_closed=%llu\n", (unsigned long long)h->sockets_closed);
	printf("open_slots=%llu\n", (unsigned long long)open_slots);
	printf("obj_stack_depth=%ld\n", obj_depth);
	printf("obj_events=%llu\n", (unsigned long long)obj_events);
	printf("max_objects=%u\n", h->max_objects);
	printf("objects_off=%llu\n", (unsigned long long)h->objects_off);
	printf("objects_live=%llu\n", (unsigned long long)h->objects_live);
	printf("objects_untracked=%llu\n", (unsigned long long)h->objects_untracked);
	printf("live_slots=%llu\n", (unsigned long long)live_slots);
	printf("violations=%llu\n", (unsigned long long)h->violations);
	for (uint32_t i = 0; i < h->rules_used; i++) {
		const struct tally_rule *r = &rules[i];
		int n = (int)strnlen(r->function, sizeof(r->function));
		printf("rule.%.*s.calls=%llu\n", n, r->function, (unsigned long long)r->calls);
		printf("rule.%.*s.entries=%u\n", n, r->function, r->entries);
		printf("rule.%.*s.got=%u\n", n, r->function, r->got_sites);
	}
	for (uint32_t i = 0; i < h->types_used; i++) {
		const struct tally_type *t = &types[i];
		int n = (int)strnlen(t->name, sizeof(t->name));
		printf("type.%.*s.created=%llu\n", n, t->name, (unsigned long long)t->created);
		printf("type.%.*s.freed=%llu\n", n, t->name, (unsigned long long)t->freed);
		printf("type.%.*s.first_seen_inc=%llu\n", n, t->name,
		       (unsigned long long)t->first_seen_inc);
		printf("type.%.*s.dec_unknown=%llu\n", n, t->name,
		       (unsigned long long)t->dec_unknown);
		printf("type.%.*s.nested=%llu\n", n, t->name, (unsigned long long)t->nested);
	}
	printf("sizeof_event=%zu\n", sizeof(struct tally_event));
	printf("sizeof_fd_slot=%zu\n", sizeof(struct tally_fd_slot));
	printf("sizeof_stack=%zu\n", sizeof(struct tally_stack));
	printf("sizeof_object=%zu\n", sizeof(struct tally_object));
	return 0;
}
