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

/*
 * What the running kernel has, probed by the loader (tracer.c) before load.
 * Read-only data: the verifier knows the values and drops the paths not
 * taken, so a kernel with every feature runs exactly the code it ran
 * before these fallbacks existed.
 *
 * has_task_storage: BPF_MAP_TYPE_TASK_STORAGE and bpf_get_current_task_btf,
 * both 5.11 (commits 4cf1bc1f1045, 3ca1032ab7ab). Without them the maps are
 * tid-keyed hashes (the loader changes their type) and the current task is
 * bpf_get_current_task, read through probe reads.
 * has_task_pt_regs: bpf_task_pt_regs, 5.15 (commit dd6e10fbd9fb). Without
 * it, task_pt_regs() by hand: the registers saved at kernel entry sit at the
 * top of the task's kernel stack (x86_64: THREAD_SIZE 16 KiB without KASAN,
 * no TOP_OF_KERNEL_STACK_PADDING), read by probe reads and checked to be a
 * user frame.
 */
const volatile bool has_task_storage = true;
const volatile bool has_task_pt_regs = true;

#define BW_KERNEL_STACK_BYTES 16384 /* THREAD_SIZE */

/* Kernel address of t's saved user registers (see has_task_pt_regs). */
static __always_inline __u64 bw_task_regs_addr(struct task_struct *t)
{
	if (has_task_pt_regs)
		return (__u64)bpf_task_pt_regs(t);
	return (__u64)BPF_CORE_READ(t, stack) + BW_KERNEL_STACK_BYTES - sizeof(struct pt_regs);
}

/* The current task, for probe reads (without has_task_storage). */
static __always_inline struct task_struct *bw_current_task_untrusted(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/*
 * A task's value in a task-storage map, or in its tid-keyed hash twin
 * (without has_task_storage), created from zero when create is set.
 */
#define bw_storage_get(map, task, tid, create, zero)                                               \
	({                                                                                         \
		void *__v;                                                                         \
		__u32 __tid = (tid);                                                               \
		if (has_task_storage) {                                                            \
			__v = bpf_task_storage_get(map, task, NULL,                                \
						   (create) ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0); \
		} else {                                                                           \
			__v = bpf_map_lookup_elem(map, &__tid);                                    \
			if (!__v && (create)) {                                                    \
				bpf_map_update_elem(map, &__tid, zero, BPF_NOEXIST);               \
				__v = bpf_map_lookup_elem(map, &__tid);                            \
			}                                                                          \
		}                                                                                  \
		__v;                                                                               \
	})

#endif
