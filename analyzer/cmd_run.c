/*
 * cmd_run — start COMMAND with the shim preloaded, forward signals to it,
 * wait, find the logs it wrote (by a run id they all carry), report.
 */
#include "cmd_run.h"
#include "cmd_report.h"
#include "logread.h"
#include "rules.h"
#include "settings.h"
#include "tally/format.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The child being run; read by the signal handler. */
static volatile pid_t child_pid;

int cmd_run_find_shim(const char *exe_path, char *out, size_t size)
{
	const char *env = getenv("TALLY_LIB");
	char *copy = g_strdup(exe_path), *dir = dirname(copy);
	const char *candidates[2] = { "%s/libtally.so", "%s/../lib/tally/libtally.so" };
	int found = -1;

	if (env && *env) {
		snprintf(out, size, "%s", env);
		found = access(out, R_OK) == 0 ? 0 : -1;
	}
	for (int i = 0; found != 0 && i < 2; i++) {
		char path[4096];
		snprintf(path, sizeof(path), candidates[i], dir);
		if (access(path, R_OK) == 0 && realpath(path, out))
			found = 0;
	}
	g_free(copy);
	(void)size;
	return found;
}

static const int forwarded_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* Forwards a signal sent to tally to COMMAND.  COMMAND runs in tally's
 * process group, as it would without tally: its own children, setsid(),
 * the terminal and job control work unchanged.  So a signal the terminal
 * sent to the foreground group (SI_KERNEL) reached it already and is not
 * sent again, nor one COMMAND sent itself (to its parent, say).  One that
 * a process sends to the whole group reaches COMMAND twice, directly and
 * forwarded: tally cannot tell it from one sent to its pid alone (README,
 * Usage: kill tally's pid, or timeout --foreground). */
static void forward(int sig, siginfo_t *info, void *uc)
{
	pid_t child = child_pid;

	(void)uc;
	if (child <= 0 || info->si_code == SI_KERNEL ||
	    (info->si_code <= 0 && info->si_pid == child))
		return;
	kill(child, sig);
}

/* Installs forward() for the forwarded signals that tally does not
 * ignore: one its caller made it ignore (nohup: SIGHUP; a script's
 * background job: SIGINT, SIGQUIT) stays ignored, and COMMAND inherits it
 * so, as without tally.  *set: the signals forward() handles. */
static void install_forwarding(sigset_t *set)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigemptyset(set);
	for (size_t i = 0; i < G_N_ELEMENTS(forwarded_sigs); i++) {
		int sig = forwarded_sigs[i];
		if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		if (sigaction(sig, &sa, NULL) == 0)
			sigaddset(set, sig);
	}
}

/* In COMMAND before exec: the default action for the signals tally
 * forwards (exec would reset them anyway), so one that came since fork
 * acts as it would on the program. */
static void default_forwarded(const sigset_t *set)
{
	for (size_t i = 0; i < G_N_ELEMENTS(forwarded_sigs); i++)
		if (sigismember(set, forwarded_sigs[i]))
			signal(forwarded_sigs[i], SIG_DFL);
}

