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

/*
 * One task storage lookup (created on first sight) of the thread leaving
 * the CPU, and nothing else: what blockwatch -a's sched_switch pays at the
 * least for a per-thread history, apart from what it does with it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} storage SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(storage_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 *v = bpf_task_storage_get(&storage, prev, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (v)
		*v += 1;
	return 0;
}

/* The same in a tid-keyed hash, the other way to keep a per-thread value. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} by_tid SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(hash_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 tid = prev->pid;
	__u64 *v = bpf_map_lookup_elem(&by_tid, &tid), one = 1;

	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&by_tid, &tid, &one, BPF_NOEXIST);
	return 0;
}

/* The same in an array slot picked by tid (an array lookup is inlined: no call). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} by_slot SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(array_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 slot = prev->pid & 16383;
	__u64 *v = bpf_map_lookup_elem(&by_slot, &slot);

	if (v)
		*v += 1;
	return 0;
}

/* The attach point blockwatch's futex program uses where fentry is not allowed. */
SEC("tracepoint/syscalls/sys_enter_futex")
int empty_futex(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
