/*
 * tally log format — the one contract between the shim (writer) and the
 * analyzer (reader).  A log is a single file, mapped MAP_SHARED by the
 * process it describes and written in place, so whatever was stored before a
 * crash or SIGKILL is still there and can be read while the process runs.
 *
 * Layout (every section offset is a multiple of 4096, all integers are
 * little-endian, x86-64/aarch64 natural alignment):
 *
 *   header   struct tally_header, one page
 *   modules  struct tally_module  [max_modules]   loaded ELF objects
 *   stacks   struct tally_stack   [max_stacks]    deduplicated call stacks
 *   index    uint32_t             [stack_buckets] open-addressing hash of stacks
 *   frames   uint64_t             [max_frames]    frame pool the stacks point into
 *   state    struct tally_fd_slot [max_fds]       currently open socket fds
 *   rules    struct tally_rule    [max_rules]     reference functions (v2)
 *   types    struct tally_type    [max_types]     object types and their
 *                                                 blind-spot counters (v2)
 *   objkeys  uint64_t             [max_objects]   address of each object slot
 *   objects  struct tally_object  [max_objects]   per-object books (v2)
 *   spill    struct tally_spill   [max_spill]     cells of objects whose own
 *                                                 ten are taken (v4)
 *   tallies  struct tally_tally   [max_tallies]   failed calls, anomalies and
 *                                                 violations counted by kind,
 *                                                 errno and stack (v3)
 *   events   struct tally_event   [max_events]    event records, in claim order
 *
 * Readers must check magic, version, header_size and that every section lies
 * inside the file before trusting anything else.  docs/FORMAT.md is the prose
 * version of this file; change both together and bump TALLY_FORMAT_VERSION on
 * any incompatible change.
 */
#ifndef TALLY_FORMAT_H
#define TALLY_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define TALLY_MAGIC "TALLYLOG"          /* 8 bytes, no terminator stored */
#define TALLY_FORMAT_VERSION 6u
#define TALLY_PAGE 4096u

#define TALLY_EXE_MAX 256
#define TALLY_CMDLINE_MAX 1024
#define TALLY_PATH_MAX 256
#define TALLY_BUILD_ID_MAX 32
#define TALLY_RUN_ID_MAX 40
#define TALLY_DEPTH_MAX 64

/* ---- header ------------------------------------------------------------ */

/* Why events were not recorded.  Indexes into tally_header.dropped[]. */
enum tally_drop_cause {
	TALLY_DROP_FULL = 0,     /* event area full */
	TALLY_DROP_NESTED,       /* event raised inside the shim (signal handler
	                          * during a capture): recorded without stack */
	TALLY_DROP_STACK_FULL,   /* stack table or frame pool full: recorded
	                          * with stack id TALLY_STACK_LOST */
	TALLY_DROP_STATE_FULL,   /* socket fd >= max_fds: not in the state table */
	TALLY_DROP_MODULE_FULL,  /* module table full */
	TALLY_DROP_CAUSES
};

/* How the process left the log.  tally_header.exit_state. */
enum tally_exit_state {
	TALLY_RUNNING = 0,   /* no exit seen: running, or killed/crashed */
	TALLY_EXITED = 1,    /* reached the shim's destructor (normal exit) */
	TALLY_EXECED = 2,    /* called exec*(); the new image has its own log */
};

struct tally_header {
	char magic[8];               /* TALLY_MAGIC */
	uint32_t version;            /* TALLY_FORMAT_VERSION */
	uint32_t header_size;        /* sizeof(struct tally_header) */
	uint64_t file_size;          /* size the writer gave the file */

	/* who */
	int32_t pid;
	int32_t ppid;
	uint64_t proc_start_ticks;   /* /proc/PID/stat field 22: tells a live
	                              * process from a reused pid */
	int64_t start_wall_ns;       /* CLOCK_REALTIME at log creation */
	int64_t start_mono_ns;       /* CLOCK_MONOTONIC at the same instant */
	char exe[TALLY_EXE_MAX];     /* /proc/self/exe, NUL-terminated */
	uint32_t cmdline_len;        /* bytes used in cmdline */
	uint32_t pad0;
	char cmdline[TALLY_CMDLINE_MAX]; /* argv, NUL-separated (truncated) */
	char run_id[TALLY_RUN_ID_MAX];   /* TALLY_RUN_ID: ties the logs of one
	                                  * `tally run` together */
	char parent_log[TALLY_PATH_MAX]; /* log of the process we forked from */

