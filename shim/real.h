/*
 * real — the functions the shim interposes, as the next object in the
 * lookup order (libc) defines them.  The shim's own code calls these, never
 * the interposed names, so it can never record or recurse into itself.
 */
#ifndef TALLY_REAL_H
#define TALLY_REAL_H

#include <link.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <sys/types.h>

struct real_fns {
	int (*socket)(int, int, int);
	int (*socketpair)(int, int, int, int[2]);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*close)(int);
	int (*close_range)(unsigned, unsigned, int);
	void (*closefrom)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	pid_t (*fork)(void);
	void (*_exit)(int) __attribute__((noreturn));
	void (*quick_exit)(int) __attribute__((noreturn));
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execv)(const char *, char *const[]);
	int (*execvp)(const char *, char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	int (*pipe)(int[2]);
	int (*pipe2)(int[2], int);
	void *(*dlopen)(const char *, int);
	int (*dlclose)(void *);
	int (*munmap)(void *, size_t);
	int (*dl_iterate_phdr)(int (*)(struct dl_phdr_info *, size_t, void *), void *);
	void (*longjmp)(struct __jmp_buf_tag *, int) __attribute__((noreturn));
	void (*_longjmp)(struct __jmp_buf_tag *, int) __attribute__((noreturn));
	void (*siglongjmp)(struct __jmp_buf_tag *, int) __attribute__((noreturn));
	void (*__longjmp_chk)(struct __jmp_buf_tag *, int) __attribute__((noreturn));
};

/* Resolved by real_resolve(); a NULL entry means libc lacks the function
 * (the wrapper then fails with ENOSYS, as a missing libc symbol would). */
extern struct real_fns real;

/* Looks every function up with dlsym(RTLD_NEXT).  Idempotent; called from
 * the constructor and, lazily, from any wrapper that runs before it. */
void real_resolve(void);

/* Convenience for the shim's own file handling. */
int real_open(const char *path, int flags, int mode);
int real_close(int fd);

#endif
