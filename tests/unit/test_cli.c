/*
 * Unit test of analyzer/cli.c: the `tally` command line as a user types
 * it, parsed into struct cli without running anything.  Known answers: the
 * fields each command line sets, and for each mistake an error line that
 * names what was wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cli.h"

/* argv arrays are NULL-terminated, as main() gets them; argc -1 = count them. */
#define ARGV(...) ((char *[]){ "tally", __VA_ARGS__, NULL })

static char err[256];

static int count(char **argv)
{
	int n = 0;
	while (argv[n])
		n++;
	return n;
}

/* Parses; a failure is a test failure that shows the message. */
static struct cli parse_ok(int argc, char **argv)
{
	struct cli c;

	err[0] = 0;
	if (argc < 0)
		argc = count(argv);
	if (cli_parse(argc, argv, &c, err, sizeof(err)) != 0)
		fail_msg("cli_parse failed: %s", err);
	return c;
}

/* Parses, expects an error that contains `mention`. */
static void parse_fails(int argc, char **argv, const char *mention)
{
	struct cli c;

	memset(err, 0, sizeof(err));
	if (argc < 0)
		argc = count(argv);
	if (cli_parse(argc, argv, &c, err, sizeof(err)) != -1)
		fail_msg("cli_parse accepted a command line that should fail (%s)", mention);
	if (!strstr(err, mention))
		fail_msg("error \"%s\" does not mention \"%s\"", err, mention);
	assert_null(strchr(err, '\n'));
}

/* ---- run ---------------------------------------------------------------- */

static void run_takes_the_command_after_the_separator(void **state)
{
	char **argv = ARGV("run", "--", "prog", "a", "b");
	struct cli c = parse_ok(-1, argv);

	assert_int_equal(c.command, CLI_RUN);
	assert_ptr_equal(c.argv, &argv[3]);
	assert_string_equal(c.argv[0], "prog");
	assert_string_equal(c.argv[1], "a");
	assert_string_equal(c.argv[2], "b");
	assert_null(c.argv[3]);
	assert_null(c.log);
	assert_false(c.check);
	assert_false(c.json);
	assert_null(c.depth);
	assert_null(c.log_size);
}

static void run_options_before_the_separator(void **state)
{
	char **argv = ARGV("run", "--check", "--log", "/x", "--", "p");
	struct cli c = parse_ok(-1, argv);

	assert_int_equal(c.command, CLI_RUN);
	assert_true(c.check);
	assert_string_equal(c.log, "/x");
	assert_ptr_equal(c.argv, &argv[6]);
	assert_string_equal(c.argv[0], "p");
	assert_null(c.argv[1]);
}

static void run_every_option_and_no_separator(void **state)
{
	char **argv = ARGV("run", "--json", "--depth", "8", "--log-size", "16M", "prog", "-x");
	struct cli c = parse_ok(-1, argv);

	assert_int_equal(c.command, CLI_RUN);
	assert_true(c.json);
	assert_false(c.check);
	assert_string_equal(c.depth, "8");
	assert_string_equal(c.log_size, "16M");
	assert_ptr_equal(c.argv, &argv[7]);
	assert_string_equal(c.argv[0], "prog");
	assert_string_equal(c.argv[1], "-x");   /* the command's, not ours */
}

/* --name=value is --name value; a value is never taken for the command,
 * and what follows the command is left alone. */
static void options_with_equals_are_split(void **state)
{
	char **argv = ARGV("run", "--depth=8", "--log", "/a=b", "--rules=x: f = inc", "prog",
	                   "--depth=9");
	struct cli c = parse_ok(-1, argv);

	assert_int_equal(c.command, CLI_RUN);
	assert_string_equal(c.depth, "8");
	assert_string_equal(c.log, "/a=b");
	assert_string_equal(c.rules, "x: f = inc");
	assert_ptr_equal(c.argv, &argv[6]);
	assert_string_equal(c.argv[1], "--depth=9");   /* the command's */

	char **rep = ARGV("report", "LOG", "--port-range=1000-1999/tcp");
	c = parse_ok(-1, rep);
	assert_int_equal(c.command, CLI_REPORT);
	assert_string_equal(c.log, "LOG");
	assert_int_equal(c.range_lo, 1000);
	assert_int_equal(c.range_hi, 1999);
}

/* "=" on an option that takes no value, or on none at all, is refused;
 * a log whose name has "=" in it is a log. */
static void equals_only_for_options_with_a_value(void **state)
{
	struct cli c;

	assert_int_equal(cli_parse(5, ARGV("run", "--check=false", "--", "echo"), &c, err,
	                           sizeof(err)), -1);
	assert_non_null(strstr(err, "--check=false"));
	assert_int_equal(cli_parse(3, ARGV("run", "--=true"), &c, err, sizeof(err)), -1);
	c = parse_ok(-1, ARGV("report", "a-b=c.log"));
	assert_string_equal(c.log, "a-b=c.log");
}

