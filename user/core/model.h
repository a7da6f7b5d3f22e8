/* SPDX-License-Identifier: GPL-2.0 */
/* What blockwatch knows about one thread; plain data shared by the modules. */
#ifndef BW_MODEL_H
#define BW_MODEL_H

#include <stdbool.h>
#include <linux/types.h>
#include "blockwatch.h"

#define BW_CHAIN_MAX_ENTRIES 16
#define BW_VERSION "0.1"

enum bw_wait {
	BW_WAIT_NONE = 0, /* not blocked */
	BW_WAIT_MUTEX,
	BW_WAIT_CONDVAR,
	BW_WAIT_RWLOCK,
	BW_WAIT_SEMAPHORE,
	BW_WAIT_JOIN,
	BW_WAIT_FUTEX,	 /* a futex of unknown kind */
	BW_WAIT_RUNTIME, /* a language runtime parking an idle worker thread */
	BW_WAIT_EPOLL,
	BW_WAIT_POLL,
	BW_WAIT_SELECT,
	BW_WAIT_ACCEPT,
	BW_WAIT_SLEEP,
	BW_WAIT_PIPE_READ,
	BW_WAIT_PIPE_WRITE,
	BW_WAIT_SOCKET_READ,
	BW_WAIT_SOCKET_WRITE,
	BW_WAIT_CONNECT,
	BW_WAIT_READ,
	BW_WAIT_WRITE,
	BW_WAIT_SIGNAL,
	BW_WAIT_CHILD,
	BW_WAIT_FILE_LOCK,
	BW_WAIT_IPC,
	BW_WAIT_IO, /* uninterruptible sleep: disk, page faults, kernel locks */
	BW_WAIT_STOPPED,
	BW_WAIT_OTHER, /* some other syscall or kernel wait */
	BW_WAIT_MAX,
};

enum bw_verdict {
	BW_VERDICT_NONE = 0, /* running, or blocked less than the threshold */
	BW_VERDICT_IDLE,
	BW_VERDICT_BLOCKED,
	BW_VERDICT_STUCK, /* an untimed wait with no known waker, and no proof either way */
	BW_VERDICT_LEAK,
	BW_VERDICT_DEADLOCK,
	BW_VERDICT_COUNT, /* not a verdict: the size of per-verdict counts */
};

/*
 * Why a thread got its verdict: the evidence of a deadlock or a leak, what
 * makes a wait idle, or what is missing to call it either (stuck).
 */
enum bw_reason {
	BW_REASON_NONE = 0,
	BW_REASON_CYCLE,	  /* deadlock: on a cycle of the wait-for graph */
	BW_REASON_OWNER_GONE,	  /* leak: the lock's owner exited holding it */
	BW_REASON_OWNER_DEADLOCK, /* leak: waits for a deadlocked thread */
	BW_REASON_OWNER_LEAK,	  /* leak: waits for a leaked thread */
	BW_REASON_PILE,		  /* leak: threads pile up at one wait site while watched */
	BW_REASON_OWNER_STUCK,	  /* stuck: waits for a stuck thread */
	BW_REASON_NO_WAKER,	  /* stuck: an untimed wait with no known waker */
	BW_REASON_RUNTIME,	  /* idle: a runtime's idle wait (the built-in table) */
	BW_REASON_IGNORED,	  /* idle: a frame matches the --ignore patterns */
	BW_REASON_POOL,		  /* idle: a pool's workers on one object, woken before */
	BW_REASON_JOIN_LIVE,	  /* idle: joins a thread that is running or idle */
	BW_REASON_COUNT,
};

#define BW_WHY_BYTES 160

#define BW_FUNC_BYTES 256
#define BW_PATH_BYTES 256

