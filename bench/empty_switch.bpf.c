// SPDX-License-Identifier: GPL-2.0
/*
 * The floor under blockwatch's attach points: tp_btf programs that do
 * nothing, so a benchmark measures what attaching alone costs (the BPF
 * trampoline) apart from what blockwatch's programs do.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(empty_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(empty_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(empty_sys_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

/* The attach point blockwatch's futex program uses where fentry is not allowed. */
SEC("tracepoint/syscalls/sys_enter_futex")
int empty_futex(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
