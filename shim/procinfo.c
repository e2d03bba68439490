/*
 * procinfo — small /proc readers with no allocation and no stdio, so they
 * are safe in a constructor and in a child after fork.
 */
#include "procinfo.h"
#include "real.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Reads up to size-1 bytes of a file; returns the count, -1 on error. */
static ssize_t read_small_file(const char *path, char *buf, size_t size)
{
	int fd = real_open(path, O_RDONLY | O_CLOEXEC, 0);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n <= 0)
			break;
		total += n;
	}
	real_close(fd);
	buf[total] = 0;
	return total;
}

void procinfo_exe(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);
	out[n > 0 ? n : 0] = 0;
}

/* Parses one line of /proc/self/maps ("lo-hi perms offset dev inode
 * name"); 0 when it is not one. */
static int parse_maps_line(const char *line, struct procinfo_mapping *m)
{
	const char *eol = line + strcspn(line, "\n");
	char *end;

	m->lo = strtoul(line, &end, 16);
	if (*end != '-')
		return 0;
	m->hi = strtoul(end + 1, &end, 16);
	if (*end != ' ' || eol - end < 5)
		return 0;
	memcpy(m->perms, end + 1, 4);
	m->perms[4] = 0;
	/* Skip perms, offset, dev and inode; the name, if any, follows the
	 * spaces after the inode (an anonymous mapping's line may end there). */
	const char *p = end + 1;
	for (int field = 0; field < 4 && p < eol; field++) {
		const char *space = memchr(p, ' ', (size_t)(eol - p));
		p = space ? space + strspn(space, " ") : eol;
	}
	if (p > eol)
		p = eol;
	m->name = p;
	m->name_len = (size_t)(eol - p);
	return 1;
}

/* /proc/self/smaps: a mapping's header line, then fields, the last of
 * which is "VmFlags: rd wr mr ..."; the mapping is handed on with them. */
struct smaps_state {
	struct procinfo_mapping m;
	char name[64];
	int pending;
};

static int smaps_line(struct smaps_state *st, const char *line,
                      int (*fn)(const struct procinfo_mapping *m, void *arg), void *arg)
{
	struct procinfo_mapping m;

	if (strncmp(line, "VmFlags:", 8) == 0) {
		if (!st->pending)
			return 0;
		st->pending = 0;
		st->m.vmflags = line + 8;
		st->m.vmflags_len = strcspn(line + 8, "\n");
		return fn(&st->m, arg);
	}
	if (!parse_maps_line(line, &m))
		return 0;   /* another field */
	size_t n = m.name_len < sizeof(st->name) - 1 ? m.name_len : sizeof(st->name) - 1;
	memcpy(st->name, m.name, n);
	st->name[n] = 0;
	st->m = m;
	st->m.name = st->name;
	st->m.name_len = m.name_len;   /* a longer name is no "[heap]" or "" */
	st->pending = 1;
	return 0;
}

static int each_mapping(const char *path, int smaps,
                        int (*fn)(const struct procinfo_mapping *m, void *arg), void *arg)
{
	/* Read in pieces (a program's maps run to hundreds of KiB), each
	 * piece's last, partial line carried over to the next. */
	char buf[4096 + 1];
	size_t have = 0;
	struct smaps_state st = { .pending = 0 };
	int fd = real_open(path, O_RDONLY | O_CLOEXEC, 0), stop = 0, skipping = 0;

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n')) && !stop) {
			struct procinfo_mapping m;
			if (!skipping && smaps)
				stop = smaps_line(&st, line, fn, arg);
			else if (!skipping && parse_maps_line(line, &m)) {
				m.vmflags = "";
				m.vmflags_len = 0;
				stop = fn(&m, arg);
			}
			skipping = 0;
			line = nl + 1;
		}
		if (stop)
			break;
		have = strlen(line);
		if (have == sizeof(buf) - 1) {
			/* a line longer than the buffer: not a module's; its rest,
			 * up to its newline, is not a line of its own */
			have = 0;
			skipping = 1;
		}
		memmove(buf, line, have);
	}
	real_close(fd);
	return stop;
}

int procinfo_each_mapping(int (*fn)(const struct procinfo_mapping *m, void *arg), void *arg)
{
	return each_mapping("/proc/self/maps", 0, fn, arg);
}

int procinfo_each_mapping_flags(int (*fn)(const struct procinfo_mapping *m, void *arg), void *arg)
{
	return each_mapping("/proc/self/smaps", 1, fn, arg);
}

struct mapped_path {
	uintptr_t addr;
	char *out;
	size_t size;
};

static int mapping_path_of(const struct procinfo_mapping *m, void *arg)
{
	struct mapped_path *q = arg;
	size_t n = m->name_len;

	if (q->addr < m->lo || q->addr >= m->hi)
		return 0;
	if (m->name[0] != '/')
		return -1;   /* no file: stop, not found */
	static const char deleted[] = " (deleted)";   /* gone or replaced since */
	if (n > sizeof(deleted) - 1 && memcmp(m->name + n - (sizeof(deleted) - 1), deleted,
	                                      sizeof(deleted) - 1) == 0)
		n -= sizeof(deleted) - 1;
	if (n >= q->size)
		return -1;
	memcpy(q->out, m->name, n);
	q->out[n] = 0;
	return 1;
}

int procinfo_mapped_path(uintptr_t addr, char *out, size_t size)
{
	struct mapped_path q = { addr, out, size };

	out[0] = 0;
	return procinfo_each_mapping(mapping_path_of, &q) == 1 ? 0 : -1;
}

/* getdents64's record (glibc declares none). */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int procinfo_each_fd(int (*fn)(int fd, void *arg), void *arg)
{
	/* getdents64 on /proc/self/fd: no allocation (opendir would). */
	char buf[4096];
	int dir = real_open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), stop = 0;

	if (dir < 0)
		return -1;
	while (!stop) {
		long n = syscall(SYS_getdents64, dir, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (long off = 0; off < n && !stop;) {
			const struct linux_dirent64 *d = (const void *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			int fd = atoi(d->d_name);
			if (fd != dir)
				stop = fn(fd, arg);
		}
	}
	real_close(dir);
	return stop;
}

static int is_userfaultfd(int fd, void *arg)
{
	char path[64], target[64];

	(void)arg;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t len = readlink(path, target, sizeof(target) - 1);
	if (len <= 0)
		return 0;
	target[len] = 0;
	return strstr(target, "userfaultfd") != NULL;
}

int procinfo_has_userfaultfd(void)
{
	return procinfo_each_fd(is_userfaultfd, NULL) == 1;
}

uint32_t procinfo_cmdline(char *out, size_t size)
{
	ssize_t n = read_small_file("/proc/self/cmdline", out, size);
	return n > 0 ? (uint32_t)n : 0;
}

uint64_t procinfo_start_ticks_of(int pid)
{
	char path[64], buf[1024];
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	/* comm may contain spaces and parentheses: fields restart after the
	 * last ')'.  Field 3 follows it; we want field 22. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p + 1, ' ');
	}
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

uint64_t procinfo_start_ticks(void)
{
	return procinfo_start_ticks_of(getpid());
}
