/*
 * hooks_loader — dl_iterate_phdr, so that no thread is inside it when
 * another forks.
 *
 * dl_iterate_phdr holds the dynamic linker's dl_load_write_lock while it
 * walks the loaded modules, and glibc 2.36 does not reset that lock in a
 * forked child: a child forked while another thread was inside it hangs
 * at its own first dl_iterate_phdr, dlopen or C++ throw.  The shim walks
 * modules far more than a program does (libunwind calls dl_iterate_phdr
 * for every call site it has not seen, the rule scans after dlopen), so it
 * must not widen that window: fork waits, for two seconds at most, until
 * no other thread is inside dl_iterate_phdr, and a thread that starts one
 * while a fork is under way waits (two seconds at most) until the fork is
 * done, unless it is already inside one (a nested walk).  A walk ended by
 * thread cancellation is counted out too.  tests/progs/rev_forkscan hung
 * without this one run in four.
 */
#ifndef TALLY_HOOKS_LOADER_H
#define TALLY_HOOKS_LOADER_H

/* Set in a forked child when the fork went ahead while another thread was
 * still walking the modules (it waited two seconds): the child may hold a
 * copy of the loader's lock that nobody will release, so the shim takes
 * no stack and rescans no module there (the child usually execs soon). */
extern int loader_child_unsafe;

/* For the shim's pthread_atfork handlers, called last in prepare (after
 * the locks of the shim's own module walks are taken) and first in the
 * parent and the child. */
void loader_fork_prepare(void);
void loader_fork_parent(void);
void loader_fork_child(void);

#endif
