/*
 * depot — intern call stacks in the log's stack table.
 */
#include "depot.h"

#include <string.h>

struct tally_stack *depot_entry(struct tally_log *log, uint32_t id)
{
	if (id == TALLY_STACK_NONE || id > log->hdr->max_stacks)
		return NULL;
	return &log->stacks[id - 1];
}

static int same_stack(const struct tally_log *log, const struct tally_stack *st,
                      uint32_t hash, uint32_t generation, const uint64_t *frames,
                      unsigned depth)
{
	return st->hash == hash && st->depth == depth && st->generation == generation &&
	       memcmp(&log->frames[st->frames_index], frames, depth * sizeof(*frames)) == 0;
}

/* Claims and fills a new entry; returns its id or TALLY_STACK_LOST. */
static uint32_t store_new(struct tally_log *log, uint32_t hash, uint32_t generation,
                          const uint64_t *frames, unsigned depth)
{
	struct tally_header *hdr = log->hdr;

	/* Full already: do not claim, so the cursors never wrap around. */
	if (__atomic_load_n(&hdr->stacks_used, __ATOMIC_RELAXED) >= hdr->max_stacks) {
		__atomic_fetch_add(&hdr->dropped[TALLY_DROP_STACK_FULL], 1, __ATOMIC_RELAXED);
		return TALLY_STACK_LOST;
	}
	uint32_t slot = __atomic_fetch_add(&hdr->stacks_used, 1, __ATOMIC_RELAXED);
	uint64_t first = __atomic_fetch_add(&hdr->frames_used, depth, __ATOMIC_RELAXED);

	if (slot >= hdr->max_stacks || first + depth > hdr->max_frames) {
		__atomic_fetch_add(&hdr->dropped[TALLY_DROP_STACK_FULL], 1, __ATOMIC_RELAXED);
		return TALLY_STACK_LOST;
	}
	struct tally_stack *st = &log->stacks[slot];
	memcpy(&log->frames[first], frames, depth * sizeof(*frames));
	st->hash = hash;
	st->depth = (uint16_t)depth;
	st->generation = generation;
	st->frames_index = (uint32_t)first;
	__atomic_store_n(&st->committed, 1, __ATOMIC_RELEASE);
	return slot + 1;
}

uint32_t depot_find(struct tally_log *log, uint32_t generation, const uint64_t *frames,
                    unsigned depth)
{
	uint32_t hash = tally_stack_hash(generation, frames, depth);
	uint32_t mask = log->hdr->stack_buckets - 1;

	for (uint32_t i = 0, b = hash & mask; i <= mask; i++, b = (b + 1) & mask) {
		uint32_t id = __atomic_load_n(&log->index[b], __ATOMIC_ACQUIRE);
		if (id == 0)
			return 0;
		if (same_stack(log, &log->stacks[id - 1], hash, generation, frames, depth))
			return id;
	}
	return 0;
}

uint32_t depot_intern(struct tally_log *log, uint32_t generation, const uint64_t *frames,
                      unsigned depth)
{
	uint32_t hash = tally_stack_hash(generation, frames, depth);
	uint32_t mask = log->hdr->stack_buckets - 1;
	uint32_t fresh = 0;

	/* Linear probing over at most every bucket; the table is sized at twice
	 * the entries, so a probe is short. */
	for (uint32_t i = 0, b = hash & mask; i <= mask; i++, b = (b + 1) & mask) {
		uint32_t id = __atomic_load_n(&log->index[b], __ATOMIC_ACQUIRE);

		if (id == 0) {
			if (!fresh) {
				fresh = store_new(log, hash, generation, frames, depth);
				if (fresh == TALLY_STACK_LOST)
					return fresh;
			}
			if (__atomic_compare_exchange_n(&log->index[b], &id, fresh, 0,
			                                __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
				return fresh;
			/* Lost the race for this bucket: id now holds the winner. */
		}
		if (same_stack(log, &log->stacks[id - 1], hash, generation, frames, depth))
			return id;   /* a lost race leaves `fresh` unused: harmless */
	}
	return fresh ? fresh : TALLY_STACK_LOST;
}
