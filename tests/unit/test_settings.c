/*
 * Unit test of shim/settings.c: the TALLY_* environment read through a fake
 * getter over a table, so each case states exactly which variables are set.
 * Known answers: every default, every accepted value, and for each rejected
 * value exactly one warning line that names the variable, with the default
 * kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "settings.h"

/* ---- a fake environment ------------------------------------------------- */

struct var {
	const char *name, *value;
};

/* The environment the getter answers from; NULL-terminated. */
static const struct var *env;

static const char *fake_get(const char *name)
{
	for (const struct var *v = env; v && v->name; v++)
		if (strcmp(v->name, name) == 0)
			return v->value;
	return NULL;
}

/* Warning lines received by fake_warn. */
static char warnings[8][512];
static int nwarnings;

static void fake_warn(const char *line)
{
	if (nwarnings < 8)
		snprintf(warnings[nwarnings], sizeof(warnings[0]), "%s", line);
	nwarnings++;
}

static int read_env(struct tally_settings *s, const struct var *vars)
{
	env = vars;
	nwarnings = 0;
	memset(warnings, 0, sizeof(warnings));
	return settings_read(s, fake_get, fake_warn);
}

static void assert_defaults_except(const struct tally_settings *s, const char *except)
{
	if (strcmp(except, "TALLY_LOG") != 0)
		assert_string_equal(s->log_pattern, TALLY_DEFAULT_LOG);
	if (strcmp(except, "TALLY_RUN_ID") != 0)
		assert_string_equal(s->run_id, "");
	if (strcmp(except, "TALLY_DEPTH") != 0)
		assert_int_equal(s->depth, 32);
	if (strcmp(except, "TALLY_LOG_SIZE") != 0)
		assert_int_equal(s->log_size, 64ull << 20);
	if (strcmp(except, "TALLY_MAX_FDS") != 0)
		assert_int_equal(s->max_fds, 65536);
	if (strcmp(except, "TALLY_MAX_STACKS") != 0)
		assert_int_equal(s->max_stacks, 16384);
	if (strcmp(except, "TALLY_MAX_MODULES") != 0)
		assert_int_equal(s->max_modules, 512);
	if (strcmp(except, "TALLY_DISABLE") != 0)
		assert_int_equal(s->disabled, 0);
	if (strcmp(except, "TALLY_REACH_MAX") != 0)
		assert_int_equal(s->reach_max_mb, 256);
}

/* ---- defaults ------------------------------------------------------------ */

static void empty_environment_gives_every_default(void **state)
{
	struct tally_settings s;
	const struct var none[] = { { NULL, NULL } };

	assert_int_equal(read_env(&s, none), 0);
	assert_int_equal(nwarnings, 0);
	assert_string_equal(s.log_pattern, "/dev/shm/tally.%e.%p");
	assert_defaults_except(&s, "");
}

/* ---- accepted values ----------------------------------------------------- */

/* Sets one variable and checks that it, and only it, changed. */
static struct tally_settings read_one(const char *name, const char *value)
{
	struct tally_settings s;
	const struct var vars[] = { { name, value }, { NULL, NULL } };

	assert_int_equal(read_env(&s, vars), 0);
	assert_int_equal(nwarnings, 0);
	assert_defaults_except(&s, name);
	return s;
}

static void tally_log_is_taken_as_given(void **state)
{
	assert_string_equal(read_one("TALLY_LOG", "/tmp/run/x.%e.%p").log_pattern,
	                    "/tmp/run/x.%e.%p");
}

static void empty_tally_log_keeps_the_default(void **state)
{
	assert_string_equal(read_one("TALLY_LOG", "").log_pattern, TALLY_DEFAULT_LOG);
}

static void tally_run_id_is_copied_and_cut_to_39_bytes(void **state)
{
	assert_string_equal(read_one("TALLY_RUN_ID", "run-42").run_id, "run-42");
	const char *long_id = "0123456789012345678901234567890123456789XYZ";
	assert_string_equal(read_one("TALLY_RUN_ID", long_id).run_id,
	                    "012345678901234567890123456789012345678");
}

static void tally_depth_accepts_1_to_64(void **state)
{
	assert_int_equal(read_one("TALLY_DEPTH", "1").depth, 1);
	assert_int_equal(read_one("TALLY_DEPTH", "8").depth, 8);
	assert_int_equal(read_one("TALLY_DEPTH", "64").depth, 64);
}

