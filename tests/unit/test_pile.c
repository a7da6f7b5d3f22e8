// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <criterion/criterion.h>
#include "threads/pile.h"

#define SEC 1000000000ULL
#define THRESHOLD (10 * SEC)
#define MAXT 16

static struct bw_frame site_a[2] = { { .pc = 0x1000 }, { .pc = 0x2000 } };
static struct bw_frame site_b[2] = { { .pc = 0x1000 }, { .pc = 0x3000 } };

static struct bw_thread member(__u32 tid, __u64 blocked, struct bw_frame *site)
{
	struct bw_thread t;

	memset(&t, 0, sizeof(t));
	t.pid = 1;
	t.tid = tid;
	t.state = 'S';
	t.blocked_ns = blocked;
	t.wait = BW_WAIT_CONDVAR;
	t.wait_fd = -1;
	t.ustack = site;
	t.ustack_entries = 2;
	/* what classify says of an untimed wait with no waker: stuck, or nothing yet */
	t.verdict = blocked >= THRESHOLD ? BW_VERDICT_STUCK : BW_VERDICT_NONE;
	t.reason = blocked >= THRESHOLD ? BW_REASON_NO_WAKER : BW_REASON_NONE;
	return t;
}

static struct bw_piles *p;

static void setup(void)
{
	cr_assert_eq(bw_piles__new(&p), 0);
}

static void teardown(void)
{
	bw_piles__free(p);
}

TestSuite(pile, .init = setup, .fini = teardown);

Test(pile, growing_site_is_a_leak_young_members_included)
{
	struct bw_thread t[MAXT];
	size_t i;

	for (i = 0; i < 3; i++)
		t[i] = member(10 + i, (12 - i) * SEC, site_a);
	cr_assert_eq(bw_piles__update(p, t, 3, 100 * SEC, THRESHOLD), 0);
	for (i = 0; i < 3; i++)
		cr_expect_neq(t[i].verdict, BW_VERDICT_LEAK, "no growth seen yet");

	/* 30 s later: three more at the same site, and one elsewhere. */
	for (i = 0; i < 6; i++)
		t[i] = member(10 + i, (42 - 5 * i) * SEC, site_a);
	t[5].blocked_ns = SEC; /* young: below the threshold */
	t[6] = member(30, 40 * SEC, site_b);
	cr_assert_eq(bw_piles__update(p, t, 7, 130 * SEC, THRESHOLD), 0);
	for (i = 0; i < 6; i++) {
		cr_expect_eq(t[i].verdict, BW_VERDICT_LEAK, "member %zu", i);
		cr_expect_eq(t[i].reason, BW_REASON_PILE);
		cr_expect_eq(t[i].pile_threads, 6);
		cr_expect_float_eq(t[i].pile_growth_per_min, 6.0, 1e-9);
	}
	cr_expect(strstr(t[5].why, "6 threads"), "%s", t[5].why);
	cr_expect_eq(t[6].verdict, BW_VERDICT_STUCK, "a site of its own");
}

Test(pile, a_member_leaving_starts_the_count_anew)
{
	struct bw_thread t[MAXT];
	size_t i;

	for (i = 0; i < 4; i++)
		t[i] = member(10 + i, 20 * SEC, site_a);
	cr_assert_eq(bw_piles__update(p, t, 4, 100 * SEC, THRESHOLD), 0);
	/* one left: served; then three came, back to only +2 over the low point */
	cr_assert_eq(bw_piles__update(p, t, 3, 101 * SEC, THRESHOLD), 0);
	for (i = 3; i < 5; i++)
		t[i] = member(10 + i, 2 * SEC, site_a);
	cr_assert_eq(bw_piles__update(p, t, 5, 102 * SEC, THRESHOLD), 0);
	for (i = 0; i < 5; i++)
		cr_expect_neq(t[i].verdict, BW_VERDICT_LEAK, "member %zu", i);
	t[5] = member(15, SEC, site_a);
	cr_assert_eq(bw_piles__update(p, t, 6, 103 * SEC, THRESHOLD), 0);
	for (i = 0; i < 6; i++)
		cr_expect_eq(t[i].verdict, BW_VERDICT_LEAK, "member %zu", i);
}

Test(pile, needs_a_member_past_the_threshold_and_untimed_unknown_waits)
{
	struct bw_thread t[MAXT];
	size_t i;

	for (i = 0; i < 6; i++)
		t[i] = member(10 + i, SEC, site_a);
	cr_assert_eq(bw_piles__update(p, t, 1, 100 * SEC, THRESHOLD), 0);
	cr_assert_eq(bw_piles__update(p, t, 6, 101 * SEC, THRESHOLD), 0);
	for (i = 0; i < 6; i++)
		cr_expect_eq(t[i].verdict, BW_VERDICT_NONE, "all young: not proven yet");

	bw_piles__free(p);
	cr_assert_eq(bw_piles__new(&p), 0);
	for (i = 0; i < 6; i++) {
		t[i] = member(10 + i, 20 * SEC, site_a);
		t[i].verdict = BW_VERDICT_IDLE;
		t[i].reason = BW_REASON_RUNTIME; /* a runtime's idle pool that grows */
	}
	cr_assert_eq(bw_piles__update(p, t, 1, 100 * SEC, THRESHOLD), 0);
	cr_assert_eq(bw_piles__update(p, t, 6, 101 * SEC, THRESHOLD), 0);
	for (i = 0; i < 6; i++)
		cr_expect_eq(t[i].verdict, BW_VERDICT_IDLE);
	for (i = 0; i < 6; i++) {
		t[i] = member(10 + i, 20 * SEC, site_b);
		t[i].timed = true;
	}
	cr_assert_eq(bw_piles__update(p, t, 1, 102 * SEC, THRESHOLD), 0);
	cr_assert_eq(bw_piles__update(p, t, 6, 103 * SEC, THRESHOLD), 0);
	for (i = 0; i < 6; i++)
		cr_expect_neq(t[i].verdict, BW_VERDICT_LEAK, "timed waits end by themselves");
}