static void set_env(const struct cli *c, const char *shim, const char *run_id,
                    const char *pattern)
{
	const char *old = getenv("LD_PRELOAD");
	char *preload = old && *old ? g_strdup_printf("%s:%s", shim, old) : g_strdup(shim);

	setenv("LD_PRELOAD", preload, 1);
	setenv("TALLY_RUN_ID", run_id, 1);
	setenv("TALLY_LOG", pattern, 1);
	if (c->depth)
		setenv("TALLY_DEPTH", c->depth, 1);
	if (c->log_size)
		setenv("TALLY_LOG_SIZE", c->log_size, 1);
	if (c->rules[0])
		setenv("TALLY_RULES", c->rules, 1);
	if (c->rules_file)
		setenv("TALLY_RULES_FILE", c->rules_file, 1);
	if (c->enforce)
		setenv("TALLY_ENFORCE", c->enforce, 1);
	if (c->hook)
		setenv("TALLY_HOOK", c->hook, 1);
	/* The shim says at start how many entries and GOT sites each rule got,
	 * in every process whose stderr is tally run's own: never onto a
	 * stream a parent gave its child to read back (g_spawn_sync capturing
	 * a child's stderr must find there only what the child wrote). */
	struct stat err;
	char where[64];
	if (fstat(2, &err) == 0)
		snprintf(where, sizeof(where), "stderr:%llu:%llu", (unsigned long long)err.st_dev,
		         (unsigned long long)err.st_ino);
	else
		snprintf(where, sizeof(where), "pid:%ld", (long)getpid());
	setenv("TALLY_REPORT_HOOKS", where, 1);
	g_free(preload);
}

/* --output when no report is made: the file goes (it was created empty). */
static void drop_output(FILE *out, const char *path)
{
	if (out != stdout) {
		fclose(out);
		unlink(path);
	}
}

static void warn_stderr(const char *line)
{
	fprintf(stderr, "%s\n", line);
}

/* The rules' parse errors, said once for the whole run before it starts
 * (the shims under tally run keep quiet about them): one line per rule
 * that cannot be parsed, as the shim would say it; the others apply. */
static void check_rules(const struct cli *c)
{
	/* The log's own table sizes: "too many rules" is said here too. */
	struct rule_tables t = {
		.rules = g_new0(struct tally_rule, TALLY_MAX_RULES), .max_rules = TALLY_MAX_RULES,
		.types = g_new0(struct tally_type, TALLY_MAX_TYPES), .max_types = TALLY_MAX_TYPES,
	};
	const char *text = c->rules[0] ? c->rules : getenv("TALLY_RULES");
	const char *file = c->rules_file ? c->rules_file : getenv("TALLY_RULES_FILE");

	if (text && *text)
		rules_parse(&t, text, c->rules[0] ? "--rules" : "TALLY_RULES", warn_stderr);
	if (file && *file) {
		gchar *body = NULL;
		GError *error = NULL;
		if (g_file_get_contents(file, &body, NULL, &error))
			rules_parse(&t, body, file, warn_stderr);
		else
			fprintf(stderr, "tally: cannot read TALLY_RULES_FILE %s: %s\n", file,
			        error->message);
		g_clear_error(&error);
		g_free(body);
	}
	g_free(t.rules);
	g_free(t.types);
}

struct found_log {
	char *path;
	struct tally_header hdr;
};

static gint by_start(gconstpointer pa, gconstpointer pb)
{
	const struct found_log *a = *(struct found_log *const *)pa;
	const struct found_log *b = *(struct found_log *const *)pb;
	return a->hdr.start_mono_ns < b->hdr.start_mono_ns ? -1 :
	       a->hdr.start_mono_ns > b->hdr.start_mono_ns;
}

static void found_free(gpointer p)
{
	struct found_log *f = p;
	g_free(f->path);
	g_free(f);
}

/* Every log in dir whose header carries run_id, oldest first. */
static GPtrArray *find_logs(const char *dir, const char *run_id)
{
	GPtrArray *logs = g_ptr_array_new_with_free_func(found_free);
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return logs;
	while ((de = readdir(d))) {
		char *path = g_build_filename(dir, de->d_name, NULL);
		struct found_log f;
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		struct stat st;

		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    read(fd, &f.hdr, sizeof(f.hdr)) == (ssize_t)sizeof(f.hdr) &&
		    memcmp(f.hdr.magic, TALLY_MAGIC, 8) == 0 &&
		    strncmp(f.hdr.run_id, run_id, sizeof(f.hdr.run_id)) == 0) {
			struct found_log *keep = g_new(struct found_log, 1);
			*keep = f;
			keep->path = path;
			path = NULL;
			g_ptr_array_add(logs, keep);
		}
		if (fd >= 0)
			close(fd);
		g_free(path);
	}
	closedir(d);
	g_ptr_array_sort(logs, by_start);
	return logs;
}

