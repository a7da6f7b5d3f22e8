// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <criterion/criterion.h>
#include "threads/classify.h"
#include "core/patterns.h"
#include "core/waitgraph.h"

#define SEC 1000000000ULL
#define THRESHOLD (10 * SEC)

/* What the command line passes, with no --ignore patterns. */
static const struct bw_classify_opts by_threshold = { .threshold_ns = THRESHOLD };

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
	cr_assert_eq(find(t, n, 13)->chain_entries, 2);
	cr_assert_eq(find(t, n, 13)->chain[0], 11);
	cr_assert_eq(find(t, n, 13)->chain[1], 12);
	cr_assert_eq(find(t, n, 11)->chain_entries, 1);
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
	cr_assert_eq(find(t, 4, 21)->chain_entries, 2);
	cr_assert_eq(find(t, 4, 5)->chain_entries, 1);
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
	cr_assert_eq(find(t, 40, 100)->chain_entries, BW_CHAIN_MAX_ENTRIES);
	cr_assert_not(find(t, 40, 100)->in_cycle);
}

Test(classify, verdicts)
{
	struct bw_thread t[] = {
		mk(1, 1, 'S', 20 * SEC, BW_WAIT_SIGNAL, 0),  /* main: idle */
		mk(1, 2, 'S', 20 * SEC, BW_WAIT_MUTEX, 3),   /* deadlock */
		mk(1, 3, 'S', 20 * SEC, BW_WAIT_MUTEX, 2),   /* deadlock */
		mk(1, 4, 'S', 20 * SEC, BW_WAIT_CONDVAR, 0), /* stuck: nobody seen to signal */
		mk(1, 5, 'S', 20 * SEC, BW_WAIT_JOIN, 4),    /* stuck: joined thread stuck */
		mk(1, 6, 'S', 20 * SEC, BW_WAIT_MUTEX, 7),   /* blocked: owner runs */
		mk(1, 7, 'R', 0, BW_WAIT_NONE, 0),
		mk(1, 8, 'S', 20 * SEC, BW_WAIT_MUTEX, 9), /* blocked: owner woke lately */
		mk(1, 9, 'S', SEC / 10, BW_WAIT_SLEEP, 0),
		mk(1, 10, 'S', 20 * SEC, BW_WAIT_EPOLL, 0),	/* idle */
		mk(1, 11, 'S', 2 * SEC, BW_WAIT_CONDVAR, 0),	/* under threshold */
		mk(1, 12, 'S', 20 * SEC, BW_WAIT_SEMAPHORE, 0), /* stuck */
		mk(1, 13, 'S', 20 * SEC, BW_WAIT_MUTEX, 0),	/* stuck: owner unknown */
		mk(1, 14, 'S', 20 * SEC, BW_WAIT_MUTEX, 0),	/* leak: owner exited */
		mk(1, 15, 'D', 20 * SEC, BW_WAIT_IO, 0),	/* blocked */
		mk(1, 16, 'S', 20 * SEC, BW_WAIT_MUTEX, 16),	/* self-deadlock */
		mk(1, 17, 'S', 20 * SEC, BW_WAIT_MUTEX, 10),	/* blocked: the owner will wake */
		mk(1, 18, 'S', 20 * SEC, BW_WAIT_RUNTIME, 0),	/* idle */
	};
	size_t n = sizeof(t) / sizeof(t[0]);
	struct {
		__u32 tid;
		enum bw_verdict v;
		enum bw_reason r;
	} want[] = {
		{ 1, BW_VERDICT_IDLE, BW_REASON_NONE },
		{ 2, BW_VERDICT_DEADLOCK, BW_REASON_CYCLE },
		{ 3, BW_VERDICT_DEADLOCK, BW_REASON_CYCLE },
		{ 4, BW_VERDICT_STUCK, BW_REASON_NO_WAKER },
		{ 5, BW_VERDICT_STUCK, BW_REASON_OWNER_STUCK },
		{ 6, BW_VERDICT_BLOCKED, BW_REASON_NONE },
		{ 7, BW_VERDICT_NONE, BW_REASON_NONE },
		{ 8, BW_VERDICT_BLOCKED, BW_REASON_NONE },
		{ 9, BW_VERDICT_NONE, BW_REASON_NONE },
		{ 10, BW_VERDICT_IDLE, BW_REASON_NONE },
		{ 11, BW_VERDICT_NONE, BW_REASON_NONE },
		{ 12, BW_VERDICT_STUCK, BW_REASON_NO_WAKER },
		{ 13, BW_VERDICT_STUCK, BW_REASON_NO_WAKER },
		{ 14, BW_VERDICT_LEAK, BW_REASON_OWNER_GONE },
		{ 15, BW_VERDICT_BLOCKED, BW_REASON_NONE },
		{ 16, BW_VERDICT_DEADLOCK, BW_REASON_CYCLE },
		{ 17, BW_VERDICT_BLOCKED, BW_REASON_NONE },
		{ 18, BW_VERDICT_IDLE, BW_REASON_NONE },
	};
	size_t i;

	t[13].gone_owner_tid = 99;
	cr_assert_eq(bw_classify_opts(t, n, &by_threshold), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct bw_thread *x = find(t, n, want[i].tid);

		cr_expect_eq(x->verdict, want[i].v, "tid %u: got %s, want %s", want[i].tid,
			     bw_verdict_name(x->verdict), bw_verdict_name(want[i].v));
		cr_expect_eq(x->reason, want[i].r, "tid %u: reason %s, want %s", want[i].tid,
			     bw_reason_name(x->reason), bw_reason_name(want[i].r));
		/* Every claim carries its evidence. */
		if (x->verdict >= BW_VERDICT_STUCK)
			cr_expect(x->why[0], "tid %u: %s without a why", want[i].tid,
				  bw_verdict_name(x->verdict));
	}
	cr_expect_str_eq(find(t, n, 2)->why, "cycle: 2 -> 3 -> 2");
	cr_expect_str_eq(find(t, n, 16)->why, "cycle: 16 -> 16");
	cr_expect(strstr(find(t, n, 14)->why, "99"), "%s", find(t, n, 14)->why);
}

