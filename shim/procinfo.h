/*
 * procinfo — facts about this process read from /proc at start-up:
 * executable path, command line, kernel start time.  Used only in the
 * constructor and after fork, never on the recording path.
 */
#ifndef TALLY_PROCINFO_H
#define TALLY_PROCINFO_H

#include <stddef.h>
#include <stdint.h>

/* /proc/self/exe into out (NUL-terminated, "" when unreadable). */
void procinfo_exe(char *out, size_t size);

/* The absolute path of the file mapped at `addr` (from /proc/self/maps)
 * into out; 0, or -1 when none is (out then ""). */
int procinfo_mapped_path(uintptr_t addr, char *out, size_t size);

/* One line of /proc/self/maps. */
struct procinfo_mapping {
	uintptr_t lo, hi;
	char perms[5];        /* "rw-p" */
	const char *name;     /* what follows the inode: a path, "[heap]", or "" */
	size_t name_len;
	const char *vmflags;  /* smaps' VmFlags (" rd wr mr ... um"), or "" */
	size_t vmflags_len;
};

/* Calls fn for each mapping of this process, lowest first, until it
 * returns non-zero (which is returned); -1 when the maps cannot be read. */
int procinfo_each_mapping(int (*fn)(const struct procinfo_mapping *m, void *arg), void *arg);

/* The same from /proc/self/smaps, with each mapping's VmFlags (slower: the
 * kernel counts each mapping's pages). */
int procinfo_each_mapping_flags(int (*fn)(const struct procinfo_mapping *m, void *arg), void *arg);

/* Calls fn for each open fd of this process (from /proc/self/fd, without
 * allocating) until it returns non-zero (which is returned); -1 when the
 * directory cannot be read. */
int procinfo_each_fd(int (*fn)(int fd, void *arg), void *arg);

/* True when one of this process's fds is a userfaultfd (its regions look
 * like any anonymous mapping in /proc/self/maps; smaps' VmFlags tell). */
int procinfo_has_userfaultfd(void);

/* /proc/self/cmdline into out (NUL-separated); returns bytes stored. */
uint32_t procinfo_cmdline(char *out, size_t size);

/* Field 22 of /proc/self/stat (start time in clock ticks since boot), 0 if
 * unknown.  With the pid it identifies a process across pid reuse. */
uint64_t procinfo_start_ticks(void);

/* The same for any pid; 0 when the process does not exist. */
uint64_t procinfo_start_ticks_of(int pid);

#endif
