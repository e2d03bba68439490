/*
 * entryhook — redirects every call of a function, including the calls a
 * library makes to its own functions with no relocation (MEASURED.md,
 * hazard 3: libgobject and libgstreamer call their own ref and unref
 * functions directly, so no PLT or GOT entry sees those calls).
 *
 * The first bytes of the function become `jmp rel32` to a stub within
 * ±2 GiB that jumps (absolute, through memory) to the destination.  The
 * instructions the jmp overwrote are decoded, relocated into a trampoline
 * next to the stub and followed by a jump back: the trampoline is the
 * "original".  x86-64 only.  The decoder is Zydis 4 (Debian libzydis4.0),
 * dlopen'ed RTLD_LOCAL like libunwind: libtally.so has no DT_NEEDED on it,
 * and without it installed entry hooks are just unavailable.
 *
 * Install runs at start-up and after dlopen, never on the recording path:
 * it takes a mutex, calls mmap/mprotect and snprintf.
 */
#ifndef TALLY_ENTRYHOOK_H
#define TALLY_ENTRYHOOK_H

#include <stddef.h>

/*
 * Redirects every call of `fn` to `dest`.  `size` is fn's size from the
 * symbol table (0 if unknown).
 *
 * On success returns 0 and sets *original to a callable pointer that runs
 * the original function: relocated copies of the overwritten instructions,
 * then a jump back into fn.  *original is stored (release) before the jmp
 * goes in, so pass the very variable dest reads it from: a call that
 * arrives the moment fn is patched already finds it there.  `why` then
 * says what was patched ("patched 6 bytes (3 instructions), atomic
 * write").  On failure nothing was changed (*original included), `why`
 * says why ("no decoder: ...", "a branch at +0x2c jumps to +0x3, into the
 * patched bytes", ...) and -1 is returned.  `why` may be NULL.
 *
 * `dest` is entered with exactly the state the caller set up: argument
 * registers, stack arguments, rax/al (the vector count of a varargs call),
 * r10, r11, flags and the return address.  Neither the stub nor the
 * trampoline touches a register, the flags or the stack (beyond what the
 * relocated instructions themselves do), so dest may tail-jump to
 * *original with that state, or call it with a state of its own.
 *
 * Refused (-1): other architectures; no decoder; fn shorter than 5 bytes
 * (by `size`); an instruction in the first 5 bytes that cannot be decoded
 * or relocated (loop/jrcxz/xbegin, a RIP-relative operand whose target
 * would be out of ±2 GiB of the trampoline); a direct branch anywhere in
 * fn (decoded linearly up to `size`) that lands inside the patched bytes,
 * or a jmp/jcc back to fn itself (a loop whose head is the first
 * instruction would otherwise pass through dest on every turn; a `call fn`
 * is a real call and is allowed); a ret/jmp within the first 5 bytes
 * unless the bytes after it up to 5 are int3/nop padding inside `size`;
 * no page for the stub within reach; mprotect refused.
 *
 * `size` must describe the code at fn: for an STT_GNU_IFUNC symbol the
 * symbol table's size is the resolver's, not the implementation's; pass 0.
 *
 * Limits:
 * - With size 0 only the patched instructions themselves are checked: a
 *   branch from further in into them cannot be seen.  Code outside the
 *   symbol's bytes (GCC's separate foo.cold parts, other functions) and
 *   indirect branches (switch tables, computed gotos) are never checked.
 *   Measured on Debian 12: of the exported functions of libglib, libgobject
 *   and libgstreamer, 3990 can be hooked; 6 are refused for a loop into
 *   their first bytes (g_atomic_*_and/or/xor), 32 for being under 5 bytes.
 * - A call among the relocated instructions returns into the trampoline,
 *   which has no unwind info: a stack captured below that call ends there.
 *   The same holds for a signal that arrives while the trampoline runs.
 * - The jmp is written with one atomic 8-byte store when its 5 bytes lie
 *   within one aligned 8-byte word (fn % 8 <= 3: every 16-aligned entry),
 *   so a thread entering fn sees the old or the new instruction.  Other
 *   entries are written plainly.  Either way a thread preempted *between*
 *   two of the overwritten instructions (inside the first 5 bytes) would
 *   resume in the middle of the jmp: install hooks before the module's code
 *   runs on other threads, or accept that tiny window.
 * - The text page is made RWX for the write, then PROT_READ|PROT_EXEC,
 *   which is what text pages are (a writable+executable JIT page would lose
 *   its write permission).
 * - An ENDBR64 at the entry is relocated into the trampoline, so *original
 *   is a valid indirect-branch target; fn's entry itself no longer starts
 *   with ENDBR64 (Linux enforces no user-space IBT; Debian 12's GLib and
 *   GStreamer have no ENDBR64 anyway).
 * - Hooks are never removed: stubs and trampolines stay mapped, also when
 *   the hooked module is dlclose'd (its slots are not reused).  Installing
 *   twice on one function chains (the second hook runs, then the first).
 *   At most 512 stub pages of 64 hooks each.
 * - Installs are serialised by a mutex (held across fork); the functions
 *   being patched may be called concurrently only under the atomicity rule
 *   above.
 */
int entryhook_install(void *fn, size_t size, void *dest, void **original, char *why,
		      size_t whysz);

/* For the caller's fork handlers: take the install lock before fork,
 * release it in the parent, reinitialise it in the child, so a child never
 * inherits it held by a thread that does not exist there.  The caller
 * registers them in its own lock order. */
void entryhook_fork_prepare(void);
void entryhook_fork_parent(void);
void entryhook_fork_child(void);

#endif