Test(classify, proof_follows_the_wait_for_graph)
{
	struct bw_thread t[] = {
		mk(1, 1, 'S', 20 * SEC, BW_WAIT_MUTEX, 2), /* deadlock pair */
		mk(1, 2, 'S', 20 * SEC, BW_WAIT_MUTEX, 1),
		mk(1, 3, 'S', 20 * SEC, BW_WAIT_JOIN, 1),    /* leak: joins a deadlocked thread */
		mk(1, 4, 'S', 20 * SEC, BW_WAIT_MUTEX, 0),   /* leak: its owner exited */
		mk(1, 5, 'S', 20 * SEC, BW_WAIT_MUTEX, 4),   /* leak: owner leaked */
		mk(1, 6, 'S', 20 * SEC, BW_WAIT_JOIN, 5),    /* leak: down the chain */
		mk(1, 7, 'S', 20 * SEC, BW_WAIT_CONDVAR, 0), /* stuck */
		mk(1, 8, 'S', 20 * SEC, BW_WAIT_MUTEX, 7),   /* stuck: owner stuck */
		mk(1, 9, 'S', 20 * SEC, BW_WAIT_SLEEP, 0),   /* idle, timed */
		mk(1, 10, 'S', 20 * SEC, BW_WAIT_JOIN, 9),   /* idle: joins an idle thread */
		mk(1, 11, 'R', 0, BW_WAIT_NONE, 0),
		mk(1, 12, 'S', 20 * SEC, BW_WAIT_JOIN, 11), /* idle: joins a running thread */
		mk(1, 13, 'S', 20 * SEC, BW_WAIT_JOIN, 0),  /* stuck: joins nobody known */
	};
	size_t n = sizeof(t) / sizeof(t[0]);

	t[9 - 1].timed = true;
	t[3].gone_owner_tid = 4242;
	cr_assert_eq(bw_classify_opts(t, n, &by_threshold), 0);
	cr_expect_eq(find(t, n, 3)->verdict, BW_VERDICT_LEAK);
	cr_expect_eq(find(t, n, 3)->reason, BW_REASON_OWNER_DEADLOCK);
	cr_expect_eq(find(t, n, 4)->reason, BW_REASON_OWNER_GONE);
	cr_expect_eq(find(t, n, 5)->verdict, BW_VERDICT_LEAK);
	cr_expect_eq(find(t, n, 5)->reason, BW_REASON_OWNER_LEAK);
	cr_expect_eq(find(t, n, 6)->verdict, BW_VERDICT_LEAK);
	cr_expect_eq(find(t, n, 6)->reason, BW_REASON_OWNER_LEAK);
	cr_expect_eq(find(t, n, 7)->verdict, BW_VERDICT_STUCK);
	cr_expect_eq(find(t, n, 8)->verdict, BW_VERDICT_STUCK);
	cr_expect_eq(find(t, n, 8)->reason, BW_REASON_OWNER_STUCK);
	cr_expect_eq(find(t, n, 10)->verdict, BW_VERDICT_IDLE);
	cr_expect_eq(find(t, n, 10)->reason, BW_REASON_JOIN_LIVE);
	cr_expect_eq(find(t, n, 12)->verdict, BW_VERDICT_IDLE);
	cr_expect_str_eq(find(t, n, 12)->why, "joins 11, which is running");
	cr_expect_eq(find(t, n, 13)->verdict, BW_VERDICT_STUCK);
}