/* Where a frame's function name came from. */
enum bw_sym_source {
	BW_SYM_NONE = 0,  /* no name */
	BW_SYM_ELF,	  /* the binary's own .symtab or .dynsym */
	BW_SYM_DEBUGFILE, /* an installed debug file (build-id or .gnu_debuglink) */
	BW_SYM_MINIDEBUG, /* .gnu_debugdata (MiniDebugInfo) */
	BW_SYM_GOPCLNTAB, /* a Go binary's pclntab */
	BW_SYM_PYTHON,	  /* a CPython frame read from the interpreter's memory (no pc) */
};

/* One symbolized user frame (platform/syms.h makes them). */
struct bw_frame {
	__u64 pc;
	__u64 offset;		    /* pc - function start */
	char func[BW_FUNC_BYTES];   /* "" when unknown */
	char module[BW_PATH_BYTES]; /* basename of the ELF file, "" when unknown */
	char file[BW_PATH_BYTES];   /* source file, "" when no DWARF */
	int line;		    /* 0 when unknown */
	int source;		    /* enum bw_sym_source of func */
};

/* What a file descriptor refers to, from /proc/PID/fd. */
enum bw_fd_kind {
	BW_FD_UNKNOWN = 0,
	BW_FD_SOCKET,
	BW_FD_PIPE,
	BW_FD_FILE,
	BW_FD_TTY,
	BW_FD_ANON, /* eventfd, signalfd, timerfd, epoll... */
};

struct bw_thread {
	__u32 pid;
	__u32 tid;
	char comm[BW_COMM_BYTES];
	char state;	  /* 'R', 'S', 'D', 'T', 'Z' as in /proc */
	__u64 blocked_ns; /* off CPU so far, 0 when running */
	__u64 switches;	  /* voluntary + involuntary context switches */
	__u64 runtime_ns;
	bool progressing; /* ran since the previous scan */

	__s64 syscall_nr; /* -1 outside a syscall */
	__u64 args[6];
	__u64 regs[BW_NREGS];

	enum bw_wait wait;
	bool timed;	 /* the wait has a timeout: it will end by itself */
	__u64 wait_addr; /* futex word, 0 if none */
	int wait_fd;	 /* fd waited on, -1 if none */
	enum bw_fd_kind fd_kind;
	__u32 owner_tid;	  /* who holds what we wait for; 0 when unknown */
	__u32 gone_owner_tid;	  /* the owner recorded in a locked mutex, no longer alive */
	__u64 voluntary_switches; /* since the thread began: it has woken from waits */

	enum bw_verdict verdict;
	__u32 chain[BW_CHAIN_MAX_ENTRIES]; /* waits_for: owner, owner's owner, ... */
	int chain_entries;
	bool in_cycle;
	enum bw_reason reason;
	char why[BW_WHY_BYTES]; /* the evidence, in words; "" with no verdict */
	__u32 pile_threads;	/* with BW_REASON_PILE: threads at the site */
	double pile_growth_per_min;

	int kstack_entries; /* entries in kstack */
	__u64 kstack[BW_KSTACK_ENTRIES];
	struct bw_frame *ustack; /* malloc'd, innermost first; NULL if not unwound */
	int ustack_entries;
	/*
	 * The unwinder's own frames while ustack shows an interpreter's frames in
	 * place of its eval loop (Python: owned by the reader that merged them,
	 * until the next scan); NULL when ustack is the unwinder's.
	 */
	struct bw_frame *native_ustack;
	int native_ustack_entries;
	/* The stack pointer of each of the unwinder's frames (native_ustack when set, else
	 * ustack; 0: unknown), the thread's own; NULL when none. */
	__u64 *ustack_sp;

	bool has_history;
	struct bw_history history;
	bool has_futex;
	struct bw_futex_wait futex;
	__u64 goid; /* goroutine running on this thread (Go programs), 0 if none */
};

const char *bw_wait_name(enum bw_wait wait);
const char *bw_verdict_name(enum bw_verdict verdict);
const char *bw_reason_name(enum bw_reason reason);

#endif
