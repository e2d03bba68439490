/*
 * forkwalk — the walks a fork must wait for: the dynamic linker's module
 * list (dl_iterate_phdr) and libunwind's stack walks.
 *
 * dl_iterate_phdr holds the dynamic linker's dl_load_write_lock while it
 * walks the loaded modules, and glibc 2.36 does not reset that lock in a
 * forked child: a child forked while another thread was inside it hangs
 * at its own first dl_iterate_phdr, dlopen or C++ throw.  libunwind holds
 * its own global cache lock while it walks a stack, and nothing resets
 * that one either (a review forked 10,000 times from threads that walk:
 * 1 to 3 children hung at their first walk).  The shim walks far more than
 * a program does (libunwind calls dl_iterate_phdr for every call site it
 * has not seen, the rule scans after dlopen), so it must not widen that
 * window: fork waits, for two seconds at most, until no other thread is
 * inside a walk, and a thread that starts one while a fork is under way
 * waits (two seconds at most) until the fork is done, unless it is already
 * inside one (a nested walk).  A walk ended by thread cancellation is
 * counted out too.  tests/progs/rev_forkscan hung without this one run in
 * four.
 *
 * Each thread counts its own walks where a fork from a signal handler on
 * it can read them in one load: such a fork does not wait for the walk it
 * interrupted (forkwalk.c).
 */
#ifndef TALLY_FORKWALK_H
#define TALLY_FORKWALK_H

#include <stdint.h>

/* Threads whose walks are counted each on their own; a thread beyond them
 * counts in a shared count (forkwalk.c says what that loses). */
#define FORKWALK_SLOTS 256

/* Set in a forked child when the fork went ahead while another thread was
 * still walking (it waited two seconds): the child may hold a copy of the
 * loader's or libunwind's lock that nobody will release, so the shim takes
 * no stack and rescans no module there (the child usually execs soon). */
extern int loader_child_unsafe;

/* Around every walk: dl_iterate_phdr (hooks_loader.c) and each call into
 * libunwind.  forkwalk_cancelled is forkwalk_end as a cleanup handler. */
void forkwalk_begin(void);
void forkwalk_end(void);
void forkwalk_cancelled(void *unused);

/* For the shim's pthread_atfork handlers, called last in prepare (after
 * the locks of the shim's own module walks are taken) and first in the
 * parent and the child. */
void forkwalk_prepare(void);
void forkwalk_parent(void);
void forkwalk_child(void);

/* Arms the return of a thread's slot when it ends; once, at start (walks
 * before it are counted in the shared count).  0 or -errno. */
int forkwalk_init(void);

/* For tests: the slots threads hold, and a reset of everything to the
 * start (the calling thread's own counts too) with fork's wait set to
 * wait_ns (0: the two seconds). */
unsigned forkwalk_slots_taken(void);
void forkwalk_reset(int64_t wait_ns);

#endif