	/* settings in force */
	uint32_t depth;              /* max frames per stack */
	uint32_t max_modules;
	uint32_t max_stacks;
	uint32_t stack_buckets;      /* power of two */
	uint32_t max_frames;
	uint32_t max_fds;
	uint64_t max_events;

	/* section offsets in bytes from the start of the file */
	uint64_t modules_off;
	uint64_t stacks_off;
	uint64_t index_off;
	uint64_t frames_off;
	uint64_t state_off;
	uint64_t events_off;

	/* live counters, updated atomically by the writer */
	uint64_t events_claimed;     /* next event sequence number; may exceed
	                              * max_events: the excess was dropped */
	uint32_t stacks_used;        /* stack entries claimed */
	uint32_t modules_used;       /* module entries claimed */
	uint64_t frames_used;        /* frame pool cursor */
	uint64_t dropped[TALLY_DROP_CAUSES];
	uint32_t module_generation;  /* bumped on every dlopen/dlclose change */
	uint32_t exit_state;         /* enum tally_exit_state */
	int64_t exit_mono_ns;        /* when exit_state was set */
	int32_t exit_status;         /* EXITED: exit's or _exit's status, when */
	uint32_t exit_flags;         /* TALLY_EXITF_STATUS says it is known */
	uint64_t sockets_created;    /* socket fds created, exact (atomic) */
	uint64_t sockets_closed;     /* of those, closed, exact (atomic) */
	uint64_t closes_not_open;    /* close() failing with EBADF, all of them */
	uint64_t sockets_inherited;  /* of sockets_created, open at fork */

	/* reference-count books (version 2) */
	uint64_t rules_off;
	uint64_t types_off;
	uint64_t objkeys_off;
	uint64_t objects_off;
	uint32_t max_rules;
	uint32_t rules_used;         /* rule entries written (at start-up) */
	uint32_t max_types;
	uint32_t types_used;
	uint32_t max_objects;        /* power of two */
	uint32_t enforce;            /* enum tally_enforce */
	uint64_t objects_live;       /* object slots in state LIVE (atomic) */
	uint64_t objects_untracked;  /* objects not tracked: no free slot */
	uint64_t violations;         /* enforcement violations seen (atomic) */
	uint32_t object_lock;        /* tid holding the slot-claim lock, or 0 */
	uint32_t pad1;

	/* tallies (version 3) */
	uint64_t tallies_off;
	uint32_t max_tallies;        /* power of two */
	uint32_t pad2;
	uint64_t tallies_lost;       /* occurrences not tallied: no free entry
	                              * near their key (atomic) */

	/* spilled cells (version 4) */
	uint64_t spill_off;
	uint32_t max_spill;          /* power of two */
	uint32_t pad3;

	/* the exit-time walk from the globals (shim/reach.h); zero when it
	 * did not run (no normal exit, no live object, an older shim) */
	uint64_t reach_blocks;       /* heap blocks it read */
	uint32_t reach_flags;        /* enum tally_reach_flags */
	uint32_t pad4;
	uint64_t reserved[10];       /* zero */
};

enum tally_reach_flags {
	TALLY_REACHF_RAN = 1u << 0,      /* the walk ran */
	TALLY_REACHF_CUT = 1u << 1,      /* it stopped at its limits: objects
	                                  * reachable beyond them count as
	                                  * leaked */
	TALLY_REACHF_ROOTS_ONLY = 1u << 2, /* no work space or no fault guard:
	                                    * only objects a global points at
	                                    * directly were marked */
	TALLY_REACHF_OFF = 1u << 3,      /* roots only on purpose:
	                                  * TALLY_REACH_MAX=0 */
};

/* ---- modules ----------------------------------------------------------- */

/* One loaded ELF object.  Entries are appended, never reused: a module
 * loaded twice gets two entries.  An address belongs to the entry whose
 * [lo, hi) contains it and whose generation range contains the stack's. */
struct tally_module {
	uint32_t committed;          /* 1 once every other field is written */
	uint32_t gen_loaded;         /* module_generation when it appeared */
	uint32_t gen_unloaded;       /* generation when it disappeared, or 0 */
	uint32_t build_id_len;
	uint64_t bias;               /* load bias (dlpi_addr / l_addr) */
	uint64_t lo, hi;             /* lowest/highest address of PT_LOAD */
	uint8_t build_id[TALLY_BUILD_ID_MAX];
	char path[TALLY_PATH_MAX];   /* absolute path; "" for none */
};

