// SPDX-License-Identifier: GPL-2.0
/* Per-thread block histories from sched_switch. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "blockwatch.h"
#include "compat.bpf.h"
#include "filter.bpf.h"

/* sched_switch got its prev_state argument in 5.18 (commit fa2c3254d7cf). */
const volatile bool has_prev_state_arg = true;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct bw_history);
} histories SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BW_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static const struct bw_history zero_history;

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		__sync_fetch_and_add(c, 1);
}

static __always_inline int account_switch_out(__u32 tid, __u32 tgid, __u32 state, __u64 now)
{
	struct bw_history *h;

	if (!(state & (BW_TASK_INTERRUPTIBLE | BW_TASK_UNINTERRUPTIBLE)))
		return 0;
	h = bpf_map_lookup_elem(&histories, &tid);
	if (!h) {
		if (bpf_map_update_elem(&histories, &tid, &zero_history, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&histories, &tid)) {
			count(BW_CNT_HIST_FULL);
			return 0;
		}
		h = bpf_map_lookup_elem(&histories, &tid);
		if (!h)
			return 0;
	}
	h->tgid = tgid;
	h->block_state = state;
	h->block_start_ns = now;
	return 0;
}

static __always_inline int account_switch_in(__u32 tid, __u64 now)
{
	struct bw_history *h = bpf_map_lookup_elem(&histories, &tid);
	__u64 delta;
	__u32 slot;

	if (!h || !h->block_start_ns || now < h->block_start_ns)
		return 0;
	delta = now - h->block_start_ns;
	h->block_start_ns = 0;
	h->blocks++;
	h->total_ns += delta;
	if (delta > h->max_ns)
		h->max_ns = delta;
	slot = bw_hist_slot(delta);
	if (slot < BW_HIST_SLOTS)
		h->slots[slot]++;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 state;

	if (bw_wanted(prev->tgid) && !preempt) {
		if (has_prev_state_arg)
			state = (__u32)ctx[3];
		else
			state = bw_task_state(prev);
		count(BW_CNT_SWITCHES);
		account_switch_out(prev->pid, prev->tgid, state, now);
	}
	if (bw_wanted(next->tgid))
		account_switch_in(next->pid, now);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	__u32 tid = p->pid;

	if (bw_wanted(p->tgid))
		bpf_map_delete_elem(&histories, &tid);
	return 0;
}

/* Test entry: ctx = {tid, tgid, state (or ~0 for a switch-in), now}. */
SEC("raw_tp")
int test_switch(__u64 *ctx)
{
	__u32 tid = ctx[0], tgid = ctx[1], state = ctx[2];

	if (state == ~0u)
		return account_switch_in(tid, ctx[3]);
	if (!bw_wanted(tgid))
		return 0;
	return account_switch_out(tid, tgid, state, ctx[3]);
}

char LICENSE[] SEC("license") = "GPL";