static void tally_log_size_accepts_suffixes_from_1M_to_64G(void **state)
{
	assert_int_equal(read_one("TALLY_LOG_SIZE", "1M").log_size, 1ull << 20);
	assert_int_equal(read_one("TALLY_LOG_SIZE", "256M").log_size, 256ull << 20);
	assert_int_equal(read_one("TALLY_LOG_SIZE", "1048576").log_size, 1ull << 20);
	assert_int_equal(read_one("TALLY_LOG_SIZE", "2G").log_size, 2ull << 30);
	assert_int_equal(read_one("TALLY_LOG_SIZE", "64G").log_size, 64ull << 30);
	assert_int_equal(read_one("TALLY_LOG_SIZE", "16MiB").log_size, 16ull << 20);
}

static void tally_max_fds_accepts_64_to_16M(void **state)
{
	assert_int_equal(read_one("TALLY_MAX_FDS", "64").max_fds, 64);
	assert_int_equal(read_one("TALLY_MAX_FDS", "1024").max_fds, 1024);
	assert_int_equal(read_one("TALLY_MAX_FDS", "16777216").max_fds, 1u << 24);
}

static void tally_max_stacks_and_modules_are_read(void **state)
{
	assert_int_equal(read_one("TALLY_MAX_STACKS", "100").max_stacks, 100);
	assert_int_equal(read_one("TALLY_MAX_MODULES", "16").max_modules, 16);
	assert_int_equal(read_one("TALLY_MAX_MODULES", "65536").max_modules, 65536);
}

static void assert_rejected(const char *name, const char *value);

static void tally_reach_max_accepts_0_to_65536_mib(void **state)
{
	assert_int_equal(read_one("TALLY_REACH_MAX", "0").reach_max_mb, 0);
	assert_int_equal(read_one("TALLY_REACH_MAX", "1").reach_max_mb, 1);
	assert_int_equal(read_one("TALLY_REACH_MAX", "65536").reach_max_mb, 65536);
	assert_rejected("TALLY_REACH_MAX", "65537");
	assert_rejected("TALLY_REACH_MAX", "-1");
	assert_rejected("TALLY_REACH_MAX", "1M");
}

static void tally_disable_is_on_only_for_1(void **state)
{
	assert_int_equal(read_one("TALLY_DISABLE", "1").disabled, 1);
	assert_int_equal(read_one("TALLY_DISABLE", "0").disabled, 0);
	assert_int_equal(read_one("TALLY_REPLAY", "0").no_replay, 1);
	assert_int_equal(read_one("TALLY_REPLAY", "1").no_replay, 0);
}

/* Anything but 0 or 1 is a mistake worth a line: TALLY_DISABLE=yes must
 * not record silently. */
static void bad_switches_warn_once(void **state)
{
	assert_rejected("TALLY_DISABLE", "yes");
	assert_rejected("TALLY_DISABLE", "2");
	assert_rejected("TALLY_REPLAY", "off");
}

/* A % in TALLY_LOG starts %p, %e or %%; anything else is a typo that would
 * otherwise end up in the file name. */
static void unknown_log_pattern_escapes_warn_once(void **state)
{
	assert_rejected("TALLY_LOG", "/tmp/t.%d");
	assert_rejected("TALLY_LOG", "/tmp/t.%");
	assert_string_equal(read_one("TALLY_LOG", "/tmp/100%%.%p").log_pattern, "/tmp/100%%.%p");
}

static void all_variables_together(void **state)
{
	struct tally_settings s;
	const struct var vars[] = {
		{ "TALLY_LOG", "/tmp/t.%p" }, { "TALLY_RUN_ID", "r1" },
		{ "TALLY_DEPTH", "12" }, { "TALLY_LOG_SIZE", "4M" },
		{ "TALLY_MAX_FDS", "4096" }, { "TALLY_MAX_STACKS", "512" },
		{ "TALLY_MAX_MODULES", "32" }, { "TALLY_DISABLE", "1" },
		{ NULL, NULL },
	};

	assert_int_equal(read_env(&s, vars), 0);
	assert_int_equal(nwarnings, 0);
	assert_string_equal(s.log_pattern, "/tmp/t.%p");
	assert_string_equal(s.run_id, "r1");
	assert_int_equal(s.depth, 12);
	assert_int_equal(s.log_size, 4ull << 20);
	assert_int_equal(s.max_fds, 4096);
	assert_int_equal(s.max_stacks, 512);
	assert_int_equal(s.max_modules, 32);
	assert_int_equal(s.disabled, 1);
}

