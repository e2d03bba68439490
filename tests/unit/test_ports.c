/*
 * Unit test of analyzer/ports.c: port lists as the report prints them,
 * sorted, without zeros or duplicates, consecutive ports merged into
 * "LO-HI" ranges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ports.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The ranges of `ports` formatted and joined with ",". */
static void ranges_text(uint16_t *ports, size_t n, char *out, size_t outsz)
{
	struct port_range r[16];
	size_t count = ports_to_ranges(ports, n, r);

	assert_true(count <= n);
	out[0] = 0;
	for (size_t i = 0; i < count; i++) {
		char one[16];
		ports_format_range(&r[i], one, sizeof(one));
		snprintf(out + strlen(out), outsz - strlen(out), "%s%s", i ? "," : "", one);
	}
}

static void consecutive_ports_merge_and_zeros_and_repeats_go(void **state)
{
	uint16_t ports[] = { 20003, 20000, 20001, 20002, 20005, 0, 20005 };
	struct port_range r[N(ports)];

	assert_int_equal(ports_to_ranges(ports, N(ports), r), 2);
	assert_int_equal(r[0].lo, 20000);
	assert_int_equal(r[0].hi, 20003);
	assert_int_equal(r[1].lo, 20005);
	assert_int_equal(r[1].hi, 20005);
}

static void ports_are_sorted_in_place(void **state)
{
	uint16_t ports[] = { 20003, 20000, 20001, 20002, 20005, 0, 20005 };
	const uint16_t sorted[] = { 0, 20000, 20001, 20002, 20003, 20005, 20005 };
	struct port_range r[N(ports)];

	ports_to_ranges(ports, N(ports), r);
	assert_memory_equal(ports, sorted, sizeof(sorted));
}

static void a_range_prints_lo_dash_hi_and_a_single_port_alone(void **state)
{
	char buf[32];

	ports_format_range(&(struct port_range){ 20000, 20003 }, buf, sizeof(buf));
	assert_string_equal(buf, "20000-20003");
	ports_format_range(&(struct port_range){ 20005, 20005 }, buf, sizeof(buf));
	assert_string_equal(buf, "20005");
	ports_format_range(&(struct port_range){ 1, 65535 }, buf, sizeof(buf));
	assert_string_equal(buf, "1-65535");
}

static void format_never_writes_past_the_buffer(void **state)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	ports_format_range(&(struct port_range){ 20000, 20003 }, buf, 6);
	assert_string_equal(buf, "20000");
	assert_int_equal(buf[6], 'x');
	assert_int_equal(buf[7], 'x');
}

static void known_lists(void **state)
{
	char text[128];

	uint16_t gaps[] = { 5, 3, 1 };
	ranges_text(gaps, N(gaps), text, sizeof(text));
	assert_string_equal(text, "1,3,5");

	uint16_t repeats[] = { 7, 5, 6, 5, 6, 7, 7 };
	ranges_text(repeats, N(repeats), text, sizeof(text));
	assert_string_equal(text, "5-7");

	uint16_t top[] = { 65535, 65534, 1 };
	ranges_text(top, N(top), text, sizeof(text));
	assert_string_equal(text, "1,65534-65535");

	uint16_t two[] = { 80, 443, 8080, 8081, 8082, 8443 };
	ranges_text(two, N(two), text, sizeof(text));
	assert_string_equal(text, "80,443,8080-8082,8443");
}

static void nothing_in_nothing_out(void **state)
{
	struct port_range r[4];
	uint16_t zeros[] = { 0, 0, 0 };

	assert_int_equal(ports_to_ranges(zeros, 0, r), 0);
	assert_int_equal(ports_to_ranges(zeros, N(zeros), r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(consecutive_ports_merge_and_zeros_and_repeats_go),
		cmocka_unit_test(ports_are_sorted_in_place),
		cmocka_unit_test(a_range_prints_lo_dash_hi_and_a_single_port_alone),
		cmocka_unit_test(format_never_writes_past_the_buffer),
		cmocka_unit_test(known_lists),
		cmocka_unit_test(nothing_in_nothing_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
