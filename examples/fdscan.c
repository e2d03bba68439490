/*
 * fdscan.c — walks /proc/self/fd and counts the entries that are sockets.
 *
 * fstatat() on the entry follows the magic link to the open file itself, so
 * S_ISSOCK needs no parsing of "socket:[inode]" link texts.  The directory's
 * own fd is a directory, so it never counts.
 */
#include "fdscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

int fdscan_count_sockets(void)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int count = 0, err;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -errno;
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de)
			break;
		if (de->d_name[0] == '.')
			continue;
		/* ENOENT: the fd was closed meanwhile (the directory's own,
		 * or another thread's); it is not open, so not counted. */
		if (fstatat(dirfd(dir), de->d_name, &st, 0) < 0)
			continue;
		if (S_ISSOCK(st.st_mode))
			count++;
	}
	err = errno;
	closedir(dir);
	return err ? -err : count;
}