/* ---- stacks ------------------------------------------------------------ */

#define TALLY_STACK_NONE 0u          /* no stack taken (cheap events) */
#define TALLY_STACK_LOST 0xffffffffu /* stack table full */
#define TALLY_STACK_NESTED 0xfffffffeu /* raised inside the shim */
#define TALLY_STACK_INHERITED 0xfffffffdu /* open when the program started */

/* A distinct call stack.  Stack ids are index + 1, so 0 means "none".
 * frames[frames_index .. frames_index + depth) holds return addresses,
 * innermost first, with the shim's own frames already removed. */
struct tally_stack {
	uint32_t hash;               /* hash of generation and frames */
	uint16_t depth;
	uint16_t committed;          /* 1 once frames and hash are written */
	uint32_t generation;         /* module_generation at capture */
	uint32_t frames_index;
	uint64_t created;            /* sockets created here (atomic) */
	uint64_t closed;             /* of those, closed (atomic) */
	uint64_t obj_created;        /* objects whose books opened here (atomic) */
	uint64_t obj_closed;         /* of those, closed: freed or back to 0 */
};

/* ---- current state: open socket fds ------------------------------------ */

enum tally_fd_flags {
	TALLY_FD_DUP = 1u << 0,       /* made by dup/dup2/dup3/F_DUPFD */
	TALLY_FD_ACCEPTED = 1u << 1,  /* made by accept/accept4 */
	TALLY_FD_INHERITED = 1u << 2, /* open before fork, copied to the child */
	TALLY_FD_PAIR = 1u << 3,      /* one end of a socketpair */
	TALLY_FD_BOUND = 1u << 4,     /* local address known */
	TALLY_FD_CONNECTED = 1u << 5, /* peer address known */
	TALLY_FD_LISTENING = 1u << 6,
};

/* Address in network byte order for the IP part, host order for port. */
struct tally_addr {
	uint16_t family;             /* AF_INET, AF_INET6, AF_UNIX, 0 */
	uint16_t port;
	uint8_t addr[16];            /* v4 in the first 4 bytes; for AF_UNIX
	                              * the first 16 bytes of the path */
};

/* Serials of sockets a forked child inherited carry this bit, so they never
 * collide with the serials of the child's own events. */
#define TALLY_SERIAL_INHERITED (1ull << 63)

/* Set on a slot's serial while a close() of it is under way: the socket is
 * still open (a close cancelled before its syscall leaves it so). */
#define TALLY_SERIAL_CLOSING (1ull << 62)

/* One open socket fd.  Slot i describes fd i.  serial is written last on
 * open (release) and cleared first on close, so a reader that sees the same
 * non-zero serial before and after copying a slot has a consistent copy. */
struct tally_fd_slot {
	uint64_t serial;             /* sequence of the creating event + 1 */
	int64_t time_ns;             /* creation, CLOCK_MONOTONIC */
	uint32_t stack_id;           /* creating stack */
	uint32_t tid;
	int32_t domain;
	int32_t type;                /* SOCK_* without SOCK_NONBLOCK/CLOEXEC */
	int32_t protocol;
	uint32_t flags;              /* enum tally_fd_flags */
	uint64_t origin_serial;      /* for dups: the serial of the source */
	struct tally_addr local;
	struct tally_addr peer;
	uint64_t closed_serial;      /* while serial is 0: the socket last closed
	                              * at this fd, until the number is used
	                              * again (tells a double close) */
	uint8_t pad[32];
};

/* ---- reference-count books (version 2) --------------------------------- */

/* What a rule's function does to the object it is given or returns. */
enum tally_role {
	TALLY_ROLE_NEW = 1,  /* returns a new object holding one reference */
	TALLY_ROLE_INC,      /* adds a reference to argument `arg` */
	TALLY_ROLE_DEC,      /* drops one reference of argument `arg` */
	TALLY_ROLE_FREE,     /* destroys argument `arg` whatever its count */
	TALLY_ROLE_SINK,     /* g_object_ref_sink: takes over the floating
	                      * reference if there is one, else adds one */
	TALLY_ROLE_TAKE,     /* g_object_take_ref: takes over a reference,
	                      * no change to the count */
	TALLY_ROLE_LIFETIME, /* not hooked: objects of the rule's type whose
	                      * creation stack passes through the function
	                      * live as long as the process (the analyzer
	                      * counts them kept at a normal exit) */
	TALLY_ROLE_MAX
};

