// SPDX-License-Identifier: GPL-2.0
/*
 * The block accounting of offcpu.bpf.c, run in the kernel through its raw_tp
 * test entry with synthetic switches: ctx = {tid, tgid, state or ~0, now}.
 */
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "blockwatch.h"
#include "offcpu.skel.h"

#define MS 1000000ULL

static struct offcpu_bpf *load(__u32 targ_tgid, __u32 max_entries)
{
	struct offcpu_bpf *skel = offcpu_bpf__open();

	cr_assert_not_null(skel, "open");
	skel->rodata->targ_tgid = targ_tgid;
	bpf_map__set_max_entries(skel->maps.histories, max_entries);
	bpf_program__set_autoload(skel->progs.test_switch, true);
	cr_assert_eq(offcpu_bpf__load(skel), 0, "load (needs root)");
	return skel;
}

static void run(struct offcpu_bpf *skel, __u64 tid, __u64 tgid, __u64 state, __u64 now)
{
	__u64 args[4] = { tid, tgid, state, now };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	cr_assert_eq(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.test_switch), &opts), 0,
		     "test run: %s", strerror(errno));
}

static int history(struct offcpu_bpf *skel, __u32 tid, struct bw_history *h)
{
	return bpf_map__lookup_elem(skel->maps.histories, &tid, sizeof(tid), h, sizeof(*h), 0);
}

#define SWITCH_IN ~0ULL

Test(bpf_offcpu, block_is_accounted)
{
	struct offcpu_bpf *skel = load(0, 64);
	struct bw_history h;

	run(skel, 100, 10, BW_TASK_INTERRUPTIBLE, 1000 * MS);
	cr_assert_eq(history(skel, 100, &h), 0);
	cr_assert_eq(h.block_start_ns, 1000 * MS);
	cr_assert_eq(h.block_state, BW_TASK_INTERRUPTIBLE);
	cr_assert_eq(h.tgid, 10);
	run(skel, 100, 10, SWITCH_IN, 1005 * MS);
	cr_assert_eq(history(skel, 100, &h), 0);
	cr_assert_eq(h.blocks, 1);
	cr_assert_eq(h.total_ns, 5 * MS);
	cr_assert_eq(h.max_ns, 5 * MS);
	cr_assert_eq(h.block_start_ns, 0);
	cr_assert_eq(h.slots[bw_hist_slot(5 * MS)], 1);
	cr_assert_eq(bw_hist_slot(5 * MS), 12); /* 5000us in [4096, 8192) */

	run(skel, 100, 10, BW_TASK_UNINTERRUPTIBLE, 2000 * MS);
	run(skel, 100, 10, SWITCH_IN, 2001 * MS);
	cr_assert_eq(history(skel, 100, &h), 0);
	cr_assert_eq(h.blocks, 2);
	cr_assert_eq(h.total_ns, 6 * MS);
	cr_assert_eq(h.max_ns, 5 * MS);
	offcpu_bpf__destroy(skel);
}

Test(bpf_offcpu, runnable_switch_is_no_block)
{
	struct offcpu_bpf *skel = load(0, 64);
	struct bw_history h;

	run(skel, 7, 7, BW_TASK_RUNNING, 1000 * MS);
	cr_assert_neq(history(skel, 7, &h), 0, "a preempted thread is not blocked");
	/* A switch-in without an open block changes nothing. */
	run(skel, 7, 7, SWITCH_IN, 1001 * MS);
	cr_assert_neq(history(skel, 7, &h), 0);
	offcpu_bpf__destroy(skel);
}

Test(bpf_offcpu, other_processes_are_filtered)
{
	struct offcpu_bpf *skel = load(42, 64);
	struct bw_history h;

	run(skel, 43, 43, BW_TASK_INTERRUPTIBLE, 1000 * MS);
	cr_assert_neq(history(skel, 43, &h), 0);
	run(skel, 44, 42, BW_TASK_INTERRUPTIBLE, 1000 * MS);
	cr_assert_eq(history(skel, 44, &h), 0);
	offcpu_bpf__destroy(skel);
}

Test(bpf_offcpu, full_map_is_counted)
{
	struct offcpu_bpf *skel = load(0, 2);
	__u32 key = BW_CNT_HIST_FULL;
	__u64 full = 0;
	struct bw_history h;

	run(skel, 1, 1, BW_TASK_INTERRUPTIBLE, 10);
	run(skel, 2, 1, BW_TASK_INTERRUPTIBLE, 10);
	run(skel, 3, 1, BW_TASK_INTERRUPTIBLE, 10);
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.counters, &key, sizeof(key), &full,
					  sizeof(full), 0),
		     0);
	cr_assert_eq(full, 1);
	cr_assert_neq(history(skel, 3, &h), 0);
	/* Existing entries keep working. */
	run(skel, 1, 1, SWITCH_IN, 20);
	cr_assert_eq(history(skel, 1, &h), 0);
	cr_assert_eq(h.blocks, 1);
	offcpu_bpf__destroy(skel);
}
