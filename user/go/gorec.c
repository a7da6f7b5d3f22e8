// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "go/gobin.h"
#include "go/gorec.h"
#include "go/gowait.h"

static const struct bw_gofunc unknown_func = { .name = "", .file = "" };

/*
 * The first frame outside the wait machinery into *at; *lock tells whether
 * the wait machinery passed through taking a mutex. False when all of the
 * stack is the runtime's.
 */
bool bw_gorec_blocked_frame(const struct bw_gobin *gb, const __u64 *pcs, __u32 npcs,
			    struct bw_gofunc *at, bool *lock)
{
	struct bw_gofunc fr[8];
	__u32 i;
	int n, j;

	*at = unknown_func;
	*lock = false;
	/* Every pc is a return address: the call is at pc - 1. */
	for (i = 0; i < npcs; i++) {
		n = bw_gobin__frames(gb, pcs[i] - 1, fr, 8);
		for (j = 0; j < n; j++) {
			if (!at->name[0])
				*at = fr[j]; /* innermost until a better one */
			*lock = *lock || bw_golock_frame(fr[j].name);
			if (!bw_gowait_machinery(fr[j].name)) {
				*at = fr[j];
				return true;
			}
		}
	}
	return false;
}

void bw_gorec_creator(const struct bw_gobin *gb, __u64 gopc, struct bw_gofunc *by)
{
	struct bw_gofunc fr[1];

	*by = unknown_func;
	if (gopc && bw_gobin__frames(gb, gopc - 1, fr, 1) == 1)
		*by = fr[0];
}

void bw_gorec_fill(struct bw_gorec *r, const struct bw_gobin *gb, const struct bw_goroutine *g)
{
	memset(r, 0, sizeof(*r));
	r->g = *g;
	r->runtime_only =
		!bw_gorec_blocked_frame(gb, g->pcs, g->npcs, &r->blocked_at, &r->lock_wait);
	bw_gorec_creator(gb, g->gopc, &r->created_by);
	if (r->created_by.name[0] && !bw_goruntime_package(r->created_by.name))
		r->runtime_only = false;
}

/* The logical frames of pcs, at most max; returns how many. */
int bw_gorec_symbolize(const struct bw_gobin *gb, const __u64 *pcs, __u32 npcs,
		       struct bw_gofunc *out, int max)
{
	struct bw_gofunc fr[8];
	int n, j, k = 0;
	__u32 i;

	for (i = 0; i < npcs && k < max; i++) {
		n = bw_gobin__frames(gb, pcs[i] - 1, fr, 8);
		for (j = 0; j < n && k < max; j++)
			out[k++] = fr[j];
	}
	return k;
}

int bw_gorec_fill_stack(struct bw_gorec *r, const struct bw_gobin *gb)
{
	if (r->stack)
		return 0;
	r->stack = calloc(BW_GO_FRAMES_MAX_ENTRIES, sizeof(*r->stack));
	if (!r->stack)
		return -ENOMEM;
	r->nstack = bw_gorec_symbolize(gb, r->g.pcs, r->g.npcs, r->stack, BW_GO_FRAMES_MAX_ENTRIES);
	return 0;
}
