/*
 * tallies — the fixed table of failed calls and anomalies.
 */
#include "tallies.h"

void tallies_add(struct tally_log *log, uint16_t kind, uint16_t detail, uint32_t stack,
                 int64_t now_ns)
{
	struct tally_header *hdr = log->hdr;

	if (!log->tallies || !hdr->max_tallies)
		return;
	uint64_t key = TALLY_TALLY_KEY(kind, detail, stack);
	uint32_t mask = hdr->max_tallies - 1, i = tally_tally_hash(key, hdr->max_tallies);
	for (uint32_t probe = 0; probe < TALLY_TALLY_WINDOW; probe++, i = (i + 1) & mask) {
		struct tally_tally *t = &log->tallies[i];
		uint64_t cur = __atomic_load_n(&t->key, __ATOMIC_ACQUIRE);

		if (cur == 0) {
			uint64_t expected = 0;
			if (__atomic_compare_exchange_n(&t->key, &expected, key, 0, __ATOMIC_ACQ_REL,
			                                __ATOMIC_ACQUIRE)) {
				/* first_ns before count: a reader that sees a count
				 * sees when it started. */
				__atomic_store_n(&t->first_ns, now_ns, __ATOMIC_RELAXED);
				cur = key;
			} else {
				cur = expected;   /* another thread claimed it first */
			}
		}
		if (cur != key)
			continue;
		__atomic_store_n(&t->last_ns, now_ns, __ATOMIC_RELAXED);
		__atomic_fetch_add(&t->count, 1, __ATOMIC_RELEASE);
		return;
	}
	__atomic_fetch_add(&hdr->tallies_lost, 1, __ATOMIC_RELAXED);
}
