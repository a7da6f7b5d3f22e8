// SPDX-License-Identifier: GPL-2.0
/*
 * Per-thread block histories from sched_switch. This runs on every context
 * switch of the host, so: the process filter comes first; only the thread
 * leaving the CPU is looked at, with one task storage lookup (a pointer off
 * the task, no hash of the tid) and no other helper call; the clock is the
 * runqueue's, which __schedule has just read, with a per-CPU offset to
 * CLOCK_MONOTONIC taken every 10 ms. The task iterator reads them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "blockwatch.h"
#include "compat.bpf.h"
#include "maps.bpf.h"
#include "filter.bpf.h"

#define PF_KTHREAD 0x00200000

/* sched_switch got its prev_state argument in 5.18 (commit fa2c3254d7cf). */
const volatile bool has_prev_state_arg = true;
/* Threads with a history at once (--max-threads); more are counted, not tracked. */
const volatile __u64 max_threads = BW_THREAD_ENTRIES_DEFAULT;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BW_CNT_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * CLOCK_MONOTONIC for block starts (and, without arrivals, ends).
 * bpf_ktime_get_ns costs more than everything else this program does (about
 * 60 ns a call here, against 50 ns for an empty program). The runqueue clock
 * was read by __schedule just before the tracepoint; it is sched_clock, so
 * each CPU keeps an offset to CLOCK_MONOTONIC, taken again every
 * CALIB_NS of runqueue time (the clocks drift apart by ppm).
 */
#define CALIB_NS 10000000ULL

struct calib {
	__u64 rq_clock_ns; /* runqueue clock when the offset was taken, 0: never */
	__u64 offset_ns;   /* CLOCK_MONOTONIC - runqueue clock, mod 2^64 */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct calib);
} calibs SEC(".maps");

/*
 * CLOCK_MONOTONIC now, for t running on or switching to this CPU; the
 * runqueue clock it came from in *rq (0 without one).
 */
static __always_inline __u64 switch_clock(struct task_struct *t, __u64 *rq)
{
	struct calib *c;
	__u32 zero = 0;
	__u64 rq_clock;

	*rq = 0;
	/* A task's runqueue is reachable from its cfs_rq with group scheduling. */
	if (!bpf_core_field_exists(t->se.cfs_rq))
		return bpf_ktime_get_ns();
	rq_clock = t->se.cfs_rq->rq->clock;
	*rq = rq_clock;
	c = bpf_map_lookup_elem(&calibs, &zero);
	if (!c)
		return bpf_ktime_get_ns();
	if (!c->rq_clock_ns || rq_clock - c->rq_clock_ns > CALIB_NS) {
		c->offset_ns = bpf_ktime_get_ns() - rq_clock;
		c->rq_clock_ns = rq_clock;
	}
	return rq_clock + c->offset_ns;
}

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		__sync_fetch_and_add(c, 1);
}

const struct bw_history zero_history = {};

static __always_inline struct bw_history *history_get(struct task_struct *t, bool create)
{
	return bw_storage_get(&histories, t, t->pid, create, &zero_history);
}

/* A thread's history, made on its first block while there is room. */
static __always_inline struct bw_history *history_of(struct task_struct *t)
{
	struct bw_history *h = history_get(t, false);
	__u32 key = BW_CNT_TRACKED;
	__u64 *n;

	if (h)
		return h;
	n = bpf_map_lookup_elem(&counters, &key);
	if (!n)
		return NULL;
	if (*n < max_threads)
		h = history_get(t, true);
	if (!h) {
		/* Full, no memory, or storage busy on this CPU (a nested program). */
		count(BW_CNT_HIST_FULL);
		return NULL;
	}
	__sync_fetch_and_add(n, 1);
	/* Where its kernel stack ends: fixed for the thread's life. */
	h->regs = bw_task_regs_addr(t);
	return h;
}

/* A no-op cast the verifier inlines (6.2+): a load through it calls no helper. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/*
 * Whether t blocks in a futex syscall: the syscall number saved at kernel
 * entry, a load off its stack. Seen here, futex waits cost nothing to the
 * rest of the host; a syscall tracepoint puts every syscall of every
 * process on the traced entry path. Where the map of those registers is
 * kept in the history, no helper is called: each call is a return, and
 * returns are dear on CPUs with return-stack mitigations.
 */
