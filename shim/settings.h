/*
 * settings — the shim's configuration, read once from the environment.
 *
 * Every value has a safe default.  A value that cannot be parsed or is out
 * of range is replaced by its default and reported with one warning line, so
 * a typo in TALLY_* never stops the program being observed.
 */
#ifndef TALLY_SETTINGS_H
#define TALLY_SETTINGS_H

#include <stdint.h>

#define TALLY_DEFAULT_LOG "/dev/shm/tally.%e.%p"
#define TALLY_DEFAULT_DEPTH 32u
#define TALLY_DEFAULT_LOG_SIZE (64ull << 20)
#define TALLY_DEFAULT_MAX_FDS 65536u
#define TALLY_DEFAULT_MAX_STACKS 16384u
#define TALLY_DEFAULT_MAX_MODULES 512u
#define TALLY_DEFAULT_MAX_OBJECTS 65536u
#define TALLY_DEFAULT_RUN_SPAN_MS 1000u
#define TALLY_DEFAULT_REACH_MAX_MB 256u
#define TALLY_MAX_RULES 256u
#define TALLY_MAX_TYPES 64u
/* Distinct (kind, errno, stack) of failed calls and anomalies: 128 KiB. */
#define TALLY_MAX_TALLIES 4096u

/* TALLY_HOOK: how reference functions are intercepted. */
enum tally_hook_mode {
	TALLY_HOOK_ENTRY = 0,  /* patch the function's entry (sees every call);
	                        * GOT where an entry cannot be patched */
	TALLY_HOOK_GOT = 1,    /* redirect GOT entries only (calls between
	                        * modules and function pointers taken there) */
};

struct tally_settings {
	char log_pattern[256];     /* TALLY_LOG: path or pattern (%p %e %%) */
	char run_id[40];           /* TALLY_RUN_ID: set by `tally run` */
	uint32_t depth;            /* TALLY_DEPTH: frames per stack, 1..64 */
	uint64_t log_size;         /* TALLY_LOG_SIZE: bytes, K/M/G suffix */
	uint32_t max_fds;          /* TALLY_MAX_FDS: state table slots */
	uint32_t max_stacks;       /* TALLY_MAX_STACKS: distinct stacks */
	uint32_t max_modules;      /* TALLY_MAX_MODULES */
	uint32_t max_objects;      /* TALLY_MAX_OBJECTS: object books, power of 2 */
	uint32_t enforce;          /* TALLY_ENFORCE: enum tally_enforce */
	uint32_t hook_mode;        /* TALLY_HOOK: enum tally_hook_mode */
	int disabled;              /* TALLY_DISABLE=1: pass everything through */
	int no_replay;             /* TALLY_REPLAY=0: walk every stack (replay.h) */
	uint32_t run_span_ms;      /* TALLY_RUN_SPAN: ms a run of reference calls
	                            * may last (runs.h); 0: a record per call */
	uint32_t reach_max_mb;     /* TALLY_REACH_MAX: MiB of heap the exit-time
	                            * walk may read (reach.h); 0: only what a
	                            * global points at directly */
};

/* Reads the settings through `get` (getenv in the shim, a table in tests).
 * Calls `warn` once per rejected value with a complete message line (no
 * newline).  Returns the number of warnings. */
int settings_read(struct tally_settings *out,
                  const char *(*get)(const char *name),
                  void (*warn)(const char *line));

/* Parses "123", "64K", "16M", "1G" into bytes.  Returns 0 on success. */
int settings_parse_size(const char *text, uint64_t *bytes);

/* Parses a decimal in [lo, hi].  Returns 0 on success. */
int settings_parse_uint(const char *text, uint64_t lo, uint64_t hi, uint64_t *value);

/* Whether every % of a TALLY_LOG pattern starts %p, %e or %%. */
int settings_log_pattern_ok(const char *pattern);

#endif
