/*
 * tests/unit/memlog.h — the small logs the unit tests run over, set up one
 * way for all of them: the settings (small tables), a log laid out in plain
 * heap memory (no file, no shim: for tests of the table code, e.g. depot
 * and fdstate), and the shim's own log (g_shim) in a private directory
 * under /tmp (for tests that record through rec_* and read the file back).
 * Include it after <cmocka.h>.
 */
#ifndef TALLY_TEST_MEMLOG_H
#define TALLY_TEST_MEMLOG_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logfile.h"
#include "record.h"
#include "settings.h"

/* Small tables: 64 fds, 16 modules, `max_stacks` stacks of up to `depth`
 * frames, a log of `log_size` bytes. */
static inline struct tally_settings memlog_settings(uint32_t max_stacks, uint32_t depth,
                                                    uint64_t log_size)
{
	struct tally_settings s;

	memset(&s, 0, sizeof(s));
	s.depth = depth;
	s.max_stacks = max_stacks;
	s.max_fds = 64;
	s.max_modules = 16;
	s.max_objects = 64;
	s.log_size = log_size;
	return s;
}

/* Points `log` at a new log for `s` in zeroed heap memory, its header
 * written as log_create would lay it out. */
static inline void memlog_open(struct tally_log *log, const struct tally_settings *s)
{
	struct tally_header h;

	memset(&h, 0, sizeof(h));
	uint64_t size = log_layout(s, &h);
	void *buf = calloc(1, size);
	assert_non_null(buf);
	memcpy(buf, &h, sizeof(h));
	log_view(log, buf, size);
}

/* Frees a log made by memlog_open; `log` is all zero afterwards. */
static inline void memlog_close(struct tally_log *log)
{
	free(log->base);
	memset(log, 0, sizeof(*log));
}

/* Makes a private directory (/tmp/tally-unit-XXXXXX) into `dir`; 0 or -1. */
static inline int memlog_mkdir(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/tally-unit-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

/* Points g_shim at a new log of `log_size` bytes (small tables, depth 8)
 * in `dir`, recording, as the shim's constructor would.  log_create's
 * result: 0, or the error (then g_shim is not recording). */
static inline int memlog_shim_start(const char *dir, uint64_t log_size)
{
	char pattern[128];

	snprintf(pattern, sizeof(pattern), "%s/t.%%p", dir);
	memset(&g_shim, 0, sizeof(g_shim));
	g_shim.settings = memlog_settings(64, 8, log_size);
	int rc = log_create(&g_shim.log, &g_shim.settings, pattern);
	if (rc == 0)
		g_shim.active = 1;
	return rc;
}

static inline int memlog_remove_one(const char *path, const struct stat *st, int flag,
                                    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Leaves the shim as a process without a log finds it, and removes `dir`
 * with all it holds; nftw's result. */
static inline int memlog_shim_stop(const char *dir)
{
	g_shim.active = 0;
	log_unmap(&g_shim.log);
	memset(&g_shim, 0, sizeof(g_shim));
	rec_depth = 0;
	rec_tid = 0;
	return nftw(dir, memlog_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
