// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <criterion/criterion.h>
#include "classify.h"
#include "waitgraph.h"

#define SEC 1000000000ULL
#define THRESHOLD (10 * SEC)

static struct bw_thread mk(__u32 pid, __u32 tid, char state, __u64 blocked, enum bw_wait wait,
			   __u32 owner)
{
	struct bw_thread t;

	memset(&t, 0, sizeof(t));
	t.pid = pid;
	t.tid = tid;
	t.state = state;
	t.blocked_ns = blocked;
	t.wait = wait;
	t.owner_tid = owner;
	t.wait_fd = -1;
	return t;
}

static const struct bw_thread *find(const struct bw_thread *t, size_t n, __u32 tid)
{
	long i = bw_waitgraph_find(t, n, tid);

	cr_assert_geq(i, 0, "tid %u missing", tid);
	return &t[i];
}

Test(waitgraph, two_cycle_and_tail)
{
	struct bw_thread t[] = {
		mk(1, 12, 'S', 20 * SEC, BW_WAIT_MUTEX, 11),
		mk(1, 11, 'S', 20 * SEC, BW_WAIT_MUTEX, 12),
		mk(1, 13, 'S', 20 * SEC, BW_WAIT_MUTEX, 11), /* waits into the cycle */
		mk(1, 14, 'R', 0, BW_WAIT_NONE, 0),
	};
	size_t n = 4;

	cr_assert_eq(bw_waitgraph_resolve(t, n), 0);
	cr_assert(find(t, n, 11)->in_cycle);
	cr_assert(find(t, n, 12)->in_cycle);
	cr_assert_not(find(t, n, 13)->in_cycle);
	cr_assert_not(find(t, n, 14)->in_cycle);
	cr_assert_eq(find(t, n, 13)->chain_len, 2);
	cr_assert_eq(find(t, n, 13)->chain[0], 11);
	cr_assert_eq(find(t, n, 13)->chain[1], 12);
	cr_assert_eq(find(t, n, 11)->chain_len, 1);
	cr_assert_eq(find(t, n, 11)->chain[0], 12);
}

Test(waitgraph, self_loop_and_ring)
{
	struct bw_thread t[] = {
		mk(1, 5, 'S', 20 * SEC, BW_WAIT_MUTEX, 5),
		mk(2, 21, 'S', 20 * SEC, BW_WAIT_MUTEX, 22),
		mk(2, 22, 'S', 20 * SEC, BW_WAIT_JOIN, 23),
		mk(2, 23, 'S', 20 * SEC, BW_WAIT_MUTEX, 21),
	};

	cr_assert_eq(bw_waitgraph_resolve(t, 4), 0);
	cr_assert(find(t, 4, 5)->in_cycle);
	cr_assert(find(t, 4, 21)->in_cycle && find(t, 4, 22)->in_cycle && find(t, 4, 23)->in_cycle);
	cr_assert_eq(find(t, 4, 21)->chain_len, 2);
	cr_assert_eq(find(t, 4, 5)->chain_len, 1);
}

Test(waitgraph, edges_do_not_cross_processes)
{
	struct bw_thread t[] = {
		mk(1, 30, 'S', 20 * SEC, BW_WAIT_MUTEX, 31),
		mk(2, 31, 'S', 20 * SEC, BW_WAIT_MUTEX, 30),
	};

	cr_assert_eq(bw_waitgraph_resolve(t, 2), 0);
	cr_assert_not(t[0].in_cycle);
	cr_assert_not(t[1].in_cycle);
}

Test(waitgraph, long_chain_is_capped)
{
	struct bw_thread t[40];
	int i;

	for (i = 0; i < 40; i++)
		t[i] = mk(1, 100 + i, 'S', 20 * SEC, BW_WAIT_MUTEX, i < 39 ? 101 + i : 0);
	cr_assert_eq(bw_waitgraph_resolve(t, 40), 0);
	cr_assert_eq(find(t, 40, 100)->chain_len, BW_CHAIN_MAX);
	cr_assert_not(find(t, 40, 100)->in_cycle);
}