enum tally_enforce {
	TALLY_ENFORCE_LOG = 0,   /* record violations (default) */
	TALLY_ENFORCE_ABORT = 1, /* record, then abort() when certain */
};

/* tally_header.exit_flags (0 in logs before: the status is not known). */
enum tally_exit_flags {
	TALLY_EXITF_STATUS = 1u << 0,   /* exit_status holds the exit status */
};

/* Whether the process exited with a known status other than 0: it stopped
 * on an error, and what it still held at its end is no leak of its. */
static inline int tally_exited_failing(const struct tally_header *h)
{
	return h->exit_state == TALLY_EXITED && (h->exit_flags & TALLY_EXITF_STATUS) &&
	       (h->exit_status & 0xff) != 0;
}

/* How a rule is applied, tally_rule.flags. */
enum tally_rule_flags {
	TALLY_RULEF_FOUND = 1u << 0,      /* the function exists in the process */
	TALLY_RULEF_ENTRY_FAILED = 1u << 1, /* its entry could not be patched */
	TALLY_RULEF_PRESET = 1u << 2,     /* came from a preset */
	TALLY_RULEF_GOT = 1u << 3,        /* "got": only calls through GOT
	                                   * entries (from other modules) */
	TALLY_RULEF_ANY_TYPE = 1u << 4,   /* lifetime rule of every type
	                                   * ("*: ..."); `type` is 0 */
	TALLY_RULEF_VARARGS = 1u << 5,    /* "varargs": the function may take
	                                   * more than 32 words of stack
	                                   * arguments (g_object_new): up to
	                                   * 256 are passed on */
};

/* One rule, written at start-up.  The analyzer and `tally run` read the
 * coverage counters to say how much of each rule was hooked. */
struct tally_rule {
	char function[64];           /* symbol name, NUL-terminated */
	char floating[48];           /* SINK: function telling whether the
	                              * object is floating, or "" */
	uint8_t role;                /* enum tally_role */
	uint8_t arg;                 /* argument index of the object; for a
	                              * new rule, the references it starts with */
	uint16_t type;               /* index into the type table */
	uint32_t flags;              /* enum tally_rule_flags */
	uint32_t got_sites;          /* GOT entries redirected (atomic) */
	uint32_t entries;            /* function entries patched */
	uint64_t calls;              /* calls seen (atomic) */
};

enum tally_type_flags {
	TALLY_TYPEF_RESURRECTS = 1u << 0, /* may be referenced again after its
	                                   * count reached 0 (GstMiniObject
	                                   * pools): not a violation */
	TALLY_TYPEF_GOT_ONLY = 1u << 1,   /* a rule of the type is hooked
	                                   * through GOT entries only: a
	                                   * library's own calls are not seen */
	TALLY_TYPEF_THREAD = 1u << 3,     /* its objects are threads (GThread):
	                                   * one starting reference is the
	                                   * running thread's own, dropped as it
	                                   * ends (the report's "still running
	                                   * at exit") */
	TALLY_TYPEF_UNSEEN_NEW = 1u << 2, /* objects may be made by functions
	                                   * no rule names (out-parameters,
	                                   * internal constructors): a reference
	                                   * at a released object's address may
	                                   * be a new object's, booked as one
	                                   * first seen; never complete */
};

/* An object type: the objects the rules with this type name handle.  The
 * counters say how far its books can be trusted. */
struct tally_type {
	char name[40];
	uint32_t flags;              /* enum tally_type_flags */
	uint32_t pad;
	uint64_t created;            /* objects opened by a NEW rule */
	uint64_t first_seen_inc;     /* objects first seen by an increment:
	                              * their creation was not seen */
	uint64_t freed;              /* closed: FREE rule, or count back to 0 */
	uint64_t balanced;           /* first-seen objects back to net 0 */
	uint64_t dec_unknown;        /* decrements of objects not in the books */
	uint64_t underflow;          /* decrements below zero */
	uint64_t after_release;      /* references to an object after its close */
	uint64_t untracked;          /* objects not tracked: no free slot */
	uint64_t unstacked;          /* references booked without their stack:
	                              * every cell of the object in use */
	uint64_t nested;             /* events lost inside the shim */
	/* "TYPE: kept_if(OFFSET, MASK[, GET_TYPE])" (v3): an object alive at a
	 * normal exit whose 32-bit word at OFFSET has a bit of MASK set is
	 * kept on purpose for the life of the process (GStreamer's
	 * MAY_BE_LEAKED), not leaked; with GET_TYPE only when it is a GObject
	 * of that GType.  kept_mask 0: no such attribute. */
	uint64_t kept;               /* objects found so at exit */
	uint32_t kept_offset;
	uint32_t kept_mask;
	char kept_gtype[48];         /* GET_TYPE function, or "" */
};