Test(classify, pools_are_idle)
{
	struct bw_thread t[] = {
		mk(1, 1, 'S', 20 * SEC, BW_WAIT_CONDVAR, 0), /* a pool on one condvar */
		mk(1, 2, 'S', 20 * SEC, BW_WAIT_CONDVAR, 0),
		mk(1, 3, 'S', 20 * SEC, BW_WAIT_SEMAPHORE, 0), /* two on one semaphore, */
		mk(1, 4, 'S', 20 * SEC, BW_WAIT_SEMAPHORE, 0), /* never woken: stuck */
		mk(1, 5, 'S', 20 * SEC, BW_WAIT_SEMAPHORE, 0), /* alone, woke often: stuck */
		mk(2, 6, 'S', 20 * SEC, BW_WAIT_CONDVAR, 0),   /* same address, other process */
	};
	size_t n = sizeof(t) / sizeof(t[0]);

	t[0].wait_addr = 0x1000;
	t[1].wait_addr = 0x1004; /* the condvar's other signal word */
	t[0].voluntary_switches = 2;
	t[1].has_history = true;
	t[1].history.blocks = 3;
	t[2].wait_addr = t[3].wait_addr = 0x2000;
	t[2].voluntary_switches = t[3].voluntary_switches = BW_POOL_MIN_WAKEUPS - 1;
	t[4].wait_addr = 0x3000;
	t[4].voluntary_switches = 100;
	t[5].wait_addr = 0x1000;
	t[5].voluntary_switches = 100;
	cr_assert_eq(bw_classify_opts(t, n, &by_threshold), 0);
	cr_expect_eq(find(t, n, 1)->verdict, BW_VERDICT_IDLE);
	cr_expect_eq(find(t, n, 1)->reason, BW_REASON_POOL);
	cr_expect_eq(find(t, n, 2)->reason, BW_REASON_POOL);
	cr_expect(strstr(find(t, n, 1)->why, "2 threads"), "%s", find(t, n, 1)->why);
	cr_expect_eq(find(t, n, 3)->verdict, BW_VERDICT_STUCK);
	cr_expect_eq(find(t, n, 4)->verdict, BW_VERDICT_STUCK);
	cr_expect_eq(find(t, n, 5)->verdict, BW_VERDICT_STUCK);
	cr_expect_eq(find(t, n, 6)->verdict, BW_VERDICT_STUCK);
}

static struct bw_frame frames[2];

Test(classify, runtime_table_and_ignore)
{
	struct bw_thread t[] = {
		mk(1, 1, 'S', 20 * SEC, BW_WAIT_SEMAPHORE, 0),
		mk(1, 2, 'S', 20 * SEC, BW_WAIT_CONDVAR, 0),
	};
	struct bw_classify_opts o = { .threshold_ns = THRESHOLD };
	static char pats[] = "# ours\nmy_idle_*\n";
	struct bw_patterns *user = NULL;
	FILE *f;

	snprintf(frames[0].func, sizeof(frames[0].func), "_ZN14PosixSemaphore4waitEv");
	snprintf(frames[1].func, sizeof(frames[1].func), "_ZN10GangWorker4loopEv");
	t[0].ustack = frames;
	t[0].ustack_entries = 2;
	snprintf(t[1].comm, sizeof(t[1].comm), "worker");
	t[1].ustack = &frames[1]; /* not under the user's patterns yet */
	t[1].ustack_entries = 1;
	cr_assert_eq(bw_classify_opts(t, 2, &o), 0);
	cr_expect_eq(find(t, 2, 1)->verdict, BW_VERDICT_IDLE);
	cr_expect_eq(find(t, 2, 1)->reason, BW_REASON_RUNTIME);
	cr_expect(strstr(find(t, 2, 1)->why, "JVM"), "%s", find(t, 2, 1)->why);

	o.no_builtin = true;
	cr_assert_eq(bw_classify_opts(t, 2, &o), 0);
	cr_expect_eq(find(t, 2, 1)->verdict, BW_VERDICT_STUCK);

	f = fmemopen(pats, strlen(pats), "r");
	cr_assert_not_null(f);
	cr_assert_eq(bw_patterns__new(&user), 0);
	cr_assert_eq(bw_patterns__read(user, f), 0);
	fclose(f);
	snprintf(frames[1].func, sizeof(frames[1].func), "my_idle_loop");
	o.ignore = user;
	cr_assert_eq(bw_classify_opts(t, 2, &o), 0);
	cr_expect_eq(find(t, 2, 2)->verdict, BW_VERDICT_IDLE);
	cr_expect_eq(find(t, 2, 2)->reason, BW_REASON_IGNORED);
	cr_expect_str_eq(find(t, 2, 2)->why, "my_idle_loop matches --ignore");
	bw_patterns__free(user);
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
	cr_assert_eq(bw_classify_opts(t, 4, &by_threshold), 0);
	cr_assert_eq(find(t, 4, 1)->verdict, BW_VERDICT_BLOCKED);
	cr_assert_eq(find(t, 4, 3)->verdict, BW_VERDICT_IDLE);
	cr_assert_eq(find(t, 4, 4)->verdict, BW_VERDICT_BLOCKED);
	cr_assert(bw_thread_stuck(find(t, 4, 3), THRESHOLD));
	cr_assert_not(bw_thread_stuck(find(t, 4, 2), THRESHOLD));
}

