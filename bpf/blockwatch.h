/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF programs and the userspace loader. Self-contained:
 * fixed-width types only, so both sides agree on every offset.
 */
#ifndef BLOCKWATCH_H
#define BLOCKWATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <stdbool.h>
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define BW_COMM_BYTES 16     /* task->comm, its NUL included (TASK_COMM_LEN) */
#define BW_HIST_SLOTS 32     /* log2 buckets of block duration, in microseconds */
#define BW_KSTACK_ENTRIES 32 /* kernel return addresses kept per thread */
/* User registers saved at kernel entry, in DWARF order for x86_64 (0..16). */
#define BW_NREGS 17
/*
 * Threads with a block history at once unless --max-threads says otherwise:
 * the bound of offcpu.bpf.c's histories, and the entries of its tid-keyed
 * hashes without task storage. A plain number, so that BW_STR makes it the
 * command line's help text.
 */
#define BW_THREAD_ENTRIES_DEFAULT 16384
#define BW_STR_(x) #x
#define BW_STR(x) BW_STR_(x)
/* Processes in one -p list: the entries of the tgids map (maps.bpf.h). */
#define BW_TGIDS_ENTRIES 1024
/* x86_64 syscall numbers the BPF programs look for. */
#define BW_NR_FUTEX 202
#define BW_NR_FUTEX_WAITV 449

/* Kernel task state bits (include/linux/sched.h); stable ABI of /proc too. */
#define BW_TASK_RUNNING 0x0000
#define BW_TASK_INTERRUPTIBLE 0x0001
#define BW_TASK_UNINTERRUPTIBLE 0x0002
#define BW_TASK_STOPPED 0x0004
#define BW_TASK_TRACED 0x0008
#define BW_TASK_DEAD 0x0080   /* exit_state bits are folded in here too */
#define BW_TASK_NOLOAD 0x0400 /* with UNINTERRUPTIBLE: TASK_IDLE */

/*
 * Per-thread block history kept by the sched_switch program. A "block" is
 * the time between a voluntary switch-out (state S or D) and the next
 * switch-in of the same thread. Where the kernel keeps each thread's last
 * arrival on a CPU (sched_info, in the runqueue clock), a block is closed at
 * the thread's next switch-out, from that arrival, and switch-ins cost
 * nothing; the task iterator hands out copies with an ended block closed.
 */
struct bw_history {
	__u64 blocks;	      /* completed blocks */
	__u64 total_ns;	      /* sum of completed block durations */
	__u64 max_ns;	      /* longest completed block */
	__u64 block_start_ns; /* CLOCK_MONOTONIC of the open block, 0 if none */
	__u32 block_state;    /* task state at the start of the open block */
	__u32 tgid;
	__u32 slots[BW_HIST_SLOTS];
	__u32 futex_blocks;	 /* completed blocks that were futex waits */
	__u32 block_futex;	 /* the open block is a futex wait */
	__u64 regs;		 /* the thread's kernel-entry registers (kernel address) */
	__u64 block_start_rq_ns; /* the open block's start in the runqueue clock, or 0 */
};
_Static_assert(sizeof(struct bw_history) == 192, "bw_history layout");

/* The last futex wait of a thread, kept by the futex programs. */
struct bw_futex_wait {
	__u64 uaddr;	     /* futex word (or the futex_waitv array) */
	__u64 ip;	     /* user ip of the syscall */
	__u64 enter_jiffies; /* jiffies at entry (never 0), 0 once it returned */
	__u64 waits;	     /* futex waits made by this thread */
	__u32 op;	     /* futex op, or BW_FUTEX_WAITV */
	__u32 tgid;
};
_Static_assert(sizeof(struct bw_futex_wait) == 40, "bw_futex_wait layout");

#define BW_FUTEX_WAITV 0xffffffffu

/*
 * One record per task, written by the task iterator. This is the state of a
 * thread right now, including threads that blocked before we attached.
 */
struct bw_task_rec {
	__u32 tid;
	__u32 tgid;
	__u32 state;	  /* task->__state | task->exit_state */
	__u32 flags;	  /* task->flags (PF_*) */
	__u64 blocked_ns; /* time off CPU so far, 0 if running/runnable */
	__u64 nvcsw;	  /* voluntary switches: progress of a blocker */
	__u64 nivcsw;
	__u64 runtime_ns;     /* se.sum_exec_runtime */
	__s64 syscall_nr;     /* -1 outside a syscall */
	__u64 args[6];	      /* syscall arguments */
	__u64 regs[BW_NREGS]; /* user registers at kernel entry */
	__s32 kstack_bytes;   /* bytes of kstack filled, or a negative errno */
	__u32 pad;
	__u64 kstack[BW_KSTACK_ENTRIES];
	char comm[BW_COMM_BYTES];
};
_Static_assert(sizeof(struct bw_task_rec) == 520, "bw_task_rec layout");

