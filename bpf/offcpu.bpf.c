// SPDX-License-Identifier: GPL-2.0
/*
 * Per-thread block histories from sched_switch. This runs on every context
 * switch of the host, so: the process filter comes first, the clock is read
 * only for a thread we account, and histories live in task storage (a
 * pointer off the task, no hash of the tid). The task iterator reads them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "blockwatch.h"
#include "compat.bpf.h"
#include "filter.bpf.h"

#define PF_KTHREAD 0x00200000

/* sched_switch got its prev_state argument in 5.18 (commit fa2c3254d7cf). */
const volatile bool has_prev_state_arg = true;
/* Threads with a history at once (--max-threads); more are counted, not tracked. */
const volatile __u64 max_threads = 16384;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bw_history);
} histories SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BW_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * bpf_ktime_get_ns costs more than everything else this program does (about
 * 60 ns a call here, against 50 ns for an empty program). The runqueue clock
 * was read by __schedule just before the tracepoint; it is sched_clock, so
 * each CPU keeps an offset to CLOCK_MONOTONIC, taken again every
 * CALIB_NS of runqueue time (the clocks drift apart by ppm).
 */
#define CALIB_NS 10000000ULL

struct calib {
	__u64 rq_clock; /* runqueue clock when the offset was taken, 0: never */
	__u64 offset;	/* CLOCK_MONOTONIC - runqueue clock, mod 2^64 */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct calib);
} calibs SEC(".maps");

/* CLOCK_MONOTONIC now, for t running on or switching to this CPU. */
static __always_inline __u64 switch_clock(struct task_struct *t)
{
	struct calib *c;
	__u32 zero = 0;
	__u64 rq_clock;

	/* A task's runqueue is reachable from its cfs_rq with group scheduling. */
	if (!bpf_core_field_exists(t->se.cfs_rq))
		return bpf_ktime_get_ns();
	c = bpf_map_lookup_elem(&calibs, &zero);
	if (!c)
		return bpf_ktime_get_ns();
	rq_clock = t->se.cfs_rq->rq->clock;
	if (!c->rq_clock || rq_clock - c->rq_clock > CALIB_NS) {
		c->offset = bpf_ktime_get_ns() - rq_clock;
		c->rq_clock = rq_clock;
	}
	return rq_clock + c->offset;
}

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		__sync_fetch_and_add(c, 1);
}

/* A thread's history, made on its first block while there is room. */
static __always_inline struct bw_history *history_of(struct task_struct *t)
{
	struct bw_history *h = bpf_task_storage_get(&histories, t, NULL, 0);
	__u32 key = BW_CNT_TRACKED;
	__u64 *n;

	if (h)
		return h;
	n = bpf_map_lookup_elem(&counters, &key);
	if (!n)
		return NULL;
	if (*n < max_threads)
		h = bpf_task_storage_get(&histories, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!h) {
		/* Full, no memory, or storage busy on this CPU (a nested program). */
		count(BW_CNT_HIST_FULL);
		return NULL;
	}
	__sync_fetch_and_add(n, 1);
	return h;
}

static __always_inline bool is_block(__u32 state)
{
	return state & (BW_TASK_INTERRUPTIBLE | BW_TASK_UNINTERRUPTIBLE);
}

static __always_inline void open_block(struct bw_history *h, __u32 tgid, __u32 state, __u64 now,
				       bool in_futex)
{
	h->tgid = tgid;
	h->block_state = state;
	h->block_start_ns = now;
	h->block_futex = in_futex;
}

/*
 * Whether t blocks in a futex syscall: the syscall number saved at kernel
 * entry, a load off its stack. Seen here, futex waits cost nothing to the
 * rest of the host; a syscall tracepoint puts every syscall of every
 * process on the traced entry path.
 */
static __always_inline bool in_futex(struct task_struct *t)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	long nr = regs->orig_ax;

	return nr == BW_NR_FUTEX || nr == BW_NR_FUTEX_WAITV;
}

static __always_inline void close_block(struct bw_history *h, __u64 now)
{
	__u64 delta;

	if (now < h->block_start_ns)
		return;
	delta = now - h->block_start_ns;
	h->block_start_ns = 0;
	h->blocks++;
	h->futex_blocks += h->block_futex;
	h->total_ns += delta;
	if (delta > h->max_ns)
		h->max_ns = delta;
	h->slots[bw_hist_slot(delta) & (BW_HIST_SLOTS - 1)]++;
}

/* The history of a thread coming back from a block, or NULL. */
static __always_inline struct bw_history *open_history(struct task_struct *t)
{
	struct bw_history *h = bpf_task_storage_get(&histories, t, NULL, 0);

	return h && h->block_start_ns ? h : NULL;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct bw_history *out = NULL, *in = NULL;
	__u32 state = 0;
	__u64 now;

	/* Kernel threads are never reported: the task iterator skips them. */
	if (!preempt && bw_wanted(prev->tgid) && !(prev->flags & PF_KTHREAD)) {
		if (has_prev_state_arg)
			state = (__u32)ctx[3];
		else
			state = bw_task_state(prev);
		if (is_block(state))
			out = history_of(prev);
	}
	if (bw_wanted(next->tgid) && !(next->flags & PF_KTHREAD))
		in = open_history(next);
	if (!out && !in)
		return 0;
	now = switch_clock(prev);
	if (out)
		open_block(out, prev->tgid, state, now, in_futex(prev));
	if (in)
		close_block(in, now);
	return 0;
}

/* Task storage goes with the task; this keeps the count of live histories. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	__u32 key = BW_CNT_TRACKED;
	__u64 *n;

	if (!bw_wanted(p->tgid) || bpf_task_storage_delete(&histories, p))
		return 0;
	n = bpf_map_lookup_elem(&counters, &key);
	if (n)
		__sync_fetch_and_add(n, -1);
	return 0;
}

/*
 * Test entry, on the calling thread: ctx = {tgid, state (or ~0 for a
 * switch-in), now (0: the clock)}.
 */
SEC("raw_tp")
int test_switch(__u64 *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 tgid = ctx[0], state = ctx[1];
	__u64 now = ctx[2] ? ctx[2] : switch_clock(t);
	struct bw_history *h;

	if (!bw_wanted(tgid))
		return 0;
	if (state == ~0u) {
		h = open_history(t);
		if (h)
			close_block(h, now);
	} else if (is_block(state)) {
		h = history_of(t);
		if (h)
			open_block(h, tgid, state, now, in_futex(t));
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