/* ---- rejected values: one warning each, default kept --------------------- */

static void assert_rejected(const char *name, const char *value)
{
	struct tally_settings s;
	const struct var vars[] = { { name, value }, { NULL, NULL } };
	char quoted[300];

	assert_int_equal(read_env(&s, vars), 1);
	assert_int_equal(nwarnings, 1);
	if (!strstr(warnings[0], name))
		fail_msg("warning for %s=%s does not name it: %s", name, value, warnings[0]);
	snprintf(quoted, sizeof(quoted), "\"%.64s\"", value);
	if (!strstr(warnings[0], quoted))
		fail_msg("warning for %s does not quote the value: %s", name, warnings[0]);
	assert_null(strchr(warnings[0], '\n'));
	assert_defaults_except(&s, "");
}

static void bad_depth_warns_once_and_keeps_32(void **state)
{
	assert_rejected("TALLY_DEPTH", "0");
	assert_rejected("TALLY_DEPTH", "65");
	assert_rejected("TALLY_DEPTH", "abc");
	assert_rejected("TALLY_DEPTH", "-1");
	assert_rejected("TALLY_DEPTH", "");
	assert_rejected("TALLY_DEPTH", "8x");
	assert_rejected("TALLY_DEPTH", "99999999999999999999999");
}

static void bad_log_size_warns_once_and_keeps_64M(void **state)
{
	assert_rejected("TALLY_LOG_SIZE", "12Q");
	assert_rejected("TALLY_LOG_SIZE", "0");
	assert_rejected("TALLY_LOG_SIZE", "100G");
	assert_rejected("TALLY_LOG_SIZE", "1023K");
	assert_rejected("TALLY_LOG_SIZE", "-1");
	assert_rejected("TALLY_LOG_SIZE", "M");
}

static void bad_max_fds_warns_once_and_keeps_65536(void **state)
{
	assert_rejected("TALLY_MAX_FDS", "1");
	assert_rejected("TALLY_MAX_FDS", "63");
	assert_rejected("TALLY_MAX_FDS", "16777217");
	assert_rejected("TALLY_MAX_FDS", "lots");
}

static void bad_max_stacks_and_modules_warn_once(void **state)
{
	assert_rejected("TALLY_MAX_STACKS", "10");
	assert_rejected("TALLY_MAX_MODULES", "0");
	assert_rejected("TALLY_MAX_MODULES", "65537");
}

static void too_long_tally_log_warns_once_and_keeps_the_default(void **state)
{
	char path[301];
	memset(path, 'a', 300);
	path[0] = '/';
	path[300] = 0;
	assert_rejected("TALLY_LOG", path);
}

static int warnings_naming(const char *name)
{
	int n = 0;
	for (int i = 0; i < nwarnings && i < 8; i++)
		n += strstr(warnings[i], name) != NULL;
	return n;
}

static void each_bad_value_gets_its_own_warning(void **state)
{
	struct tally_settings s;
	const struct var vars[] = {
		{ "TALLY_DEPTH", "0" }, { "TALLY_LOG_SIZE", "12Q" },
		{ "TALLY_MAX_FDS", "1" }, { "TALLY_MAX_STACKS", "500" },
		{ NULL, NULL },
	};

	assert_int_equal(read_env(&s, vars), 3);
	assert_int_equal(nwarnings, 3);
	assert_int_equal(warnings_naming("TALLY_DEPTH="), 1);
	assert_int_equal(warnings_naming("TALLY_MAX_FDS="), 1);
	assert_int_equal(warnings_naming("TALLY_LOG_SIZE="), 1);
	assert_int_equal(warnings_naming("TALLY_MAX_STACKS="), 0);
	assert_int_equal(s.depth, 32);
	assert_int_equal(s.max_fds, 65536);
	assert_int_equal(s.log_size, 64ull << 20);
	assert_int_equal(s.max_stacks, 500);   /* the good one is kept */
}

/* ---- settings_parse_size / settings_parse_uint ---------------------------- */

