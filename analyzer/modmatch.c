/*
 * modmatch — module lookup by address and generation.
 */
#include "modmatch.h"

static const struct tally_module *entry(const struct tally_module *mods, size_t stride,
                                        unsigned i)
{
	return (const struct tally_module *)((const char *)mods + (size_t)i * stride);
}

int modmatch_find(const struct tally_module *mods, size_t stride, unsigned n,
                  uint32_t generation, uint64_t pc)
{
	int later = -1;
	uint32_t later_gen = UINT32_MAX;

	for (unsigned i = 0; i < n; i++) {
		const struct tally_module *m = entry(mods, stride, i);

		if (!m->committed || pc < m->lo || pc >= m->hi)
			continue;
		if (m->gen_loaded <= generation &&
		    (m->gen_unloaded == 0 || generation < m->gen_unloaded))
			return (int)i;
		if (m->gen_loaded > generation && m->gen_loaded < later_gen) {
			later = (int)i;
			later_gen = m->gen_loaded;
		}
	}
	return later;
}
