// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <string.h>
#include <criterion/criterion.h>
#include "go/goinplace.h"

static struct bw_goroutine parked(void)
{
	struct bw_goroutine g;

	memset(&g, 0, sizeof(g));
	g.goid = 42;
	g.gaddr = 0xc000123400ULL;
	g.status = BW_GSTATUS_WAITING;
	g.wait_idx = 15;
	g.sched_pc = 0x43a1c5;
	g.sched_sp = 0xc000045f10ULL;
	g.sched_bp = 0xc000045f48ULL;
	g.waiting = 0xc00009a000ULL;
	g.tracking_seq = 7;
	g.stack_hash = 0x1234abcd5678ef90ULL;
	return g;
}

Test(goinplace, two_reads_of_one_park_agree)
{
	struct bw_goroutine a = parked(), b = parked();

	/* What a second read does not compare: what the scan adds after the g. */
	b.reach = BW_REACH_DEAD;
	b.wait_reason = "chan send";
	b.waitsince_ns = 12345; /* a GC set it in between: not the goroutine running */
	b.npcs = 3;
	cr_assert(bw_goinplace_same(&a, &b));
	cr_assert(bw_goinplace_same(&b, &a));
}

/* Each field running moves tells the two reads apart. */
Test(goinplace, anything_running_moves_tells_them_apart)
{
	static const struct {
		size_t off, len;
		const char *what;
	} fields[] = {
		{ offsetof(struct bw_goroutine, goid), 8, "goid (the g reused)" },
		{ offsetof(struct bw_goroutine, gaddr), 8, "another g" },
		{ offsetof(struct bw_goroutine, status), 4, "status" },
		{ offsetof(struct bw_goroutine, wait_idx), 4, "wait reason" },
		{ offsetof(struct bw_goroutine, sched_pc), 8, "sched.pc" },
		{ offsetof(struct bw_goroutine, sched_sp), 8, "sched.sp" },
		{ offsetof(struct bw_goroutine, sched_bp), 8, "sched.bp" },
		{ offsetof(struct bw_goroutine, waiting), 8, "g.waiting" },
		{ offsetof(struct bw_goroutine, tracking_seq), 4, "trackingSeq" },
		{ offsetof(struct bw_goroutine, stack_hash), 8, "stack bytes" },
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct bw_goroutine a = parked(), b = parked();

		((unsigned char *)&b)[fields[i].off] ^= 1;
		cr_expect_not(bw_goinplace_same(&a, &b), "%s differs", fields[i].what);
	}
}

/* Versions without trackingSeq read 0 both times; a stack not read confirms nothing. */
Test(goinplace, no_tracking_seq_counts_but_no_stack_does_not)
{
	struct bw_goroutine a = parked(), b = parked();

	a.tracking_seq = b.tracking_seq = 0;
	cr_assert(bw_goinplace_same(&a, &b));
	a.stack_hash = b.stack_hash = 0;
	cr_assert_not(bw_goinplace_same(&a, &b));
}