enum tally_object_state {
	TALLY_OBJ_EMPTY = 0,     /* never used, or first-seen and balanced */
	TALLY_OBJ_LIVE = 1,      /* books open */
	TALLY_OBJ_RELEASED = 2,  /* freed or back to count 0: kept to tell a
	                          * reference after release; reusable */
	TALLY_OBJ_OPENING = 3,   /* being claimed (under the claim lock) */
};

enum tally_object_flags {
	TALLY_OBJF_CREATED = 1u << 0,  /* opened by a NEW rule: complete books */
	TALLY_OBJF_FLOATING = 1u << 1, /* its creation reference is floating */
	TALLY_OBJF_FREED = 1u << 2,    /* RELEASED by a FREE rule */
	TALLY_OBJF_INHERITED = 1u << 3, /* copied from the parent at fork */
	TALLY_OBJF_KEPT = 1u << 4,     /* alive at a normal exit, and its type's
	                                * kept_if flag said: on purpose */
	TALLY_OBJF_GLOBAL = 1u << 5,   /* alive at a normal exit, its address in
	                                * a global variable (a writable segment
	                                * of a module): still reachable */
	TALLY_OBJF_SPILLED = 1u << 7,  /* has cells in the spill table */
	TALLY_OBJF_RELEASING = 1u << 6, /* RELEASED by a decrement still under
	                                 * way: a reference taken meanwhile
	                                 * (GObject's dispose, g_weak_ref_get)
	                                 * brings the books back */
};

#define TALLY_OBJ_CELLS 10

/* A cell: the net references one call stack holds on one object.  Low 32
 * bits: stack id (0 = free cell); high 32 bits: net count (int32). */
#define TALLY_CELL(stack, net) ((uint64_t)(uint32_t)(stack) | ((uint64_t)(uint32_t)(net) << 32))
#define TALLY_CELL_STACK(c) ((uint32_t)(c))
#define TALLY_CELL_NET(c) ((int32_t)(uint32_t)((c) >> 32))

/* The books of one object, 128 bytes.  Slot i belongs to objkeys[i], the
 * object's address.  An object's slot lies in the window of
 * TALLY_OBJ_WINDOW slots from tally_object_hash(addr) (wrapping). */
struct tally_object {
	/* First line: what an increment or a decrement reads and writes
	 * (state, flags, type, net and the first seven cells), so that the
	 * usual booked call touches one line of its object (version 5). */
	int32_t net;                 /* references held per the books (atomic) */
	uint16_t type;               /* index into the type table */
	uint8_t state;               /* enum tally_object_state */
	uint8_t flags;               /* enum tally_object_flags */
	uint64_t cells[TALLY_OBJ_CELLS];
	/* Second line: written when the books open and close. */
	uint64_t serial;             /* seq of the opening event + 1 */
	int64_t time_ns;             /* opened (to the tick if first seen by an inc) */
	uint32_t create_stack;       /* stack of the NEW (or first increment) */
	uint32_t tid;                /* thread that opened it */
	uint32_t close_stack;        /* RELEASED: where */
	int32_t unstacked;           /* net of references that found no cell */
	int64_t close_ns;            /* RELEASED: when; LIVE and INHERITED:
	                              * its net when the child was forked */
};

#define TALLY_OBJ_WINDOW 16u

/* A cell of an object whose ten own cells are taken (version 4): the net
 * references one more stack holds on it.  Valid while objects[slot] is
 * live with this serial; otherwise (0 = empty) free for reuse.  Entries
 * are found from tally_spill_hash(serial, stack) within
 * TALLY_SPILL_WINDOW entries (wrapping), and written under object_lock. */
struct tally_spill {
	uint64_t serial;             /* the object's serial; 0: empty */
	uint32_t slot;               /* its object slot */
	uint32_t pad;
	uint64_t cell;               /* TALLY_CELL(stack, net) */
};

