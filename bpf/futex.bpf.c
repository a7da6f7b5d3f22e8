// SPDX-License-Identifier: GPL-2.0
/*
 * The futex a thread waits on. Raw syscall tracepoints need no tracefs;
 * the syscall number is checked after the cheaper tgid filter.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "blockwatch.h"
#include "filter.bpf.h"

#define NR_futex 202 /* x86_64 */
#define NR_futex_waitv 449

#define FUTEX_WAIT 0
#define FUTEX_LOCK_PI 6
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_LOCK_PI2 13
#define FUTEX_CMD_MASK 0x7f

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct bw_futex_wait);
} futex_waits SEC(".maps");

static const struct bw_futex_wait zero_wait;

static __always_inline bool is_wait_op(__u32 op)
{
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_WAIT:
	case FUTEX_LOCK_PI:
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAIT_REQUEUE_PI:
	case FUTEX_LOCK_PI2:
		return true;
	}
	return false;
}

static __always_inline int record_enter(__u32 tid, __u32 tgid, __u64 uaddr, __u32 op, __u64 ip,
					__u64 now)
{
	struct bw_futex_wait *w = bpf_map_lookup_elem(&futex_waits, &tid);

	if (!w) {
		bpf_map_update_elem(&futex_waits, &tid, &zero_wait, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&futex_waits, &tid);
		if (!w)
			return 0;
	}
	w->uaddr = uaddr;
	w->op = op;
	w->ip = ip;
	w->tgid = tgid;
	w->enter_ns = now;
	w->waits++;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(futex_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	__u32 op;

	if (!bw_wanted(tgid))
		return 0;
	if (id == NR_futex) {
		op = regs->si;
		if (!is_wait_op(op))
			return 0;
	} else if (id == NR_futex_waitv) {
		op = BW_FUTEX_WAITV;
	} else {
		return 0;
	}
	return record_enter((__u32)pid_tgid, tgid, regs->di, op, regs->ip, bpf_ktime_get_ns());
}

SEC("tp_btf/sys_exit")
int BPF_PROG(futex_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = pid_tgid;
	struct bw_futex_wait *w;

	if (!bw_wanted(pid_tgid >> 32))
		return 0;
	w = bpf_map_lookup_elem(&futex_waits, &tid);
	if (w && w->enter_ns)
		w->enter_ns = 0;
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(futex_task_exit, struct task_struct *p)
{
	__u32 tid = p->pid;

	if (bw_wanted(p->tgid))
		bpf_map_delete_elem(&futex_waits, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
