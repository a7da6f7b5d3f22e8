/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turns task-iterator snapshots into threads: exact block times from the
 * BPF histories, progress since the previous scan, and, for threads past
 * the threshold only, the user stack, the wait class and the owner read
 * from the target's memory.
 */
#ifndef BW_INSPECT_H
#define BW_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include "core/model.h"

struct bw_inspector;

/*
 * What the hot-path programs kept for one thread (from the tracer's scan),
 * as plain data: the block history of sched_switch and the last futex wait.
 */
struct bw_thread_obs {
	bool has_history;
	struct bw_history history;
	bool has_futex;
	struct bw_futex_wait futex;
};

struct bw_syms_opts;

/* opts (may be NULL: the defaults) go to every symbolizer it makes; it keeps a copy. */
int bw_inspector__new(const struct bw_syms_opts *opts, struct bw_inspector **out);
/*
 * Replaces the current threads with those of recs; obs[i] goes with recs[i]
 * (obs may be NULL: no histories). now_ns is the scan's CLOCK_MONOTONIC
 * time. Threads blocked for min(threshold_ns, BW_PILE_MIN_AGE_NS) or more are
 * unwound and their wait resolved. 0 or a negative errno.
 */
int bw_inspector__update(struct bw_inspector *in, const struct bw_task_rec *recs,
			 const struct bw_thread_obs *obs, size_t n, __u64 now_ns,
			 __u64 threshold_ns);
/* The current threads, sorted by tid (classify may reorder them in place). */
struct bw_thread *bw_inspector__threads(struct bw_inspector *in, size_t *n);
void bw_inspector__free(struct bw_inspector *in);

/*
 * How well a thread serves to read its process's memory and maps, higher
 * better: the leader while it lives, then a blocked thread seen in the
 * previous scan too (likely still there when read), a blocked one, any live
 * one; 0 for a zombie. Tids wrap: the lowest is not always the leader.
 */
int bw_inspect_reader_rank(__u32 pid, __u32 tid, char state, bool seen_before);

#endif
