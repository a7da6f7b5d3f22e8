// SPDX-License-Identifier: GPL-2.0
#include "go/goinplace.h"

bool bw_goinplace_same(const struct bw_goroutine *a, const struct bw_goroutine *b)
{
	return a->goid == b->goid && a->gaddr == b->gaddr && a->status == b->status &&
	       a->wait_idx == b->wait_idx && a->sched_pc == b->sched_pc &&
	       a->sched_sp == b->sched_sp && a->sched_bp == b->sched_bp &&
	       a->waiting == b->waiting && a->tracking_seq == b->tracking_seq &&
	       a->stack_hash == b->stack_hash && a->stack_hash;
}
