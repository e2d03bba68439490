/*
 * cli — parse `tally` arguments.
 */
#include "cli.h"
#include "rules.h"
#include "settings.h"
#include "tally/format.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

const char cli_usage[] =
	"usage: tally run [--log PATH] [--check] [--json] [--depth N] [--log-size SIZE]\n"
	"                 [--port-range LO-HI[/udp|/tcp]] [--rules RULES] [--rules-file FILE]\n"
	"                 [--enforce log|abort] [--hook entry|got] [--output FILE]\n"
	"                 -- COMMAND [ARGS...]\n"
	"       tally report [--json] [--all] [--port-range LO-HI[/udp|/tcp]] [--events] LOG\n"
	"       tally help | --version\n"
	"\n"
	"run     runs COMMAND with libtally.so preloaded, forwards signals to it, then\n"
	"        prints where its log is and the report; exits with COMMAND's status,\n"
	"        or with --check 1 when it (or a child process) left sockets open,\n"
	"        leaked objects or made a certain violation (and exited 0).\n"
	"report  reads a log (also of a running process) and reports open sockets\n"
	"        grouped by creation stack, failed calls and anomalies.\n"
	"--events  instead of the report, the event records in order, one per line\n"
	"        (with --json one JSON object per line): a timeline of the run.\n"
	"--rules RULES  reference functions to keep books on: presets (gobject, gst,\n"
	"        glib, gateway) and rules like 'obj: obj_ref = inc' (README, Rules);\n"
	"        may be given more than once.  --rules-file FILE reads them from FILE.\n"
	"--enforce abort  abort the program at a certain reference violation (staging).\n"
	"--hook got  redirect GOT entries only, instead of patching function entries.\n"
	"--output FILE  write the report (text or --json) to FILE, not to stdout,\n"
	"        which COMMAND shares.\n"
	"--port-range LO-HI[/udp|/tcp]  the port range (UDP by default) the program takes\n"
	"        ports from: the report says how much of it open sockets hold and when it\n"
	"        runs out.\n"
	"Options take a value as --name VALUE or --name=VALUE; -h or --help prints this.\n"
	"exit status: report: 0, or 2 for bad usage or a log it cannot read.\n"
	"        run: COMMAND's status (128+N if killed by signal N, 127 if it could not\n"
	"        start), 1 with --check when sockets were left open, objects leaked\n"
	"        or a certain violation was made, 2 for bad usage.\n";

static int bad(char *err, unsigned errsz, const char *fmt, const char *what)
{
	snprintf(err, errsz, fmt, what);
	return -1;
}

/* Parses "LO-HI" with 1 <= LO <= HI <= 65535, and an optional "/udp"
 * (the default: UDP and TCP ports are separate ranges) or "/tcp". */
static int port_range(const char *text, struct cli *c, char *err, unsigned errsz)
{
	unsigned lo, hi;
	int used = 0;

	if (sscanf(text, "%u-%u%n", &lo, &hi, &used) != 2 || lo < 1 || lo > hi || hi > 65535)
		goto bad;
	if (text[used] == 0 || strcmp(text + used, "/udp") == 0)
		c->range_type = SOCK_DGRAM;
	else if (strcmp(text + used, "/tcp") == 0)
		c->range_type = SOCK_STREAM;
	else
		goto bad;
	c->range_lo = (uint16_t)lo;
	c->range_hi = (uint16_t)hi;
	return 0;
bad:
	return bad(err, errsz, "--port-range wants LO-HI[/udp|/tcp] with 1 <= LO <= HI <= 65535, "
	           "got %s", text);
}

/* Takes the value of an option that needs one. */
static int value(int argc, char **argv, int *i, const char **out, char *err, unsigned errsz)
{
	if (*i + 1 >= argc || strcmp(argv[*i + 1], "--") == 0)
		return bad(err, errsz, "option %s needs a value", argv[*i]);
	*out = argv[++*i];
	return 0;
}