/* Whether logs[i] is the newest log of its pid (the image it ended as). */
static bool is_last_image(GPtrArray *logs, guint i)
{
	const struct found_log *f = logs->pdata[i];

	for (guint j = i + 1; j < logs->len; j++)
		if (((const struct found_log *)logs->pdata[j])->hdr.pid == f->hdr.pid)
			return false;
	return true;
}

/* Sockets a process made and left open at the end of its log (inherited
 * ones are not its leaks); 0 when it cannot be read. */
static uint64_t open_in_log(const char *path)
{
	struct logread lr;
	char err[512];
	uint64_t open = 0;

	if (logread_open(&lr, path, err, sizeof(err)) != 0)
		return 0;
	for (uint32_t fd = 0; fd < lr.hdr.max_fds; fd++) {
		struct tally_fd_slot slot;
		open += logread_slot(&lr, fd, &slot) && !(slot.flags & TALLY_FD_INHERITED);
	}
	logread_close(&lr);
	return open;
}

/* Sockets the image before an exec made and left open, that the image
 * after it (last) still had open at its end: a leak across exec, counted
 * for the process although the last image did not make them. */
static uint64_t carried_over(const char *before, const char *last)
{
	struct logread a, b;
	char err[512];
	uint64_t n = 0;

	if (logread_open(&a, before, err, sizeof(err)) != 0)
		return 0;
	if (logread_open(&b, last, err, sizeof(err)) != 0) {
		logread_close(&a);
		return 0;
	}
	for (uint32_t fd = 0; fd < a.hdr.max_fds && fd < b.hdr.max_fds; fd++) {
		struct tally_fd_slot sa, sb;
		n += logread_slot(&a, fd, &sa) && !(sa.flags & TALLY_FD_INHERITED) &&
		     logread_slot(&b, fd, &sb) && sb.stack_id == TALLY_STACK_INHERITED;
	}
	logread_close(&a);
	logread_close(&b);
	return n;
}

/* The log of the image pid ran before logs[i], or NULL. */
static const struct found_log *image_before(GPtrArray *logs, guint i)
{
	const struct found_log *f = logs->pdata[i];

	for (guint j = i; j-- > 0;)
		if (((const struct found_log *)logs->pdata[j])->hdr.pid == f->hdr.pid)
			return logs->pdata[j];
	return NULL;
}

/* What the process whose last image is logs[i] left open: its own
 * sockets, and those its previous image leaked into it across exec. */
static uint64_t left_open(GPtrArray *logs, guint i)
{
	const struct found_log *f = logs->pdata[i], *before = image_before(logs, i);

	return open_in_log(f->path) + (before ? carried_over(before->path, f->path) : 0);
}

/* Whether a log recorded nothing of its own (tally_log_records_nothing). */
static bool log_is_empty(const char *path)
{
	struct logread lr;
	char err[512];

	if (logread_open(&lr, path, err, sizeof(err)) != 0)
		return false;
	uint32_t types = lr.hdr.types_used < lr.hdr.max_types ? lr.hdr.types_used : lr.hdr.max_types;
	struct tally_header h = lr.hdr;
	h.types_used = types;
	bool empty = tally_log_records_nothing(&h, lr.types, lr.tallies, lr.events,
	                                       lr.events_readable);
	logread_close(&lr);
	return empty;
}

/* At the end of the run, once for all its processes (their shims keep
 * quiet when a rule named nothing in them): each rule of its own that
 * named no function in any process, and presets none of whose functions
 * exist in any. */