#define TALLY_SPILL_WINDOW 32u

static inline uint32_t tally_spill_hash(uint64_t serial, uint32_t stack, uint32_t max_spill)
{
	uint64_t h = (serial ^ ((uint64_t)stack << 32 | stack)) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32) & (max_spill - 1);
}

static inline uint32_t tally_object_hash(uint64_t addr, uint32_t max_objects)
{
	uint64_t h = (addr >> 4) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32) & (max_objects - 1);
}

/* ---- tallies (version 3) ------------------------------------------------ */

/* Failed calls, closes of fds that were not open, sockets closed unseen and
 * enforcement violations, counted per (event kind, detail, stack) in a
 * fixed table: exact when the event area is full, so a log of weeks still
 * shows the bind that failed with EADDRINUSE last night.  detail is the
 * errno of a failed call, or for TALLY_EV_VIOLATION
 * TALLY_VIOL_DETAIL(violation, certain, type).
 *
 * An entry is claimed by a compare-and-swap of its key from 0 and never
 * freed; an entry lies within TALLY_TALLY_WINDOW entries of
 * tally_tally_hash(key) (wrapping). */
struct tally_tally {
	uint64_t key;                /* TALLY_TALLY_KEY(...); 0 = free */
	uint64_t count;              /* occurrences (atomic) */
	int64_t first_ns;            /* first occurrence, CLOCK_MONOTONIC */
	int64_t last_ns;             /* latest occurrence (approximate under
	                              * concurrent updates) */
};

#define TALLY_TALLY_WINDOW 32u
#define TALLY_TALLY_KEY(kind, detail, stack) \
	((1ull << 63) | ((uint64_t)((kind) & 0x7fff) << 48) | \
	 ((uint64_t)(uint16_t)(detail) << 32) | (uint32_t)(stack))
#define TALLY_TALLY_KIND(key) ((uint16_t)(((key) >> 48) & 0x7fff))
#define TALLY_TALLY_DETAIL(key) ((uint16_t)((key) >> 32))
#define TALLY_TALLY_STACK(key) ((uint32_t)(key))

/* A violation's detail: enum tally_violation in bits 0..7, bit 8 when
 * certain (TALLY_OBJD_CERTAIN), the object type + 1 in bits 9..15 (0: no
 * type, a double close). */
#define TALLY_VIOL_DETAIL(viol, certain, type) \
	((uint16_t)(((viol) & 0xff) | ((certain) ? 0x100 : 0) | ((((type) + 1) & 0x7f) << 9)))
#define TALLY_VIOL_KIND(detail) ((detail) & 0xff)
#define TALLY_VIOL_CERTAIN(detail) (((detail) >> 8) & 1)
#define TALLY_VIOL_TYPE(detail) ((int)(((detail) >> 9) & 0x7f) - 1)

static inline uint32_t tally_tally_hash(uint64_t key, uint32_t max_tallies)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32) & (max_tallies - 1);
}

/* ---- events ------------------------------------------------------------ */

enum tally_event_kind {
	TALLY_EV_SOCKET = 1,     /* fd=result, arg=domain, u.sock */
	TALLY_EV_SOCKETPAIR,     /* fd=sv[0], arg=sv[1], u.sock */
	TALLY_EV_BIND,           /* fd, u.net = address bound (kernel port) */
	TALLY_EV_CONNECT,        /* fd, u.net = peer */
	TALLY_EV_LISTEN,         /* fd, arg=backlog */
	TALLY_EV_ACCEPT,         /* fd=new fd, arg=listening fd, u.net=peer */
	TALLY_EV_CLOSE,          /* fd, u.close.serial = socket closed or 0 */
	TALLY_EV_CLOSE_RANGE,    /* fd=first, arg=last (or -1 = ~0U), flags */
	TALLY_EV_DUP,            /* fd=new, arg=old, u.close.serial = socket
	                          * implicitly closed at new, or 0 */
	TALLY_EV_FORK,           /* result = child pid */
	TALLY_EV_EXEC,           /* about to exec; result/err if it failed */
	TALLY_EV_REUSE,          /* fd came back from a non-socket call while
	                          * the state said socket: closed unseen */
	TALLY_EV_DLOPEN,         /* module table changed; arg = generation */
	TALLY_EV_OBJ,            /* a reference function was called: fd = -1,
	                          * arg = enum tally_role, u.obj */
	TALLY_EV_VIOLATION,      /* enforcement: arg = enum tally_violation,
	                          * u.obj (for double-close: fd) */
	TALLY_EV_KIND_MAX
};

