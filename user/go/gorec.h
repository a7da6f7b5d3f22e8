/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A goroutine's record filled from its binary: where it blocks (the first
 * frame outside the wait machinery), who created it, and for the records
 * that are reported the whole symbolized stack. Pure: file data only.
 */
#ifndef BW_GOREC_H
#define BW_GOREC_H

#include <stdbool.h>
#include <linux/types.h>
#include "core/gomodel.h"

struct bw_gobin;

/* Where g blocks and who created it, from the binary. */
void bw_gorec_fill(struct bw_gorec *r, const struct bw_gobin *gb, const struct bw_goroutine *g);
/* The whole symbolized stack, for records that are reported. 0 or -ENOMEM. */
int bw_gorec_fill_stack(struct bw_gorec *r, const struct bw_gobin *gb);

/*
 * The pieces of both, for a cache of them (gosyms.h). blocked_frame: the
 * first frame of pcs outside the wait machinery into *at (the innermost
 * when none), *lock whether the machinery passed through taking a mutex;
 * false when all of the stack is the runtime's.
 */
bool bw_gorec_blocked_frame(const struct bw_gobin *gb, const __u64 *pcs, __u32 npcs,
			    struct bw_gofunc *at, bool *lock);
/* The function that created a goroutine at gopc ("" when unknown). */
void bw_gorec_creator(const struct bw_gobin *gb, __u64 gopc, struct bw_gofunc *by);
/* The logical frames of return pcs, inlined expanded, at most max; returns how many. */
int bw_gorec_symbolize(const struct bw_gobin *gb, const __u64 *pcs, __u32 npcs,
		       struct bw_gofunc *out, int max);

#endif
