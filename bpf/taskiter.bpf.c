// SPDX-License-Identifier: GPL-2.0
/*
 * A snapshot of every thread of the target: state, time off CPU so far,
 * syscall and user registers, kernel stack. Threads that blocked before we
 * attached are seen here, and nothing runs on the context-switch path.
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_scan_rec);
} scratch SEC(".maps");

/*
 * rq->clock - rq->clock_task of the CPU whose runqueue a task is on: what
 * turns its se.exec_start into the rq->clock timeline, shared by all CPUs.
 * The rq is reached through the task's cfs_rq (CONFIG_FAIR_GROUP_SCHED);
 * without it, 0: clock_task as before, exact on one CPU.
 */
static __always_inline __u64 clock_offset(struct task_struct *t)
{
	struct cfs_rq *cfs = NULL; /* typed for the CO-RE check before it is read */
	struct rq *rq;
	__u64 clk, clk_task;

	if (!bpf_core_field_exists(t->se.cfs_rq) || !bpf_core_field_exists(cfs->rq))
		return 0;
	cfs = BPF_CORE_READ(t, se.cfs_rq);
	if (!cfs)
		return 0;
	rq = BPF_CORE_READ(cfs, rq);
	if (!rq)
		return 0;
	clk = BPF_CORE_READ(rq, clock);
	clk_task = BPF_CORE_READ(rq, clock_task);
	return clk > clk_task ? clk - clk_task : 0;
}

static __always_inline void read_regs(struct bw_task_rec *rec, struct pt_regs *r)
{
	rec->regs[BW_REG_AX] = r->ax;
	rec->regs[BW_REG_DX] = r->dx;
	rec->regs[BW_REG_CX] = r->cx;
	rec->regs[BW_REG_BX] = r->bx;
	rec->regs[BW_REG_SI] = r->si;
	rec->regs[BW_REG_DI] = r->di;
	rec->regs[BW_REG_BP] = r->bp;
	rec->regs[BW_REG_SP] = r->sp;
	rec->regs[BW_REG_R8] = r->r8;
	rec->regs[BW_REG_R9] = r->r9;
	rec->regs[BW_REG_R10] = r->r10;
	rec->regs[BW_REG_R11] = r->r11;
	rec->regs[BW_REG_R12] = r->r12;
	rec->regs[BW_REG_R13] = r->r13;
	rec->regs[BW_REG_R14] = r->r14;
	rec->regs[BW_REG_R15] = r->r15;
	rec->regs[BW_REG_IP] = r->ip;
	rec->syscall_nr = (__s64)r->orig_ax;
	rec->args[0] = r->di;
	rec->args[1] = r->si;
	rec->args[2] = r->dx;
	rec->args[3] = r->r10;
	rec->args[4] = r->r8;
	rec->args[5] = r->r9;
}

/*
 * The last futex wait is current only while the thread is still in that
 * call: futex.bpf.c records entries and has no exit program.
 */
static __always_inline bool in_recorded_futex(const struct bw_task_rec *rec,
					      const struct bw_futex_wait *w)
{
	if (rec->args[0] != w->uaddr)
		return false;
	if (rec->syscall_nr == BW_NR_FUTEX)
		return (__u32)rec->args[1] == w->op;
	return rec->syscall_nr == BW_NR_FUTEX_WAITV && w->op == BW_FUTEX_WAITV;
}

/*
 * The copy of a history as userspace wants it: a block the thread has come
 * back from is closed (sched_switch closes it only at the next switch-out).
 */
static __always_inline void settle(struct bw_history *h, struct task_struct *task, __u32 state)
{
	__u64 arrival;

	if (!bw_have_arrival(task) || !h->block_start_rq_ns)
		return;
	arrival = task->sched_info.last_arrival;
	/* Back on a CPU, but no arrival seen: the end is unknown. */
	if (!bw_close_at_arrival(h, arrival) && !bw_is_block(state))
		bw_drop_block(h);
}