static int check_rules_file(const char *path, char *err, unsigned errsz)
{
	static char text[64 * 1024 + 1];
	FILE *f = fopen(path, "r");

	if (!f) {
		char why[300];
		snprintf(why, sizeof(why), "--rules-file %.250s: %s", path, strerror(errno));
		return bad(err, errsz, "%s", why);
	}
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	int failed = n == 0 && ferror(f), big = !failed && !feof(f);
	int read_errno = errno;
	fclose(f);
	if (failed) {
		char why[300];
		snprintf(why, sizeof(why), "--rules-file %.250s: %s", path, strerror(read_errno));
		return bad(err, errsz, "%s", why);
	}
	if (big)
		return bad(err, errsz, "--rules-file %s: larger than 64 KiB", path);
	/* Not parsed here: a rule that cannot be parsed gives one warning
	 * line when the program starts (the shim's), and the other rules and
	 * the program carry on, as with TALLY_RULES_FILE. */
	return 0;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h");
}

/* Whether option `a` (without "=") takes the next argument as its value. */
static bool takes_value(const char *a)
{
	static const char *const with_value[] = {
		"--log", "--depth", "--log-size", "--port-range", "--rules", "--rules-file",
		"--enforce", "--hook", "--output",
	};
	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (!strcmp(a, with_value[i]))
			return true;
	return false;
}

/* argv with "--name=value" options that take a value split in two
 * ("--depth=8" is "--depth" "8"); for run, up to "--" or the first argument that is not an option:
 * what follows is the command's, copied too; *tail_at: where that copy
 * begins.  Kept for the life of the process. */
static char **split_options(int argc, char **argv, bool has_command, int *out_argc,
                            int *tail_at, char ***tail)
{
	char **out = g_new0(char *, 2 * (size_t)argc + 1);
	int n = 0, i;

	for (i = 0; i < argc; i++) {
		char *a = argv[i], *eq = strchr(a, '=');
		if (i >= 2 && has_command && (a[0] != '-' || !strcmp(a, "--")))
			break;
		char *name = i >= 2 && a[0] == '-' && a[1] == '-' && eq ? g_strndup(a, (gsize)(eq - a))
		                                                      : NULL;
		if (name && takes_value(name)) {
			out[n++] = name;
			out[n++] = eq + 1;
		} else {
			g_free(name);   /* "--check=x": left whole, an unknown option */
			out[n++] = a;
			if (i >= 2 && takes_value(a) && i + 1 < argc)
				out[n++] = argv[++i];   /* its value, whatever it looks like */
		}
	}
	*tail_at = n;
	*tail = &argv[i];
	for (; i < argc; i++)
		out[n++] = argv[i];
	*out_argc = n;
	return out;
}