/* TALLY_EV_VIOLATION: what was violated. */
enum tally_violation {
	TALLY_VIOL_UNDERFLOW = 1,    /* decrement of an object whose books hold
	                              * no reference */
	TALLY_VIOL_AFTER_RELEASE,    /* increment or decrement of an object
	                              * after it was freed or reached 0 */
	TALLY_VIOL_DOUBLE_CLOSE,     /* close of a socket fd already closed */
	TALLY_VIOL_MAX
};

/* TALLY_EV_OBJ / TALLY_EV_VIOLATION: how the books took the event. */
enum tally_obj_detail {
	TALLY_OBJD_BOOKED = 0,       /* booked on a live object */
	TALLY_OBJD_OPENED,           /* opened the object's books */
	TALLY_OBJD_CLOSED,           /* closed them (freed / back to 0) */
	TALLY_OBJD_UNKNOWN,          /* the object is not in the books */
	TALLY_OBJD_UNTRACKED,        /* no slot free: not booked */
	TALLY_OBJD_SUNK,             /* SINK of a floating reference */
	TALLY_OBJD_REVIVED,          /* a reference taken while the decrement
	                              * that released the object was under way */
	TALLY_OBJD_CERTAIN = 1u << 8,  /* VIOLATION: books complete, so it is
	                                * certain (TALLY_ENFORCE=abort aborts) */
};

enum tally_event_flags {
	TALLY_EVF_SOCKET_FD = 1u << 0, /* the fd concerned was a tracked socket */
	TALLY_EVF_CLOEXEC = 1u << 1,
	TALLY_EVF_IMPLICIT = 1u << 2,  /* close done by dup2/close_range/reuse */
	TALLY_EVF_RUN = 1u << 3,       /* TALLY_EV_OBJ: a run, see below */
};

/* A run (TALLY_EV_OBJ with TALLY_EVF_RUN, version 6): the usual booked
 * increments or decrements (detail TALLY_OBJD_BOOKED) of one rule, at one
 * stack, on one object, by one thread, one record for all of them: time_ns
 * is the first call's (the coarse tick), and three fields change after the
 * record is written, so its check word is computed with them as 0:
 *   result     the calls in the run so far (1 or more)
 *   err        microseconds from time_ns to the latest tick the run read
 *              (its calls after that are later still)
 *   u.obj.net  the object's net after the run's calls up to that tick
 * Runs of different threads, stacks or objects overlap in time: within a
 * run's span its calls are not ordered against other records. */
#define TALLY_RUN_OPEN_FIELDS(ev) \
	((ev)->kind == TALLY_EV_OBJ && ((ev)->flags & TALLY_EVF_RUN))

/* 64 bytes.  check is written last: 0 means the record was claimed but
 * never finished (the writer died, or is still writing it); otherwise it
 * equals tally_event_check() of the record, so a torn or overwritten
 * record is detected and skipped rather than misread. */
struct tally_event {
	uint32_t check;
	uint16_t kind;               /* enum tally_event_kind */
	uint16_t flags;              /* enum tally_event_flags */
	int64_t time_ns;             /* CLOCK_MONOTONIC; _COARSE for obj but new */
	uint32_t tid;
	uint32_t stack_id;
	int32_t fd;
	int32_t result;              /* return value of the call */
	int32_t err;                 /* errno when it failed, else 0 */
	int32_t arg;
	union {
		struct { int32_t type, protocol; } sock;
		struct tally_addr net;
		struct { uint64_t serial; } close;
		struct {
			uint64_t addr;      /* the object */
			uint16_t rule;      /* index into the rule table */
			uint16_t type;      /* index into the type table */
			int32_t net;        /* object's net after the event */
			uint32_t detail;    /* enum tally_obj_detail */
		} obj;
		uint8_t raw[20];
	} u;
};

