/*
 * settings — parse TALLY_* environment variables with defaults and one
 * warning line per bad value.  No allocation: runs in the constructor of a
 * preloaded library, before the program's own allocator may be usable.
 */
#include "settings.h"
#include "tally/format.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int settings_parse_uint(const char *text, uint64_t lo, uint64_t hi, uint64_t *value)
{
	char *end;
	unsigned long long v;

	/* strtoull would accept blanks and a sign: only digits are a number. */
	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*value = v;
	return 0;
}

int settings_parse_size(const char *text, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B')   /* accept 16MiB, 16MB */
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*bytes = (uint64_t)v << shift;
	return 0;
}

static void reject(void (*warn)(const char *), int *count, const char *name,
                   const char *value, const char *expect, const char *fallback)
{
	char line[512];

	snprintf(line, sizeof(line), "tally: ignoring %s=\"%.64s\": expected %s; using %s",
	         name, value, expect, fallback);
	warn(line);
	(*count)++;
}

static void read_uint(const char *(*get)(const char *), void (*warn)(const char *),
                      int *count, const char *name, uint64_t lo, uint64_t hi,
                      uint32_t *field, uint32_t fallback)
{
	const char *text = get(name);
	uint64_t v;
	char expect[64], fb[24];

	*field = fallback;
	if (!text)
		return;
	if (settings_parse_uint(text, lo, hi, &v) == 0) {
		*field = (uint32_t)v;
		return;
	}
	snprintf(expect, sizeof(expect), "an integer from %llu to %llu",
	         (unsigned long long)lo, (unsigned long long)hi);
	snprintf(fb, sizeof(fb), "%u", fallback);
	reject(warn, count, name, text, expect, fb);
}

int settings_log_pattern_ok(const char *p)
{
	for (; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] != 'p' && p[1] != 'e' && p[1] != '%')
			return 0;
		p++;
	}
	return 1;
}

int settings_read(struct tally_settings *out, const char *(*get)(const char *),
                  void (*warn)(const char *))
{
	const char *text;
	int count = 0;

	memset(out, 0, sizeof(*out));

	text = get("TALLY_DISABLE");
	out->disabled = text && strcmp(text, "1") == 0;
	if (text && *text && strcmp(text, "1") != 0 && strcmp(text, "0") != 0)
		reject(warn, &count, "TALLY_DISABLE", text, "0 or 1", "0 (recording)");

	text = get("TALLY_REPLAY");
	out->no_replay = text && strcmp(text, "0") == 0;
	if (text && *text && strcmp(text, "1") != 0 && strcmp(text, "0") != 0)
		reject(warn, &count, "TALLY_REPLAY", text, "0 or 1", "1");

	strcpy(out->log_pattern, TALLY_DEFAULT_LOG);
	text = get("TALLY_LOG");
	if (text && *text) {
		if (strlen(text) >= sizeof(out->log_pattern) - 8)
			reject(warn, &count, "TALLY_LOG", text, "a path under 248 bytes",
			       TALLY_DEFAULT_LOG);
		else if (!settings_log_pattern_ok(text))
			reject(warn, &count, "TALLY_LOG", text,
			       "a path where % is followed by p (pid), e (executable) or %",
			       TALLY_DEFAULT_LOG);
		else
			strcpy(out->log_pattern, text);
	}

	text = get("TALLY_RUN_ID");
	if (text)
		snprintf(out->run_id, sizeof(out->run_id), "%s", text);

	read_uint(get, warn, &count, "TALLY_DEPTH", 1, 64, &out->depth, TALLY_DEFAULT_DEPTH);
	read_uint(get, warn, &count, "TALLY_RUN_SPAN", 0, 600000, &out->run_span_ms,
	          TALLY_DEFAULT_RUN_SPAN_MS);
	read_uint(get, warn, &count, "TALLY_REACH_MAX", 0, 65536, &out->reach_max_mb,
	          TALLY_DEFAULT_REACH_MAX_MB);
	read_uint(get, warn, &count, "TALLY_MAX_FDS", 64, 1u << 24, &out->max_fds,
	          TALLY_DEFAULT_MAX_FDS);
	read_uint(get, warn, &count, "TALLY_MAX_STACKS", 64, 1u << 22, &out->max_stacks,
	          TALLY_DEFAULT_MAX_STACKS);
	read_uint(get, warn, &count, "TALLY_MAX_MODULES", 16, 65536, &out->max_modules,
	          TALLY_DEFAULT_MAX_MODULES);

	read_uint(get, warn, &count, "TALLY_MAX_OBJECTS", 64, 1u << 24, &out->max_objects,
	          TALLY_DEFAULT_MAX_OBJECTS);
	while (out->max_objects & (out->max_objects - 1))   /* round up to 2^k */
		out->max_objects = (out->max_objects | (out->max_objects - 1)) + 1;

	text = get("TALLY_ENFORCE");
	out->enforce = TALLY_ENFORCE_LOG;
	if (text && strcmp(text, "abort") == 0)
		out->enforce = TALLY_ENFORCE_ABORT;
	else if (text && *text && strcmp(text, "log") != 0)
		reject(warn, &count, "TALLY_ENFORCE", text, "log or abort", "log");

	text = get("TALLY_HOOK");
	out->hook_mode = TALLY_HOOK_ENTRY;
	if (text && strcmp(text, "got") == 0)
		out->hook_mode = TALLY_HOOK_GOT;
	else if (text && *text && strcmp(text, "entry") != 0)
		reject(warn, &count, "TALLY_HOOK", text, "entry or got", "entry");

	out->log_size = TALLY_DEFAULT_LOG_SIZE;
	text = get("TALLY_LOG_SIZE");
	if (text) {
		uint64_t bytes;
		if (settings_parse_size(text, &bytes) == 0 && bytes >= (1u << 20) &&
		    bytes <= (64ull << 30))
			out->log_size = bytes;
		else
			reject(warn, &count, "TALLY_LOG_SIZE", text,
			       "a size from 1M to 64G (e.g. 256M)", "64M");
	}
	return count;
}
