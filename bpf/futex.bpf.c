// SPDX-License-Identifier: GPL-2.0
/*
 * The futex a thread waits on, recorded at the entry of each futex wait.
 * Three ways in, the loader takes the first that loads and attaches:
 * fentry on the futex syscalls, then the syscalls:sys_enter_futex(_waitv)
 * tracepoints (both run for futex calls only), then the raw sys_enter
 * tracepoint (every syscall of the host). No exit program: the task
 * iterator checks that a thread is still in the recorded call (same
 * syscall, same word), so a returned wait is never reported.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "blockwatch.h"
#include "compat.bpf.h"
#include "maps.bpf.h"
#include "filter.bpf.h"

#define FUTEX_WAIT 0
#define FUTEX_LOCK_PI 6
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_LOCK_PI2 13
#define FUTEX_CMD_MASK 0x7f

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

const struct bw_futex_wait zero_wait = {};

/* The calling thread's record. */
static __always_inline int record(__u32 tgid, __u64 uaddr, __u32 op, __u64 ip)
{
	struct bw_futex_wait *w;

	w = bw_storage_get(&futex_waits, bpf_get_current_task_btf(),
			   (__u32)bpf_get_current_pid_tgid(), true, &zero_wait);
	if (!w)
		return 0;
	w->uaddr = uaddr;
	w->op = op;
	w->ip = ip;
	w->tgid = tgid;
	/*
	 * Only marks the wait as current (the task iterator clears it once the
	 * thread left the call; its age comes from sched_switch). jiffies
	 * cost a load where bpf_ktime_get_ns would double this program, which
	 * runs at every futex wait of the watched processes.
	 */
	w->enter_jiffies = bpf_jiffies64();
	w->waits++;
	return 0;
}

static __always_inline int record_enter(__u32 tgid, __u64 uaddr, __u32 op, __u64 ip)
{
	return record(tgid, uaddr, op, ip);
}

/* A syscall tracepoint has the arguments but not the user ip. */
static __always_inline int record_enter_tp(__u32 tgid, __u64 uaddr, __u32 op)
{
	struct pt_regs *regs;

	if (!has_task_pt_regs || !has_task_storage) {
		regs = (struct pt_regs *)bw_task_regs_addr(bw_current_task_untrusted());
		return record(tgid, uaddr, op, BPF_CORE_READ(regs, ip));
	}
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	/* A direct load: BPF_CORE_READ (a probe read) costs 100 ns here. */
	return record(tgid, uaddr, op, regs->ip);
}

SEC("fentry/__x64_sys_futex")
int BPF_PROG(futex_enter, struct pt_regs *regs)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 op;

	if (!bw_wanted(tgid))
		return 0;
	op = regs->si;
	if (!is_wait_op(op))
		return 0;
	return record_enter(tgid, regs->di, op, regs->ip);
}

SEC("fentry/__x64_sys_futex_waitv")
int BPF_PROG(futex_waitv_enter, struct pt_regs *regs)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!bw_wanted(tgid))
		return 0;
	return record_enter(tgid, regs->di, BW_FUTEX_WAITV, regs->ip);
}

SEC("tracepoint/syscalls/sys_enter_futex")
int futex_tp_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 op;

	if (!bw_wanted(tgid))
		return 0;
	op = ctx->args[1];
	if (!is_wait_op(op))
		return 0;
	return record_enter_tp(tgid, ctx->args[0], op);
}

SEC("tracepoint/syscalls/sys_enter_futex_waitv")
int futex_tp_waitv(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!bw_wanted(tgid))
		return 0;
	return record_enter_tp(tgid, ctx->args[0], BW_FUTEX_WAITV);
}

/* The last resort: every syscall of the host, the tgid filter first. */
SEC("tp_btf/sys_enter")
int BPF_PROG(futex_sys_enter, struct pt_regs *regs, long id)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 op;

	if (!bw_wanted(tgid))
		return 0;
	if (id == BW_NR_FUTEX) {
		op = regs->si;
		if (!is_wait_op(op))
			return 0;
	} else if (id == BW_NR_FUTEX_WAITV) {
		op = BW_FUTEX_WAITV;
	} else {
		return 0;
	}
	return record_enter(tgid, regs->di, op, regs->ip);
}

char LICENSE[] SEC("license") = "GPL";
