/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel-version differences, in one place. */
#ifndef BW_COMPAT_BPF_H
#define BW_COMPAT_BPF_H

/* task_struct::state became __state in 5.14 (commit 2f064a59a11f). */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

static __always_inline __u32 bw_task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___old *)t, state);
}

/*
 * Whether the kernel keeps each thread's last arrival on a CPU
 * (CONFIG_SCHED_INFO) in the runqueue clock a task leads to (group
 * scheduling): then blocks are closed at the next switch-out.
 */
static __always_inline bool bw_have_arrival(struct task_struct *t)
{
	return bpf_core_field_exists(t->sched_info.last_arrival) &&
	       bpf_core_field_exists(t->se.cfs_rq);
}

#endif