static __always_inline bool in_futex(struct task_struct *t, struct bw_history *h)
{
	struct pt_regs *regs;
	long nr;

	if (!has_task_pt_regs) {
		regs = (struct pt_regs *)h->regs;
		nr = BPF_CORE_READ(regs, orig_ax);
		return nr == BW_NR_FUTEX || nr == BW_NR_FUTEX_WAITV;
	}
	if (bpf_rdonly_cast && h->regs)
		regs = bpf_rdonly_cast((void *)h->regs, bpf_core_type_id_kernel(struct pt_regs));
	else
		regs = (struct pt_regs *)bpf_task_pt_regs(t);
	nr = regs->orig_ax;
	return nr == BW_NR_FUTEX || nr == BW_NR_FUTEX_WAITV;
}

/*
 * With arrivals (bw_have_arrival), a block is closed at the thread's next
 * switch-out, from its last arrival, and the switch-in side of sched_switch
 * does nothing: one task storage lookup per switch instead of two.
 *
 * t leaves the CPU in state (RUNNING when preempted). now: the clock of
 * block starts (0: read it); arrival: when t last came on a CPU (0: read
 * it), which ends the block it had open.
 */
static __always_inline void switch_out(struct task_struct *t, __u32 tgid, __u32 state, __u64 now,
				       __u64 arrival)
{
	struct bw_history *h;

	if (bw_is_block(state))
		h = history_of(t);
	else if (bw_have_arrival(t))
		h = history_get(t, false);
	else
		return;
	if (!h)
		return;
	if (bw_have_arrival(t) && h->block_start_rq_ns) {
		if (!arrival)
			arrival = t->sched_info.last_arrival;
		/* An arrival before the start: the block's end is unknown. */
		if (!bw_close_at_arrival(h, arrival))
			bw_drop_block(h);
	}
	if (!bw_is_block(state))
		return;
	if (now) {
		h->block_start_ns = now;
		h->block_start_rq_ns = now;
	} else {
		h->block_start_ns = switch_clock(t, &h->block_start_rq_ns);
	}
	h->tgid = tgid;
	h->block_state = state;
	h->block_futex = in_futex(t, h);
}

/* Without arrivals: t comes on a CPU at now (0: read the clock of prev's CPU). */
static __always_inline void switch_in(struct task_struct *t, struct task_struct *prev, __u64 now)
{
	struct bw_history *h = history_get(t, false);
	__u64 rq; /* not needed: this close works in CLOCK_MONOTONIC */

	if (!h || !h->block_start_ns)
		return;
	if (!now)
		now = switch_clock(prev, &rq);
	if (now >= h->block_start_ns)
		bw_close_block(h, now - h->block_start_ns);
}

static __always_inline bool wanted(struct task_struct *t)
{
	/* Kernel threads are never reported: the task iterator skips them. */
	return bw_wanted(t->tgid) && !(t->flags & PF_KTHREAD);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 state = BW_TASK_RUNNING;

	if (wanted(prev)) {
		if (!preempt)
			state = has_prev_state_arg ? (__u32)ctx[3] : bw_task_state(prev);
		switch_out(prev, prev->tgid, state, 0, 0);
	}
	if (!bw_have_arrival(prev) && wanted(next))
		switch_in(next, prev, 0);
	return 0;
}

/* Task storage goes with the task (a hash entry goes here); this keeps the count of live histories. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	__u32 key = BW_CNT_TRACKED, tid = p->pid;
	__u64 *n;

	if (!bw_wanted(p->tgid))
		return 0;
	if (has_task_storage ? bpf_task_storage_delete(&histories, p)
			     : bpf_map_delete_elem(&histories, &tid))
		return 0;
	n = bpf_map_lookup_elem(&counters, &key);
	if (n)
		__sync_fetch_and_add(n, -1);
	return 0;
}

/*
 * Test entry, a switch of the calling thread: ctx = {tgid, state (~0: a
 * switch-in), now (0: the clock), arrival (0: the thread's own)}.
 */
SEC("raw_tp")
int test_switch(__u64 *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 tgid = ctx[0], state = ctx[1];

	if (!bw_wanted(tgid))
		return 0;
	if (state != ~0u)
		switch_out(t, tgid, state, ctx[2], ctx[3]);
	else if (!bw_have_arrival(t))
		switch_in(t, t, ctx[2]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