static int parse_run(int argc, char **argv, struct cli *c, char *err, unsigned errsz)
{
	int i;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (is_help(a)) {
			c->command = CLI_HELP;
			return 0;
		}
		if (strcmp(a, "--check") == 0) {
			c->check = true;
		} else if (strcmp(a, "--json") == 0) {
			c->json = true;
		} else if (strcmp(a, "--log") == 0) {
			if (value(argc, argv, &i, &c->log, err, errsz))
				return -1;
			if (!*c->log)
				return bad(err, errsz, "%s", "--log wants a path or pattern, got \"\"");
		} else if (strcmp(a, "--depth") == 0) {
			uint64_t v;
			if (value(argc, argv, &i, &c->depth, err, errsz))
				return -1;
			if (settings_parse_uint(c->depth, 1, TALLY_DEPTH_MAX, &v) != 0)
				return bad(err, errsz, "--depth wants 1 to 64 frames, got %s", c->depth);
		} else if (strcmp(a, "--log-size") == 0) {
			uint64_t v;
			if (value(argc, argv, &i, &c->log_size, err, errsz))
				return -1;
			if (settings_parse_size(c->log_size, &v) != 0 || v < (1u << 20) ||
			    v > (64ull << 30))
				return bad(err, errsz, "--log-size wants 1M to 64G (e.g. 256M), got %s",
				           c->log_size);
		} else if (strcmp(a, "--port-range") == 0) {
			const char *v;
			if (value(argc, argv, &i, &v, err, errsz) || port_range(v, c, err, errsz))
				return -1;
		} else if (strcmp(a, "--rules") == 0) {
			const char *v;
			if (value(argc, argv, &i, &v, err, errsz))
				return -1;
			size_t used = strlen(c->rules);
			if (used + strlen(v) + 2 > sizeof(c->rules))
				return bad(err, errsz, "%s", "--rules: more than 4 KiB of rules; use --rules-file");
			snprintf(c->rules + used, sizeof(c->rules) - used, "%s%s", used ? ";" : "", v);
		} else if (strcmp(a, "--rules-file") == 0) {
			if (value(argc, argv, &i, &c->rules_file, err, errsz) ||
			    check_rules_file(c->rules_file, err, errsz))
				return -1;
		} else if (strcmp(a, "--enforce") == 0) {
			if (value(argc, argv, &i, &c->enforce, err, errsz))
				return -1;
			if (strcmp(c->enforce, "log") && strcmp(c->enforce, "abort"))
				return bad(err, errsz, "--enforce wants log or abort, got %s", c->enforce);
		} else if (strcmp(a, "--output") == 0) {
			if (value(argc, argv, &i, &c->output, err, errsz))
				return -1;
			if (!*c->output)
				return bad(err, errsz, "%s", "--output wants a file, got \"\"");
		} else if (strcmp(a, "--hook") == 0) {
			if (value(argc, argv, &i, &c->hook, err, errsz))
				return -1;
			if (strcmp(c->hook, "entry") && strcmp(c->hook, "got"))
				return bad(err, errsz, "--hook wants entry or got, got %s", c->hook);
		} else if (a[0] == '-') {
			return bad(err, errsz, "unknown option for run: %s", a);
		} else {
			break;   /* the command, without "--" */
		}
	}
	if (i >= argc)
		return bad(err, errsz, "%s", "run needs a command: tally run [OPTIONS] -- COMMAND [ARGS...]");
	c->argv = &argv[i];
	return 0;
}

static int parse_report(int argc, char **argv, struct cli *c, char *err, unsigned errsz)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (is_help(a)) {
			c->command = CLI_HELP;
			return 0;
		}
		if (strcmp(a, "--json") == 0)
			c->json = true;
		else if (strcmp(a, "--all") == 0)
			c->full = true;
		else if (strcmp(a, "--events") == 0)
			c->events = true;
		else if (strcmp(a, "--port-range") == 0) {
			const char *v;
			if (value(argc, argv, &i, &v, err, errsz) || port_range(v, c, err, errsz))
				return -1;
		}
		else if (a[0] == '-' && a[1])
			return bad(err, errsz, "unknown option for report: %s", a);
		else if (c->log)
			return bad(err, errsz, "report takes one log, got another: %s", a);
		else
			c->log = a;
	}
	if (!c->log)
		return bad(err, errsz, "%s", "report needs a log: tally report [OPTIONS] LOG");
	return 0;
}

int cli_parse(int argc, char **argv, struct cli *c, char *err, unsigned errsz)
{
	memset(c, 0, sizeof(*c));
	if (argc < 2)
		return bad(err, errsz, "%s", "missing command (run, report, help)");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		c->command = CLI_HELP;
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		c->command = CLI_VERSION;
		return 0;
	}
	if (!strcmp(cmd, "run")) {
		c->command = CLI_RUN;
		int tail_at;
		char **tail, **split = split_options(argc, argv, true, &argc, &tail_at, &tail);
		int rc = parse_run(argc, split, c, err, errsz);
		/* The command's arguments are the caller's own, not the copy's. */
		if (rc == 0 && c->argv && c->argv - split >= tail_at)
			c->argv = tail + (c->argv - split - tail_at);
		return rc;
	}
	if (!strcmp(cmd, "report")) {
		c->command = CLI_REPORT;
		int tail_at;
		char **tail;
		argv = split_options(argc, argv, false, &argc, &tail_at, &tail);
		return parse_report(argc, argv, c, err, errsz);
	}
	return bad(err, errsz, "unknown command: %s", cmd);
}
