/*
 * refhooks — interception of the program's reference functions, named by
 * rules at run time.
 *
 * For each rule function found in a loaded module there is one struct
 * ref_hook and a 24-byte stub that loads it into r11 and jumps to
 * tally_ref_trampoline (hooks_tramp.S), which calls ref_hook_pre, the real
 * function, then ref_hook_post.  Calls reach the stub
 *   - through the function's entry, patched to jump there (TALLY_HOOK=entry,
 *     the default: every call is seen, also a library's calls to its own
 *     function), or
 *   - through GOT entries (JUMP_SLOT, GLOB_DAT) of every module that were
 *     pointing at the function (TALLY_HOOK=got, and for functions whose
 *     entry cannot be patched).
 * refhooks_scan() applies the rules to modules loaded since the last scan;
 * it runs at start-up and after each dlopen.
 */
#ifndef TALLY_REFHOOKS_H
#define TALLY_REFHOOKS_H

#include <stdint.h>

#include "logfile.h"

struct ref_hook {
	void *target;          /* what the trampoline calls: the function, or
	                        * the entry hook's relocated original.  First:
	                        * hooks_tramp.S reads it at offset 0. */
	void *function;        /* the function's address */
	int (*is_floating)(void *);  /* SINK: the floating check, or NULL */
	uint16_t rule;         /* index into the log's rule table */
	uint8_t role, arg;
	uint16_t type;
	int32_t refs;          /* NEW: references the object starts with */
	int entry;             /* reached through the patched entry */
	uint32_t stack_words;  /* words of stack arguments passed on:
	                        * REF_STACK_WORDS, REF_VARARGS_WORDS for a
	                        * varargs rule (hooks_tramp.S) */
};

#define REF_STACK_WORDS 32u      /* hooks_tramp.S: TRAMP_STACK_ARGS */
#define REF_VARARGS_WORDS 256u   /* 2 KiB below the caller's frame: 127
                                  * name/value pairs past the registers */

/* Reads the rules (TALLY_RULES, TALLY_RULES_FILE) into the log's tables,
 * warning once per bad rule on stderr.  Returns the number of rules. */
unsigned refhooks_load_rules(struct tally_log *log);

/* Applies the rules to every module not hooked yet.  Safe to call again:
 * a GOT entry already pointing at a stub, or a patched entry, is left. */
void refhooks_scan(struct tally_log *log);

/* One line per rule on stderr for rules whose function exists nowhere in
 * the process (called once, at the end of start-up). */
void refhooks_warn_missing(const struct tally_log *log);

/* The hooked calls under way on this thread, innermost last (hooks_ref.c,
 * "Nested calls" in docs/DESIGN.md).  Not static: the trampoline's fast
 * post (hooks_tramp.S) pops the usual entry itself, and tests look. */
#define ACTIVE_MAX 32

struct active_call {
	uintptr_t sp;          /* the caller's stack arguments: identifies the frame */
	uint64_t addr;         /* the object, 0 for a creation */
	uint64_t call_seq;     /* events_claimed when the call began; once a
	                        * decrement's booking released its object, that
	                        * object's serial (books_release_returned) */
	uint8_t skip;          /* not booked: nested in a call for the same object */
	uint8_t role;          /* the hook's */
	uint8_t released;      /* its booking released the object (books.h) */
	uint8_t creating;      /* NEW: counted in books_creation_begins, as */
#define CREATING 1             /*   a creation, or */
#define CREATING_SHARED 2      /*   one born with references for others */
	union {
		uint32_t inner_refs;   /* DEC: references taken by calls nested in it */
		uint32_t type;         /* NEW: the type of the creation under way */
	};
};

extern __attribute__((tls_model("initial-exec"))) __thread struct active_call
	ref_active[ACTIVE_MAX];
extern __attribute__((tls_model("initial-exec"))) __thread int ref_nactive;

/* The recording halves, called from hooks_tramp.S. */
/* Returns how many words of stack arguments (at most 32) can be read and
 * copied for the real function. */
unsigned ref_hook_pre(struct ref_hook *hook, const uint64_t *regs, const uint64_t *stack_args);
void ref_hook_post(struct ref_hook *hook, uint64_t ret, const uint64_t *stack_args);

/* In a fork child: the dlopen wrapper's search buffers are free. */
void refhooks_dlopen_fork_child(void);

/* A longjmp to the frame whose stack pointer is `target` (0: unknown) is
 * about to abandon every hooked call made below it on this thread; they
 * are forgotten.  No syscall unless the jump leaves the alternate signal
 * stack; errno is kept. */
void ref_calls_longjmp(uintptr_t target);

#endif