static __always_inline void read_storage(struct bw_scan_rec *out, struct task_struct *task)
{
	struct bw_history *h = bw_storage_get(&histories, task, task->pid, false, NULL);
	struct bw_futex_wait *w = bw_storage_get(&futex_waits, task, task->pid, false, NULL);

	if (h) {
		out->history = *h;
		out->history.regs = 0; /* a kernel address: not for userspace */
		settle(&out->history, task, out->task.state);
		out->has |= BW_SCAN_HAS_HISTORY;
	}
	if (w) {
		out->futex = *w;
		if (!in_recorded_futex(&out->task, w))
			out->futex.enter_jiffies = 0;
		out->has |= BW_SCAN_HAS_FUTEX;
	}
}

/*
 * Without bpf_task_pt_regs: the registers at the top of the kernel stack
 * (compat.bpf.h), kept only when they are a user frame (CPL 3 in cs).
 */
static __always_inline void read_regs_by_hand(struct bw_task_rec *rec, struct task_struct *task)
{
	struct pt_regs r;

	if (bpf_probe_read_kernel(&r, sizeof(r), (void *)bw_task_regs_addr(task)) ||
	    (r.cs & 3) != 3) {
		rec->syscall_nr = -1;
		return;
	}
	read_regs(rec, &r);
}

/* Our own se.exec_start on the rq->clock timeline, where a sleeping task's start is put too. */
static __always_inline __u64 own_clock(void)
{
	struct task_struct *self;

	if (has_task_storage) { /* with bpf_get_current_task_btf */
		self = bpf_get_current_task_btf();
		return self->se.exec_start + clock_offset(self);
	}
	self = bw_current_task_untrusted();
	return BPF_CORE_READ(self, se.exec_start) + clock_offset(self);
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct bw_scan_rec *out;
	struct bw_task_rec *rec;
	struct pt_regs *regs;
	__u32 zero = 0;
	__u64 clock, start;

	if (!task)
		return 0;
	if (!bw_wanted(task->tgid))
		return 0;
	if (task->flags & PF_KTHREAD)
		return 0;
	out = bpf_map_lookup_elem(&scratch, &zero);
	if (!out)
		return 0;
	__builtin_memset(out, 0, sizeof(*out));
	rec = &out->task;
	rec->tid = task->pid;
	rec->tgid = task->tgid;
	rec->flags = task->flags;
	rec->state = bw_task_state(task) | task->exit_state;
	rec->nvcsw = task->nvcsw;
	rec->nivcsw = task->nivcsw;
	rec->runtime_ns = task->se.sum_exec_runtime;
	bpf_probe_read_kernel_str(rec->comm, sizeof(rec->comm), task->comm);

	/*
	 * A sleeping task's se.exec_start is the rq clock_task when it left
	 * the CPU. Our own exec_start, in the same clock and refreshed at every
	 * tick while we run, stands for "now" (the runqueues symbol would be
	 * fresher but needs CONFIG_KALLSYMS_ALL). Off by a tick at most.
	 * clock_task is per CPU (rq->clock less IRQ and steal time): two CPUs'
	 * differ by seconds on a VM, so each side goes back to its rq->clock.
	 */
	if (bw_is_block(rec->state)) {
		clock = own_clock();
		start = task->se.exec_start + clock_offset(task);
		if (clock > start)
			rec->blocked_ns = clock - start;
	}
	if (!has_task_pt_regs) {
		read_regs_by_hand(rec, task);
	} else {
		regs = (struct pt_regs *)bpf_task_pt_regs(task);
		if (regs)
			read_regs(rec, regs);
		else
			rec->syscall_nr = -1;
	}
	rec->kstack_bytes = bpf_get_task_stack(task, rec->kstack, sizeof(rec->kstack), 0);
	read_storage(out, task);
	bpf_seq_write(seq, out, sizeof(*out));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