_Static_assert(sizeof(struct tally_event) == 64, "event is 64 bytes");
_Static_assert(offsetof(struct tally_event, time_ns) == 8, "event layout");
_Static_assert(offsetof(struct tally_event, u) == 40, "event layout");
_Static_assert(sizeof(struct tally_fd_slot) == 128, "fd slot is 128 bytes");
_Static_assert(sizeof(struct tally_stack) == 48, "stack entry is 48 bytes");
_Static_assert(sizeof(struct tally_module) == 328, "module entry size");
_Static_assert(sizeof(struct tally_header) <= TALLY_PAGE, "header fits a page");
_Static_assert(sizeof(struct tally_object) == 128, "object slot is 128 bytes");
_Static_assert(sizeof(struct tally_type) == 192, "type entry size");
_Static_assert(sizeof(struct tally_rule) == 136, "rule entry size");
_Static_assert(sizeof(struct tally_tally) == 32, "tally entry is 32 bytes");
_Static_assert(sizeof(struct tally_spill) == 24, "spill entry is 24 bytes");

/* The event check word: a 32-bit mix of bytes 4..63 and the sequence
 * number, never 0.  Mixing in the sequence makes a stale record from an
 * earlier lap of a future ring fail the check. */
static inline uint32_t tally_event_check(const struct tally_event *ev, uint64_t seq)
{
	const uint8_t *p = (const uint8_t *)ev + 4;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ seq;
	/* A run's changing fields (result, err, u.obj.net) count as 0. */
	int run = TALLY_RUN_OPEN_FIELDS(ev);
	for (unsigned i = 0; i < 60; i += 4) {
		uint32_t w;
		__builtin_memcpy(&w, p + i, 4);
		if (run && (i == offsetof(struct tally_event, result) - 4 ||
		            i == offsetof(struct tally_event, err) - 4 ||
		            i == offsetof(struct tally_event, u.obj.net) - 4))
			w = 0;
		h = (h ^ w) * 0x100000001b3ull;
	}
	uint32_t c = (uint32_t)(h ^ (h >> 32));
	return c ? c : 1;
}

/* The hash of a stack: generation and frames; shared so that a reader can
 * verify an entry. */
static inline uint32_t tally_stack_hash(uint32_t generation, const uint64_t *frames,
                                        unsigned depth)
{
	uint64_t h = 0xcbf29ce484222325ull ^ generation;
	for (unsigned i = 0; i < depth; i++) {
		h ^= frames[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	uint32_t c = (uint32_t)(h ^ (h >> 32));
	return c ? c : 1;
}

/* Whether a log records nothing about sockets or references of its
 * process's own: no socket made, no socket call (failed or not), no close
 * of an fd that was not open, no event lost, no object books opened, no
 * violation, no failed call tallied.  Sockets found open at start
 * (inherited) do not count.  `types` holds hdr->types_used entries,
 * `tallies` hdr->max_tallies; events[0, nevents) are read, a
 * record whose check word is not valid is skipped.  Such a log of a forked
 * child may go (the shim at its exit, `tally run` at the end): thousands
 * of helpers must not fill /dev/shm. */
static inline int tally_log_records_nothing(const struct tally_header *h,
                                            const struct tally_type *types,
                                            const struct tally_tally *tallies,
                                            const struct tally_event *events, uint64_t nevents)
{
	if (h->sockets_created != h->sockets_inherited || h->closes_not_open || h->tallies_lost ||
	    h->events_claimed > h->max_events || h->objects_live || h->violations)
		return 0;
	for (uint32_t i = 0; i < h->types_used; i++)
		if (types[i].created || types[i].first_seen_inc || types[i].dec_unknown)
			return 0;
	for (uint32_t i = 0; i < h->max_tallies; i++)
		if (__atomic_load_n(&tallies[i].key, __ATOMIC_RELAXED))
			return 0;
	for (uint64_t seq = 0; seq < nevents; seq++) {
		struct tally_event ev;
		__builtin_memcpy(&ev, &events[seq], sizeof(ev));
		if (!ev.check || ev.check != tally_event_check(&ev, seq))
			continue;
		if (ev.kind == TALLY_EV_SOCKET && ev.flags & TALLY_EVF_IMPLICIT)
			continue;   /* found open at start */
		if (ev.flags & TALLY_EVF_SOCKET_FD || ev.kind == TALLY_EV_REUSE ||
		    ev.kind == TALLY_EV_OBJ || ev.kind == TALLY_EV_VIOLATION ||
		    (ev.kind >= TALLY_EV_SOCKET && ev.kind <= TALLY_EV_ACCEPT))
			return 0;
	}
	return 1;
}

#endif /* TALLY_FORMAT_H */