static uint64_t size_of(const char *text)
{
	uint64_t bytes = 0xdeadbeef;
	if (settings_parse_size(text, &bytes) != 0)
		fail_msg("settings_parse_size(\"%s\") failed", text);
	return bytes;
}

static void size_suffixes_are_powers_of_1024(void **state)
{
	assert_int_equal(size_of("64K"), 65536);
	assert_int_equal(size_of("64k"), 65536);
	assert_int_equal(size_of("16M"), 16777216);
	assert_int_equal(size_of("1G"), 1073741824);
	assert_int_equal(size_of("16MiB"), 16777216);
	assert_int_equal(size_of("16MB"), 16777216);
	assert_int_equal(size_of("123"), 123);
	assert_int_equal(size_of("0"), 0);
	assert_int_equal(size_of("17179869183G"), 17179869183ull << 30);
}

static void size_rejects_what_is_not_a_size(void **state)
{
	const char *bad[] = { "", "K", "12Q", "-1", "+5", "1.5M", "16MiBx", "16 M",
	                      "17179869184G", "18446744073709551616" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t bytes = 7;
		if (settings_parse_size(bad[i], &bytes) == 0)
			fail_msg("settings_parse_size(\"%s\") accepted %llu", bad[i],
			         (unsigned long long)bytes);
		assert_int_equal(bytes, 7);   /* untouched on failure */
	}
	assert_int_not_equal(settings_parse_size(NULL, &(uint64_t){ 0 }), 0);
}

/* strtoull() skips leading blanks and then takes a sign, so the check for a
 * leading '-' alone does not stop a negative number. */
static void size_rejects_a_negative_after_blanks(void **state)
{
	uint64_t bytes = 7;
	int ret = settings_parse_size(" -1", &bytes);
	if (ret == 0)
		fail_msg("settings_parse_size(\" -1\") accepted %llu",
		         (unsigned long long)bytes);
}

static void uint_checks_its_range(void **state)
{
	uint64_t v = 0;

	assert_int_equal(settings_parse_uint("1", 1, 64, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(settings_parse_uint("64", 1, 64, &v), 0);
	assert_int_equal(v, 64);
	v = 9;
	assert_int_not_equal(settings_parse_uint("0", 1, 64, &v), 0);
	assert_int_not_equal(settings_parse_uint("65", 1, 64, &v), 0);
	assert_int_not_equal(settings_parse_uint("-1", 0, 64, &v), 0);
	assert_int_not_equal(settings_parse_uint("4x", 0, 64, &v), 0);
	assert_int_not_equal(settings_parse_uint("", 0, 64, &v), 0);
	assert_int_equal(v, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_environment_gives_every_default),
		cmocka_unit_test(tally_log_is_taken_as_given),
		cmocka_unit_test(empty_tally_log_keeps_the_default),
		cmocka_unit_test(tally_run_id_is_copied_and_cut_to_39_bytes),
		cmocka_unit_test(tally_depth_accepts_1_to_64),
		cmocka_unit_test(tally_log_size_accepts_suffixes_from_1M_to_64G),
		cmocka_unit_test(tally_max_fds_accepts_64_to_16M),
		cmocka_unit_test(tally_max_stacks_and_modules_are_read),
		cmocka_unit_test(tally_reach_max_accepts_0_to_65536_mib),
		cmocka_unit_test(tally_disable_is_on_only_for_1),
		cmocka_unit_test(bad_switches_warn_once),
		cmocka_unit_test(unknown_log_pattern_escapes_warn_once),
		cmocka_unit_test(all_variables_together),
		cmocka_unit_test(bad_depth_warns_once_and_keeps_32),
		cmocka_unit_test(bad_log_size_warns_once_and_keeps_64M),
		cmocka_unit_test(bad_max_fds_warns_once_and_keeps_65536),
		cmocka_unit_test(bad_max_stacks_and_modules_warn_once),
		cmocka_unit_test(too_long_tally_log_warns_once_and_keeps_the_default),
		cmocka_unit_test(each_bad_value_gets_its_own_warning),
		cmocka_unit_test(size_suffixes_are_powers_of_1024),
		cmocka_unit_test(size_rejects_what_is_not_a_size),
		cmocka_unit_test(size_rejects_a_negative_after_blanks),
		cmocka_unit_test(uint_checks_its_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
