/*
 * real — dlsym(RTLD_NEXT) resolution of the interposed libc functions.
 */
#include "real.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct real_fns real;

#define RESOLVE(name) \
	do { if (!real.name) *(void **)&real.name = dlsym(RTLD_NEXT, #name); } while (0)

void real_resolve(void)
{
	RESOLVE(socket);
	RESOLVE(socketpair);
	RESOLVE(bind);
	RESOLVE(connect);
	RESOLVE(listen);
	RESOLVE(accept);
	RESOLVE(accept4);
	RESOLVE(close);
	RESOLVE(close_range);
	RESOLVE(closefrom);
	RESOLVE(dup);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(fcntl);
	RESOLVE(fcntl64);
	RESOLVE(fork);
	RESOLVE(_exit);
	RESOLVE(quick_exit);
	RESOLVE(execve);
	RESOLVE(execv);
	RESOLVE(execvp);
	RESOLVE(execvpe);
	RESOLVE(fexecve);
	RESOLVE(pipe);
	RESOLVE(pipe2);
	RESOLVE(dlopen);
	RESOLVE(dlclose);
	RESOLVE(munmap);
	RESOLVE(dl_iterate_phdr);
	RESOLVE(longjmp);
	RESOLVE(_longjmp);
	RESOLVE(siglongjmp);
	RESOLVE(__longjmp_chk);
}

int real_open(const char *path, int flags, int mode)
{
	/* open() is not interposed; the raw call keeps it that way even if a
	 * later version interposes it. */
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int real_close(int fd)
{
	if (!real.close)
		real_resolve();
	return real.close(fd);
}