/* adj of n nodes from "i>j" edge pairs. */
static void edges(bool *adj, size_t n, const int (*e)[2], size_t ne)
{
	size_t k;

	memset(adj, 0, n * n);
	for (k = 0; k < ne; k++)
		adj[e[k][0] * n + e[k][1]] = true;
}

Test(waitgraph, cycles_ring_of_three)
{
	const int e[][2] = { { 0, 1 }, { 1, 2 }, { 2, 0 } };
	bool adj[9];
	long next[3];

	edges(adj, 3, e, 3);
	cr_assert_eq(bw_waitgraph_cycles(adj, 3, next), 0);
	cr_assert_eq(next[0], 1);
	cr_assert_eq(next[1], 2);
	cr_assert_eq(next[2], 0);
}

Test(waitgraph, cycles_pair_tail_chain_and_self_edge)
{
	/* 0 <-> 1, 2 -> 0 (a tail), 3 -> 4 -> 5 (a chain), 6 -> 6 (ignored) */
	const int e[][2] = { { 0, 1 }, { 1, 0 }, { 2, 0 }, { 3, 4 }, { 4, 5 }, { 6, 6 } };
	bool adj[49];
	long next[7];
	size_t i;

	edges(adj, 7, e, sizeof(e) / sizeof(e[0]));
	cr_assert_eq(bw_waitgraph_cycles(adj, 7, next), 0);
	cr_assert_eq(next[0], 1);
	cr_assert_eq(next[1], 0);
	for (i = 2; i < 7; i++)
		cr_assert_eq(next[i], -1, "node %zu: next %ld", i, next[i]);
}

Test(waitgraph, cycles_successor_is_on_the_cycle)
{
	/* 0 -> 1 leads nowhere; 0 -> 2 -> 3 -> 0 is the cycle; 3 -> 1 too */
	const int e[][2] = { { 0, 1 }, { 0, 2 }, { 2, 3 }, { 3, 1 }, { 3, 0 } };
	bool adj[16];
	long next[4];

	edges(adj, 4, e, sizeof(e) / sizeof(e[0]));
	cr_assert_eq(bw_waitgraph_cycles(adj, 4, next), 0);
	cr_assert_eq(next[0], 2);
	cr_assert_eq(next[1], -1);
	cr_assert_eq(next[2], 3);
	cr_assert_eq(next[3], 0);
}

Test(waitgraph, cycles_long_ring_backwards)
{
	enum { N = 64 };
	static bool adj[N * N];
	long next[N];
	size_t i;

	memset(adj, 0, sizeof(adj));
	for (i = 0; i < N; i++)
		adj[i * N + (i + N - 1) % N] = true;
	cr_assert_eq(bw_waitgraph_cycles(adj, N, next), 0);
	for (i = 0; i < N; i++)
		cr_assert_eq(next[i], (long)((i + N - 1) % N));
	adj[0 * N + N - 1] = false; /* cut once: no cycle left */
	cr_assert_eq(bw_waitgraph_cycles(adj, N, next), 0);
	for (i = 0; i < N; i++)
		cr_assert_eq(next[i], -1);
}

Test(waitgraph, cycles_empty)
{
	long next[1] = { 7 };

	cr_assert_eq(bw_waitgraph_cycles(NULL, 0, next), 0);
	cr_assert_eq(next[0], 7);
}