static void say_unmatched_rules(GPtrArray *logs)
{
	GHashTable *found = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GPtrArray *order = g_ptr_array_new_with_free_func(g_free);   /* "role\tname", first seen */
	bool presets = false, preset_found = false;

	for (guint i = 0; i < logs->len; i++) {
		struct logread lr;
		char err[512];
		if (logread_open(&lr, ((struct found_log *)logs->pdata[i])->path, err, sizeof(err)))
			continue;
		uint32_t n = lr.hdr.rules_used < lr.hdr.max_rules ? lr.hdr.rules_used : lr.hdr.max_rules;
		for (uint32_t r = 0; r < n; r++) {
			const struct tally_rule *rule = &lr.rules[r];
			bool hit = rule->flags & TALLY_RULEF_FOUND;
			if (rule->role == TALLY_ROLE_LIFETIME)
				continue;   /* may name a function that is not exported */
			if (rule->flags & TALLY_RULEF_PRESET) {
				presets = true;
				preset_found |= hit;
				continue;
			}
			char *key = g_strdup_printf("%s\t%.*s", rules_role_name(rule->role),
			                            (int)sizeof(rule->function), rule->function);
			gpointer was;
			if (!g_hash_table_lookup_extended(found, key, NULL, &was)) {
				g_ptr_array_add(order, g_strdup(key));
				was = GINT_TO_POINTER(0);
			}
			g_hash_table_replace(found, key, GINT_TO_POINTER(GPOINTER_TO_INT(was) | hit));
		}
		logread_close(&lr);
	}
	for (guint i = 0; i < order->len; i++) {
		const char *key = order->pdata[i], *tab = strchr(key, '\t');
		if (!GPOINTER_TO_INT(g_hash_table_lookup(found, key)))
			fprintf(stderr, "tally: rule %s (%.*s): no such function in any process of the "
			        "run\n", tab + 1, (int)(tab - key), key);
	}
	if (presets && !preset_found)
		fputs("tally: no function named by the presets exists in any process of the run\n",
		      stderr);
	g_ptr_array_free(order, TRUE);
	g_hash_table_destroy(found);
}

static char *log_dir(const char *pattern)
{
	char *copy = g_strdup(pattern);
	char *dir = g_strdup(dirname(copy));
	g_free(copy);
	return dir;
}