/* --help after run or report is the help. */
static void help_after_a_command(void **state)
{
	assert_int_equal(parse_ok(-1, ARGV("run", "--help")).command, CLI_HELP);
	assert_int_equal(parse_ok(-1, ARGV("run", "--check", "-h", "--", "x")).command, CLI_HELP);
	assert_int_equal(parse_ok(-1, ARGV("report", "--help")).command, CLI_HELP);
	/* a command's own --help is the command's */
	struct cli c = parse_ok(-1, ARGV("run", "--", "prog", "--help"));
	assert_int_equal(c.command, CLI_RUN);
}

static void options_after_the_separator_belong_to_the_command(void **state)
{
	char **argv = ARGV("run", "--", "prog", "--check");
	struct cli c = parse_ok(-1, argv);

	assert_false(c.check);
	assert_string_equal(c.argv[0], "prog");
	assert_string_equal(c.argv[1], "--check");
}

static void run_unknown_option_is_named(void **state)
{
	parse_fails(-1, ARGV("run", "--bogus", "--", "p"), "--bogus");
}

static void run_without_a_command_fails(void **state)
{
	parse_fails(-1, ARGV("run"), "command");
	parse_fails(-1, ARGV("run", "--"), "command");
	parse_fails(-1, ARGV("run", "--check", "--"), "command");
}

static void run_option_without_its_value_fails(void **state)
{
	parse_fails(-1, ARGV("run", "--log"), "--log");
	parse_fails(-1, ARGV("run", "--depth"), "--depth");
	parse_fails(-1, ARGV("run", "--log-size"), "--log-size");
}

/* ---- report ------------------------------------------------------------- */

static void report_json_takes_one_log(void **state)
{
	struct cli c = parse_ok(-1, ARGV("report", "--json", "x"));

	assert_int_equal(c.command, CLI_REPORT);
	assert_true(c.json);
	assert_false(c.full);
	assert_string_equal(c.log, "x");
}

static void report_all_after_the_log(void **state)
{
	struct cli c = parse_ok(-1, ARGV("report", "/dev/shm/tally.x.1", "--all"));

	assert_int_equal(c.command, CLI_REPORT);
	assert_true(c.full);
	assert_false(c.json);
	assert_string_equal(c.log, "/dev/shm/tally.x.1");
}

static void report_events(void **state)
{
	struct cli c = parse_ok(-1, ARGV("report", "--events", "--json", "L"));

	assert_int_equal(c.command, CLI_REPORT);
	assert_true(c.events);
	assert_true(c.json);
	assert_string_equal(c.log, "L");
	c = parse_ok(-1, ARGV("report", "L"));
	assert_false(c.events);
}

static void report_without_a_log_fails(void **state)
{
	parse_fails(-1, ARGV("report"), "log");
	parse_fails(-1, ARGV("report", "--json"), "log");
}

static void report_with_two_logs_names_the_second(void **state)
{
	parse_fails(-1, ARGV("report", "a", "b"), "b");
}

static void report_unknown_option_is_named(void **state)
{
	parse_fails(-1, ARGV("report", "--bogus", "x"), "--bogus");
}

/* ---- commands ------------------------------------------------------------ */

static void unknown_command_is_named(void **state)
{
	parse_fails(-1, ARGV("frob"), "unknown command: frob");
}

static void no_command_fails(void **state)
{
	char *argv[] = { "tally", NULL };
	parse_fails(-1, argv, "command");
}

static void help_and_version(void **state)
{
	assert_int_equal(parse_ok(-1, ARGV("help")).command, CLI_HELP);
	assert_int_equal(parse_ok(-1, ARGV("--help")).command, CLI_HELP);
	assert_int_equal(parse_ok(-1, ARGV("-h")).command, CLI_HELP);
	assert_int_equal(parse_ok(-1, ARGV("--version")).command, CLI_VERSION);
	assert_int_equal(parse_ok(-1, ARGV("version")).command, CLI_VERSION);
}

static void a_short_error_buffer_is_cut_not_overrun(void **state)
{
	char small[8];
	struct cli c;

	memset(small, 'x', sizeof(small));
	assert_int_equal(cli_parse(2, ARGV("frob"), &c, small, 6), -1);
	assert_int_equal(strlen(small), 5);
	assert_int_equal(small[6], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(run_takes_the_command_after_the_separator),
		cmocka_unit_test(run_options_before_the_separator),
		cmocka_unit_test(run_every_option_and_no_separator),
		cmocka_unit_test(options_with_equals_are_split),
		cmocka_unit_test(help_after_a_command),
		cmocka_unit_test(equals_only_for_options_with_a_value),
		cmocka_unit_test(options_after_the_separator_belong_to_the_command),
		cmocka_unit_test(run_unknown_option_is_named),
		cmocka_unit_test(run_without_a_command_fails),
		cmocka_unit_test(run_option_without_its_value_fails),
		cmocka_unit_test(report_json_takes_one_log),
		cmocka_unit_test(report_all_after_the_log),
		cmocka_unit_test(report_events),
		cmocka_unit_test(report_without_a_log_fails),
		cmocka_unit_test(report_with_two_logs_names_the_second),
		cmocka_unit_test(report_unknown_option_is_named),
		cmocka_unit_test(unknown_command_is_named),
		cmocka_unit_test(no_command_fails),
		cmocka_unit_test(help_and_version),
		cmocka_unit_test(a_short_error_buffer_is_cut_not_overrun),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