/*
 * What the task iterator writes per thread: its record, and the block
 * history and last futex wait that the hot-path programs keep in task
 * storage (readable only from BPF, so the iterator carries them out).
 * The tracer splits it; nothing else sees this layout.
 */
#define BW_SCAN_HAS_HISTORY 0x1
#define BW_SCAN_HAS_FUTEX 0x2

struct bw_scan_rec {
	struct bw_task_rec task;
	struct bw_history history;
	struct bw_futex_wait futex;
	__u32 has; /* BW_SCAN_HAS_* */
	__u32 pad;
};
_Static_assert(sizeof(struct bw_scan_rec) == 760, "bw_scan_rec layout");

/* Last park of a goroutine, from the opt-in Go probes; keyed by g address. */
struct bw_gopark {
	__u64 park_ns;	   /* CLOCK_MONOTONIC */
	__u64 goid;	   /* g.goid when it parked: tells a recycled g */
	__u32 wait_reason; /* g.waitreason index */
	__u32 pad;
};
_Static_assert(sizeof(struct bw_gopark) == 24, "bw_gopark layout");

/* Indexes into the counters array map. */
enum bw_counter {
	BW_CNT_HIST_FULL = 0, /* no history storage: a thread went untracked */
	BW_CNT_TRACKED,	      /* threads with a history now */
	BW_CNT_ENTRIES,	      /* the counters map's entries */
};

/* DWARF register numbers on x86_64 (System V psABI, figure 3.36). */
enum bw_dwarf_reg {
	BW_REG_AX = 0,
	BW_REG_DX,
	BW_REG_CX,
	BW_REG_BX,
	BW_REG_SI,
	BW_REG_DI,
	BW_REG_BP,
	BW_REG_SP,
	BW_REG_R8,
	BW_REG_R9,
	BW_REG_R10,
	BW_REG_R11,
	BW_REG_R12,
	BW_REG_R13,
	BW_REG_R14,
	BW_REG_R15,
	BW_REG_IP,
};

/*
 * log2 bucket of a duration: slot i holds [2^i, 2^(i+1)) microseconds (slot
 * 0 also below 1us, the last slot everything above). A binary search on
 * ns against 1000 * 2^k, with no loop and no division: it runs on
 * sched_switch.
 */
static __always_inline __u32 bw_hist_slot(__u64 ns)
{
	__u32 slot = 0;

	if (ns >= 1000ULL << (BW_HIST_SLOTS - 1))
		return BW_HIST_SLOTS - 1;
	if (ns >= 1000ULL << (slot + 16))
		slot += 16;
	if (ns >= 1000ULL << (slot + 8))
		slot += 8;
	if (ns >= 1000ULL << (slot + 4))
		slot += 4;
	if (ns >= 1000ULL << (slot + 2))
		slot += 2;
	if (ns >= 1000ULL << (slot + 1))
		slot += 1;
	return slot;
}

static __always_inline bool bw_is_block(__u32 state)
{
	return state & (BW_TASK_INTERRUPTIBLE | BW_TASK_UNINTERRUPTIBLE);
}

/* Forgets h's open block: its end is unknown. */
static __always_inline void bw_drop_block(struct bw_history *h)
{
	h->block_start_ns = 0;
	h->block_start_rq_ns = 0;
}

/* Closes h's open block, which lasted delta ns. */
static __always_inline void bw_close_block(struct bw_history *h, __u64 delta)
{
	bw_drop_block(h);
	h->blocks++;
	h->futex_blocks += h->block_futex;
	h->total_ns += delta;
	if (delta > h->max_ns)
		h->max_ns = delta;
	h->slots[bw_hist_slot(delta) & (BW_HIST_SLOTS - 1)]++;
}

/*
 * Closes h's open block if the thread's last arrival on a CPU (runqueue
 * clock) came after its start; false if it did not.
 */
static __always_inline bool bw_close_at_arrival(struct bw_history *h, __u64 arrival)
{
	if (arrival < h->block_start_rq_ns)
		return false;
	bw_close_block(h, arrival - h->block_start_rq_ns);
	return true;
}

#endif /* BLOCKWATCH_H */