int cmd_run(const struct cli *c)
{
	char shim[4096], exe[4096], run_id[TALLY_RUN_ID_MAX];
	const char *pattern = c->log ? c->log : getenv("TALLY_LOG");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int status;

	exe[n > 0 ? n : 0] = 0;
	if (cmd_run_find_shim(exe, shim, sizeof(shim)) != 0) {
		fprintf(stderr, "tally: cannot find libtally.so beside %s (set TALLY_LIB)\n", exe);
		return 2;
	}
	if (!pattern || !*pattern)
		pattern = "/dev/shm/tally.%e.%p";
	/* What the shim would refuse (and log elsewhere) is bad usage here. */
	if (!settings_log_pattern_ok(pattern)) {
		fprintf(stderr, "tally run: %s %s: a %% must start %%p (the pid), %%e (the "
		        "program's name) or %%%% (a %% sign)\n", c->log ? "--log" : "TALLY_LOG=",
		        pattern);
		return 2;
	}
	/* The program may chdir before its log is made: a relative path would
	 * land somewhere else than where tally looks for it afterwards. */
	char *cwd = g_get_current_dir();
	char *absolute = g_path_is_absolute(pattern) ? g_strdup(pattern)
	                                             : g_build_filename(cwd, pattern, NULL);
	g_free(cwd);
	pattern = absolute;
	snprintf(run_id, sizeof(run_id), "run-%d-%08x", (int)getpid(), g_random_int());

	/* --output: the report apart from COMMAND's own stdout (a --json
	 * report can then go to jq); opened first, so that a bad path stops
	 * the run before COMMAND starts.  Close-on-exec: COMMAND never sees it. */
	FILE *out = stdout;
	if (c->output && !(out = fopen(c->output, "we"))) {
		fprintf(stderr, "tally: --output %s: %s\n", c->output, strerror(errno));
		g_free(absolute);
		return 2;
	}
	/* A relative rules file is found from any directory COMMAND moves to. */
	struct cli with_paths = *c;
	char *absolute_rules = NULL;
	if (c->rules_file && !g_path_is_absolute(c->rules_file)) {
		char *here = g_get_current_dir();
		absolute_rules = g_build_filename(here, c->rules_file, NULL);
		g_free(here);
		with_paths.rules_file = absolute_rules;
		c = &with_paths;
	}
	check_rules(c);
	/* The forwarded signals are blocked until child_pid is set: one that
	 * comes meanwhile is forwarded then, not lost. */
	sigset_t forwarded, before;
	install_forwarding(&forwarded);
	sigprocmask(SIG_BLOCK, &forwarded, &before);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "tally: fork: %s\n", strerror(errno));
		sigprocmask(SIG_SETMASK, &before, NULL);
		drop_output(out, c->output);
		return 2;
	}
	if (pid == 0) {
		default_forwarded(&forwarded);
		sigprocmask(SIG_SETMASK, &before, NULL);
		set_env(c, shim, run_id, pattern);
		execvp(c->argv[0], c->argv);
		fprintf(stderr, "tally: cannot run %s: %s\n", c->argv[0], strerror(errno));
		_exit(127);
	}
	child_pid = pid;
	sigprocmask(SIG_SETMASK, &before, NULL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "tally: waitpid: %s\n", strerror(errno));
			drop_output(out, c->output);
			return 2;
		}
	}
	child_pid = 0;   /* reaped: its pid may be another process's soon */
	int code = WIFEXITED(status) ? WEXITSTATUS(status)
	                             : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);

	char *dir = log_dir(pattern);
	GPtrArray *logs = find_logs(dir, run_id);
	struct found_log *main_log = NULL;
	for (guint i = 0; i < logs->len; i++) {
		struct found_log *f = logs->pdata[i];
		if (f->hdr.pid == pid)
			main_log = f;   /* the newest image of the process we started */
	}
	if (!main_log) {
		/* 127: the command did not start, and the child said why. */
		if (code != 127)
			fprintf(stderr, "tally: %s wrote no log in %s (a static or setuid binary, "
			        "TALLY_DISABLE set, or a log it could not create: see above)\n",
			        c->argv[0], dir);
		g_ptr_array_free(logs, TRUE);
		g_free(dir);
		g_free(absolute);
		drop_output(out, c->output);
		return code ? code : 2;
	}
	/* A script's processes that never touched a socket each left a log
	 * allocated in full: those are removed at the end, not listed. */
	gboolean *removable = g_new0(gboolean, logs->len + 1);
	unsigned nremovable = 0;
	for (guint i = 0; i < logs->len; i++) {
		struct found_log *f = logs->pdata[i];
		const struct found_log *before = image_before(logs, i);
		removable[i] = f != main_log && log_is_empty(f->path) &&
		               !(before && carried_over(before->path, f->path));
		nremovable += removable[i];
	}
	fprintf(stderr, "tally: log: %s\n", main_log->path);
	for (guint i = 0; i < logs->len; i++) {
		struct found_log *f = logs->pdata[i];
		if (f != main_log && !removable[i])
			fprintf(stderr, "tally: also: %s (pid %d%s)\n", f->path, f->hdr.pid,
			        f->hdr.pid == pid ? ", before exec" : ", child process");
	}
	if (nremovable)
		fprintf(stderr, "tally: %u more log%s of processes that touched no socket removed\n",
		        nremovable, nremovable == 1 ? "" : "s");
	say_unmatched_rules(logs);
	struct report_counts counts = { 0, 0, 0 };
	struct report_request rq = { c->json, false, c->range_lo, c->range_hi, c->range_type, false };
	int rc = cmd_report_counts(main_log->path, &rq, out, &counts);
	if (rc != 0)
		drop_output(out, c->output);   /* no report: no file */
	else if (out != stdout && fclose(out) != 0) {
		fprintf(stderr, "tally: --output %s: %s\n", c->output, strerror(errno));
		rc = 2;
	}
	uint64_t open_sockets = counts.open_sockets;
	guint main_index = 0;
	for (guint i = 0; i < logs->len; i++)
		if (logs->pdata[i] == main_log)
			main_index = i;
	const struct found_log *main_before = image_before(logs, main_index);
	uint64_t carried = main_before ? carried_over(main_before->path, main_log->path) : 0;
	/* Socket fds above the table: neither their opens nor their closes
	 * are known, so --check cannot vouch for them. */
	uint64_t untracked = main_log->hdr.dropped[TALLY_DROP_STATE_FULL];
	uint32_t max_fds = main_log->hdr.max_fds;
	if (carried)
		fprintf(stderr, "tally: %llu socket%s leaked across exec by the image before (%s)\n",
		        (unsigned long long)carried, carried == 1 ? "" : "s", main_before->path);
	open_sockets += carried;
	/* Every other process of the run, by the last image it ran: its
	 * sockets left open count for --check too. */
	uint64_t elsewhere = 0;
	unsigned objects_elsewhere = 0, violations_elsewhere = 0, violations_before_exec = 0;
	unsigned unreadable = 0;
	for (guint i = 0; i < logs->len; i++) {
		struct found_log *f = logs->pdata[i];
		if (f != main_log && !is_last_image(logs, i) && !removable[i] && f->hdr.rules_used) {
			/* An image before an exec (COMMAND's or a child's): what it
			 * held went with it, but its certain violations stand. */
			struct report_counts vc = { 0, 0, 0 };
			struct report_request quiet = { false, false, 0, 0, 0, false };
			if (cmd_report_counts(f->path, &quiet, NULL, &vc) != 0) {
				unreadable++;
			} else if (vc.violations) {
				fprintf(stderr, "tally: pid %d (%.*s, before exec) made %u certain "
				        "violation%s: tally report %s\n", f->hdr.pid,
				        (int)sizeof(f->hdr.exe), f->hdr.exe, vc.violations,
				        vc.violations == 1 ? "" : "s", f->path);
				violations_before_exec += vc.violations;
			}
		}
		if (f == main_log || f->hdr.pid == pid || !is_last_image(logs, i))
			continue;
		/* A child that exited on an error (a test's subprocess that
		 * fails on purpose), or that did not exit at all (killed, as a
		 * test's server or private dbus-daemon is at teardown; crashed;
		 * still running past COMMAND), stopped with whatever it held:
		 * no leak for --check, as for COMMAND killed.  Its certain
		 * violations still count. */
		int failing = tally_exited_failing(&f->hdr);
		int not_exited = f->hdr.exit_state != TALLY_EXITED;
		if (failing)
			fprintf(stderr, "tally: pid %d (%.*s) exited with status %d: what it still held "
			        "is not counted\n", f->hdr.pid, (int)sizeof(f->hdr.exe), f->hdr.exe,
			        f->hdr.exit_status & 0xff);
		else if (not_exited)
			fprintf(stderr, "tally: pid %d (%.*s) did not exit (killed, crashed or still "
			        "running): what it still held is not counted\n", f->hdr.pid,
			        (int)sizeof(f->hdr.exe), f->hdr.exe);
		failing = failing || not_exited;
		uint64_t open = failing ? 0 : left_open(logs, i);
		/* Its books too: a wrapper script's child that leaks objects
		 * fails --check as the main process would (and sockets its
		 * libraries keep for its life, by lifetime rules, are none of
		 * its leaks). */
		struct report_counts cc = { 0, 0, 0 };
		struct report_request quiet = { false, false, 0, 0, 0, false };
		int books = !removable[i] && f->hdr.rules_used;
		if (books && cmd_report_counts(f->path, &quiet, NULL, &cc) != 0) {
			unreadable++;   /* its one line is out: --check cannot vouch */
			books = 0;
		} else if (books && !failing) {
			uint64_t own = open_in_log(f->path);
			open -= own > cc.open_sockets ? own - cc.open_sockets : 0;
		}
		if (failing)
			cc.leaked_objects = 0;   /* its certain violations still count */
		if (open)
			fprintf(stderr, "tally: pid %d (%.*s) left %llu socket%s open: tally report %s\n",
			        f->hdr.pid, (int)sizeof(f->hdr.exe), f->hdr.exe,
			        (unsigned long long)open, open == 1 ? "" : "s", f->path);
		elsewhere += open;
		untracked += f->hdr.dropped[TALLY_DROP_STATE_FULL];   /* its untracked sockets */
		if (!books)
			continue;
		if (cc.leaked_objects || cc.violations)
			fprintf(stderr, "tally: pid %d (%.*s) leaked %u object%s, %u certain violation%s: "
			        "tally report %s\n", f->hdr.pid, (int)sizeof(f->hdr.exe), f->hdr.exe,
			        cc.leaked_objects, cc.leaked_objects == 1 ? "" : "s", cc.violations,
			        cc.violations == 1 ? "" : "s", f->path);
		objects_elsewhere += cc.leaked_objects;
		violations_elsewhere += cc.violations;
	}
	for (guint i = 0; i < logs->len; i++)
		if (removable[i])
			unlink(((struct found_log *)logs->pdata[i])->path);
	g_free(removable);
	g_ptr_array_free(logs, TRUE);
	g_free(dir);
	g_free(absolute);
	if (rc)
		return code ? code : rc;
	/* --check: sockets left open (by any process of the run), objects
	 * whose references were never given back, certain violations (an
	 * unref with no reference left, a reference after release, a double
	 * close); all said in one line. */
	if (!c->check || code != 0)
		return code;
	uint64_t total = open_sockets + elsewhere;
	unsigned objects = counts.leaked_objects + objects_elsewhere;
	unsigned violations = counts.violations + violations_elsewhere + violations_before_exec;
	if (!total && !objects && !violations && !untracked && !unreadable)
		return 0;
	GString *why = g_string_new(NULL);
	if (total) {
		g_string_append_printf(why, "%llu socket%s left open", (unsigned long long)total,
		                       total == 1 ? "" : "s");
		if (elsewhere)
			g_string_append_printf(why, " (%llu by child processes)",
			                       (unsigned long long)elsewhere);
	}
	if (objects)
		g_string_append_printf(why, "%s%u object%s leaked", why->len ? ", " : "", objects,
		                       objects == 1 ? "" : "s");
	if (objects_elsewhere)
		g_string_append_printf(why, " (%u by child processes)", objects_elsewhere);
	if (violations)
		g_string_append_printf(why, "%s%u certain violation%s", why->len ? ", " : "",
		                       violations, violations == 1 ? "" : "s");
	if (violations_elsewhere)
		g_string_append_printf(why, " (%u by child processes)", violations_elsewhere);
	if (violations_before_exec)
		g_string_append_printf(why, " (%u by images before an exec)", violations_before_exec);
	if (untracked)
		g_string_append_printf(why, "%s%llu socket fd%s above TALLY_MAX_FDS=%u not tracked "
		                       "(raise it)", why->len ? ", " : "", (unsigned long long)untracked,
		                       untracked == 1 ? "" : "s", max_fds);
	if (unreadable)
		g_string_append_printf(why, "%s%u child process log%s not readable", why->len ? ", " : "",
		                       unreadable, unreadable == 1 ? "" : "s");
	fprintf(stderr, "tally: check failed: %s\n", why->str);
	g_string_free(why, TRUE);
	return 1;
}