Test(classify, verdicts)
{
	struct bw_thread t[] = {
		mk(1, 1, 'S', 20 * SEC, BW_WAIT_SIGNAL, 0),  /* main: idle */
		mk(1, 2, 'S', 20 * SEC, BW_WAIT_MUTEX, 3),   /* deadlock */
		mk(1, 3, 'S', 20 * SEC, BW_WAIT_MUTEX, 2),   /* deadlock */
		mk(1, 4, 'S', 20 * SEC, BW_WAIT_CONDVAR, 0), /* leak: nobody signals */
		mk(1, 5, 'S', 20 * SEC, BW_WAIT_JOIN, 4),    /* leak: joined thread stuck */
		mk(1, 6, 'S', 20 * SEC, BW_WAIT_MUTEX, 7),   /* blocked: owner runs */
		mk(1, 7, 'R', 0, BW_WAIT_NONE, 0),
		mk(1, 8, 'S', 20 * SEC, BW_WAIT_MUTEX, 9), /* blocked: owner woke lately */
		mk(1, 9, 'S', SEC / 10, BW_WAIT_SLEEP, 0),
		mk(1, 10, 'S', 20 * SEC, BW_WAIT_EPOLL, 0),	/* idle */
		mk(1, 11, 'S', 2 * SEC, BW_WAIT_CONDVAR, 0),	/* under threshold */
		mk(1, 12, 'S', 20 * SEC, BW_WAIT_SEMAPHORE, 0), /* leak */
		mk(1, 13, 'S', 20 * SEC, BW_WAIT_MUTEX, 0),	/* leak: owner unknown */
		mk(1, 14, 'S', 20 * SEC, BW_WAIT_MUTEX, 99),	/* leak: owner gone */
		mk(1, 15, 'D', 20 * SEC, BW_WAIT_IO, 0),	/* blocked */
		mk(1, 16, 'S', 20 * SEC, BW_WAIT_MUTEX, 16),	/* self-deadlock */
		mk(1, 17, 'S', 20 * SEC, BW_WAIT_MUTEX, 10),	/* leak: owner idle for ever */
		mk(1, 18, 'S', 20 * SEC, BW_WAIT_RUNTIME, 0),	/* idle */
	};
	size_t n = sizeof(t) / sizeof(t[0]);
	struct {
		__u32 tid;
		enum bw_verdict v;
	} want[] = {
		{ 1, BW_VERDICT_IDLE },	     { 2, BW_VERDICT_DEADLOCK }, { 3, BW_VERDICT_DEADLOCK },
		{ 4, BW_VERDICT_LEAK },	     { 5, BW_VERDICT_LEAK },	 { 6, BW_VERDICT_BLOCKED },
		{ 7, BW_VERDICT_NONE },	     { 8, BW_VERDICT_BLOCKED },	 { 9, BW_VERDICT_NONE },
		{ 10, BW_VERDICT_IDLE },     { 11, BW_VERDICT_NONE },	 { 12, BW_VERDICT_LEAK },
		{ 13, BW_VERDICT_LEAK },     { 14, BW_VERDICT_LEAK },	 { 15, BW_VERDICT_BLOCKED },
		{ 16, BW_VERDICT_DEADLOCK }, { 17, BW_VERDICT_LEAK },	 { 18, BW_VERDICT_IDLE },
	};
	size_t i;

	cr_assert_eq(bw_classify(t, n, THRESHOLD), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_eq(find(t, n, want[i].tid)->verdict, want[i].v, "tid %u: got %s, want %s",
			     want[i].tid, bw_verdict_name(find(t, n, want[i].tid)->verdict),
			     bw_verdict_name(want[i].v));
}

Test(classify, progress_and_timeouts)
{
	struct bw_thread t[] = {
		mk(1, 1, 'S', 20 * SEC, BW_WAIT_MUTEX, 2),
		mk(1, 2, 'S', 20 * SEC, BW_WAIT_SLEEP, 0), /* blocked long, but moved */
		mk(1, 3, 'S', 20 * SEC, BW_WAIT_CONDVAR, 0),
		mk(1, 4, 'S', 20 * SEC, BW_WAIT_MUTEX, 0),
	};

	t[1].progressing = true;
	t[2].timed = true; /* a timed wait ends by itself */
	t[3].timed = true;
	cr_assert_eq(bw_classify(t, 4, THRESHOLD), 0);
	cr_assert_eq(find(t, 4, 1)->verdict, BW_VERDICT_BLOCKED);
	cr_assert_eq(find(t, 4, 3)->verdict, BW_VERDICT_IDLE);
	cr_assert_eq(find(t, 4, 4)->verdict, BW_VERDICT_BLOCKED);
	cr_assert(bw_thread_stuck(find(t, 4, 3), THRESHOLD));
	cr_assert_not(bw_thread_stuck(find(t, 4, 2), THRESHOLD));
}
