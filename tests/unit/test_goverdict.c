// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include "go/goverdict.h"
#include "go/gowait.h"

#define SEC 1000000000ULL
#define THRESHOLD (10 * SEC)

static struct bw_gorec rec(__u64 goid, const char *reason, const char *at, const char *by)
{
	struct bw_gorec r;

	memset(&r, 0, sizeof(r));
	r.g.goid = goid;
	r.g.gaddr = 0xc000000000ULL + goid * 0x200;
	r.g.status = BW_GSTATUS_WAITING;
	r.g.wait_reason = reason;
	r.g.sched_pc = 0x401000;
	r.g.sched_sp = 0xc000100000ULL + goid * 0x1000;
	r.g.stack_hash = 42;
	r.blocked_at = (struct bw_gofunc){ .name = at, .file = "main.go", .line = 10 };
	r.created_by = (struct bw_gofunc){ .name = by, .file = "main.go", .line = 20 };
	r.runtime_only = !strncmp(at, "runtime.", 8) && !strncmp(by, "runtime.", 8);
	return r;
}

static struct bw_patterns *builtin(void)
{
	struct bw_patterns *p;

	cr_assert_eq(bw_patterns__new(&p), 0);
	cr_assert_eq(bw_gobenign_add(p), 0);
	return p;
}

Test(goverdict, patterns)
{
	struct bw_patterns *p = builtin();
	FILE *f = fmemopen((char[]){ "# mine\n  main.(*pool).worker  # idle workers\n\nfoo.*\n" },
			   60, "r");

	cr_assert_eq(bw_patterns__read(p, f), 0);
	fclose(f);
	cr_assert(bw_patterns__match(p, "main.(*pool).worker"));
	cr_assert(bw_patterns__match(p, "foo.bar"));
	cr_assert(bw_patterns__match(p, "os/signal.loop"));
	/* Reachability decides these now: no whole-module or idiom excuses. */
	cr_assert_not(bw_patterns__match(p, "net/http.(*persistConn).writeLoop"));
	cr_assert_not(bw_patterns__match(p, "google.golang.org/grpc.(*Server).Serve"));
	cr_assert_not(bw_patterns__match(p, "main.leakSend"));
	cr_assert_not(bw_patterns__match(p, "# mine"));
	bw_patterns__free(p);
}

/* Runs the tracker over the same goroutines at the given times. */
static void track(struct bw_gotracker *t, struct bw_gorec *r, size_t n, __u64 now,
		  const struct bw_patterns *p, struct bw_gogroup **g, size_t *ng)
{
	cr_assert_eq(bw_gotracker__update(t, r, n, now, THRESHOLD, p, g, ng), 0);
}

Test(goverdict, parked_in_place_ages_and_is_judged)
{
	struct bw_patterns *p = builtin();
	struct bw_gotracker *t;
	struct bw_gogroup *g = NULL;
	size_t ng, i;
	struct bw_gorec r[] = {
		rec(10, "chan send", "main.leakSend", "main.gather"),
		rec(11, "chan send", "main.leakSend", "main.gather"),
		rec(12, "select (no cases)", "main.worker", "main.main"),
		rec(1, "select (no cases)", "main.main", "runtime.main"),
		rec(13, "IO wait", "net.(*conn).Read", "main.serve"),
		rec(14, "select", "net/http.(*persistConn).writeLoop",
		    "net/http.(*Transport).dialConn"),
		rec(15, "GC worker (idle)", "runtime.gcBgMarkWorker",
		    "runtime.gcBgMarkStartWorkers"),
		rec(16, "sync.Mutex.Lock", "main.lockForever", "main.main"),
		rec(17, "sleep", "main.sleeper", "main.main"),
	};
	size_t n = sizeof(r) / sizeof(r[0]);

	/* What the liveness search found: the leaks proven, the writeLoop's channel live. */
	r[0].g.reach = r[1].g.reach = r[2].g.reach = r[3].g.reach = BW_REACH_DEAD;
	r[5].g.reach = BW_REACH_LIVE;
	r[7].g.reach = BW_REACH_CUT;
	cr_assert_eq(bw_gotracker__new(&t), 0);
	track(t, r, n, 100 * SEC, p, &g, &ng);
	for (i = 0; i < n; i++) {
		cr_assert_eq(r[i].blocked_ns, 0, "first sight has no age without waitsince");
		cr_assert_eq(r[i].verdict, BW_VERDICT_NONE);
	}
	free(g);
	track(t, r, n, 111 * SEC, p, &g, &ng);
	/* recs are sorted by goid now: 1, 10, 11, ... */
	for (i = 0; i < n; i++) {
		const char *at = r[i].blocked_at.name;
		enum bw_verdict want = BW_VERDICT_IDLE;

		cr_assert_eq(r[i].blocked_ns, 11 * SEC);
		if (!strcmp(at, "main.leakSend") || !strcmp(at, "main.worker"))
			want = BW_VERDICT_LEAK;
		if (!strcmp(at, "main.lockForever"))
			want = BW_VERDICT_STUCK; /* no proof either way: never a leak */
		cr_expect_eq(r[i].verdict, want, "goid %llu at %s: got %s",
			     (unsigned long long)r[i].g.goid, at, bw_verdict_name(r[i].verdict));
	}
	cr_assert_eq(r[1].group, r[2].group, "same site, same group");
	cr_assert_eq(g[r[1].group].count, 2);
	cr_assert_eq(g[r[1].group].reported, 2);
	cr_assert_eq(g[r[1].group].verdict, BW_VERDICT_LEAK);
	cr_assert_eq(g[r[1].group].oldest_ns, 11 * SEC);
	free(g);
	bw_gotracker__free(t);
	bw_patterns__free(p);
}

Test(goverdict, a_goroutine_that_ran_starts_over)
{
	struct bw_patterns *p = builtin();
	struct bw_gotracker *t;
	struct bw_gogroup *g;
	size_t ng;
	struct bw_gorec r = rec(20, "chan receive", "main.pingpong", "main.main");

	cr_assert_eq(bw_gotracker__new(&t), 0);
	track(t, &r, 1, 100 * SEC, p, &g, &ng);
	free(g);
	/* Same place, but its stack bytes changed (a loop counter): it ran. */
	r.g.stack_hash = 43;
	track(t, &r, 1, 120 * SEC, p, &g, &ng);
	cr_assert_eq(r.blocked_ns, 0);
	cr_assert_eq(r.verdict, BW_VERDICT_NONE);
	free(g);
	/* Its run-out counter moved. */
	r.g.tracking_seq = 7;
	track(t, &r, 1, 140 * SEC, p, &g, &ng);
	cr_assert_eq(r.blocked_ns, 0);
	free(g);
	/* A recycled g with a new goid is a new goroutine. */
	track(t, &r, 1, 150 * SEC, p, &g, &ng);
	cr_assert_eq(r.blocked_ns, 10 * SEC);
	free(g);
	r.g.goid = 21;
	track(t, &r, 1, 160 * SEC, p, &g, &ng);
	cr_assert_eq(r.blocked_ns, 0);
	free(g);
	bw_gotracker__free(t);
	bw_patterns__free(p);
}

Test(goverdict, waitsince_gives_age_at_once)
{
	struct bw_gotracker *t;
	struct bw_gogroup *g;
	size_t ng;
	struct bw_gorec r = rec(30, "chan send", "main.leakSend", "main.gather");

	r.g.reach = BW_REACH_DEAD;
	r.g.waitsince_ns = 40 * SEC;
	cr_assert_eq(bw_gotracker__new(&t), 0);
	track(t, &r, 1, 100 * SEC, NULL, &g, &ng);
	cr_assert_eq(r.blocked_ns, 60 * SEC);
	cr_assert_eq(r.verdict, BW_VERDICT_LEAK);
	free(g);
	/* A waitsince in the future (garbage) is ignored. */
	r.g.waitsince_ns = 400 * SEC;
	r.g.goid = 31;
	track(t, &r, 1, 100 * SEC, NULL, &g, &ng);
	cr_assert_eq(r.blocked_ns, 0);
	free(g);
	bw_gotracker__free(t);
}

Test(goverdict, growth_per_site)
{
	struct bw_gotracker *t;
	struct bw_gogroup *g;
	struct bw_gorec r[8];
	size_t ng, i;

	cr_assert_eq(bw_gotracker__new(&t), 0);
	for (i = 0; i < 8; i++)
		r[i] = rec(100 + i, "chan send", "main.leakSend", "main.gather");
	track(t, r, 2, 0, NULL, &g, &ng);
	cr_assert_eq(ng, 1);
	cr_assert_float_eq(g[0].growth_per_min, 0.0, 1e-9);
	free(g);
	track(t, r, 8, 30 * SEC, NULL, &g, &ng); /* +6 in half a minute */
	cr_assert_float_eq(g[0].growth_per_min, 12.0, 1e-6);
	free(g);
	bw_gotracker__free(t);
}

Test(goverdict, leaked_status_and_benign_creator)
{
	struct bw_patterns *p = builtin();
	struct bw_gotracker *t;
	struct bw_gogroup *g;
	size_t ng;
	struct bw_gorec r[] = {
		rec(40, "chan receive", "main.x", "main.main"),
		rec(41, "chan receive", "main.y", "os/signal.Notify.func1"),
	};

	r[0].g.status = BW_GSTATUS_LEAKED;
	r[0].g.waitsince_ns = 1;
	r[1].g.waitsince_ns = 1;
	r[1].created_by.name = "os/signal.loop";
	cr_assert_eq(bw_gotracker__new(&t), 0);
	track(t, r, 2, 100 * SEC, p, &g, &ng);
	cr_assert_eq(r[0].verdict, BW_VERDICT_LEAK);
	cr_assert_eq(r[1].verdict, BW_VERDICT_IDLE);
	free(g);
	bw_gotracker__free(t);
	bw_patterns__free(p);
}

/* Judges recs once, all parked 100 s (waitsince), with the builtin patterns. */
static void judge(struct bw_gorec *r, size_t n, struct bw_gogroup **g, size_t *ng)
{
	struct bw_patterns *p = builtin();
	struct bw_gotracker *t;
	size_t i;

	for (i = 0; i < n; i++)
		r[i].g.waitsince_ns = 1;
	cr_assert_eq(bw_gotracker__new(&t), 0);
	track(t, r, n, 101 * SEC, p, g, ng);
	bw_gotracker__free(t);
	bw_patterns__free(p);
}

Test(goverdict, sync_waits_are_judged_by_reachability)
{
	struct bw_gogroup *g;
	size_t ng;
	struct bw_gorec r[] = {
		rec(50, "sync.Mutex.Lock", "main.a", "main.main"),
		rec(51, "sync.WaitGroup.Wait", "main.b", "main.main"),
		rec(52, "sync.Cond.Wait", "main.c", "main.main"),
		rec(53, "semacquire", "main.d", "main.main"),
		rec(54, "sync.WaitGroup.Wait", "main.e", "main.main"),
		rec(55, "semacquire", "sync.(*Mutex).lockSlow", "main.main"),
		rec(56, "semacquire", "sync.(*WaitGroup).Wait", "main.main"),
	};

	r[0].g.reach = BW_REACH_LIVE;
	r[4].g.reach = r[5].g.reach = r[6].g.reach = BW_REACH_LIVE;
	r[5].lock_wait = true; /* as blocked_frame finds it under sync.(*Mutex).lockSlow */
	r[1].g.reach = BW_REACH_DEAD;
	r[1].g.why = BW_WHY_SYNC;
	r[2].g.reach = BW_REACH_NOOBJ;
	r[3].g.reach = BW_REACH_CUT;
	judge(r, 7, &g, &ng);
	/* A live lock wait is contention; a live wait for workers or a signal is rest. */
	cr_expect_eq(r[0].verdict, BW_VERDICT_BLOCKED);
	cr_expect_eq(r[4].verdict, BW_VERDICT_IDLE);
	cr_expect_eq(r[5].verdict, BW_VERDICT_BLOCKED, "Go 1.19 names a lock wait semacquire");
	cr_expect_eq(r[6].verdict, BW_VERDICT_IDLE);
	cr_expect_eq(r[1].verdict, BW_VERDICT_LEAK);
	cr_expect_eq(r[2].verdict, BW_VERDICT_STUCK);
	cr_expect_eq(r[3].verdict, BW_VERDICT_STUCK);
	free(g);
}

Test(goverdict, main_in_select_nothing_is_idle_only_with_others_alive)
{
	struct bw_gogroup *g;
	size_t ng;
	struct bw_gorec alone[] = {
		rec(1, "select (no cases)", "main.main", "runtime.main"),
		rec(60, "chan receive", "main.w", "main.main"),
	};
	struct bw_gorec busy[] = {
		rec(1, "select (no cases)", "main.main", "runtime.main"),
		rec(60, "chan receive", "main.w", "main.main"),
	};

	alone[0].g.reach = busy[0].g.reach = BW_REACH_DEAD;
	alone[0].g.why = busy[0].g.why = BW_WHY_NOCASES;
	alone[1].g.reach = BW_REACH_DEAD;
	alone[1].g.why = BW_WHY_CHAN;
	busy[1].g.reach = BW_REACH_LIVE;
	judge(alone, 2, &g, &ng);
	cr_expect_eq(alone[0].verdict, BW_VERDICT_LEAK, "nothing else alive: main can never go on");
	free(g);
	judge(busy, 2, &g, &ng);
	cr_expect_eq(busy[0].verdict, BW_VERDICT_IDLE);
	cr_expect_eq(busy[1].verdict, BW_VERDICT_IDLE);
	free(g);
}

Test(goverdict, main_in_select_nothing_below_main_main_is_idle)
{
	struct bw_gogroup *g;
	size_t ng;
	/* caddy parks its main goroutine in cmd.cmdRun, called from main.main. */
	struct bw_gorec r[] = {
		rec(1, "select (no cases)", "github.com/caddyserver/caddy/v2/cmd.cmdRun",
		    "runtime.main"),
		rec(60, "chan receive", "main.w", "main.main"),
		rec(61, "select (no cases)", "main.selectNoCases", "main.leak"),
	};

	r[0].g.reach = r[2].g.reach = BW_REACH_DEAD;
	r[0].g.why = r[2].g.why = BW_WHY_NOCASES;
	r[1].g.reach = BW_REACH_LIVE;
	judge(r, 3, &g, &ng);
	cr_expect_eq(r[0].verdict, BW_VERDICT_IDLE, "the main goroutine's select {} is design");
	cr_expect_eq(r[2].verdict, BW_VERDICT_LEAK, "any other goroutine's select {} leaks");
	free(g);
}

/*
 * A proof needs no age: a leak is reported however young once two reads
 * agree that it is parked in place, a re-read right after the scan
 * (in_place) or the tracker's previous update. Growth plays no part.
 */
Test(goverdict, young_proofs_parked_in_place_are_reported)
{
	struct bw_gotracker *t;
	struct bw_gogroup *g;
	struct bw_gorec r[6];
	size_t ng, i;

	cr_assert_eq(bw_gotracker__new(&t), 0);
	for (i = 0; i < 6; i++) {
		r[i] = rec(200 + i, "chan send", "main.leakSend", "main.gather");
		r[i].g.reach = BW_REACH_DEAD;
		r[i].g.why = BW_WHY_CHAN;
		r[i].g.in_place = i < 2;
	}
	/* First sight: only the two the re-read confirmed. */
	track(t, r, 6, 5 * SEC, NULL, &g, &ng);
	cr_assert_eq(ng, 1);
	for (i = 0; i < 6; i++)
		cr_expect_eq(r[i].verdict, i < 2 ? BW_VERDICT_LEAK : BW_VERDICT_NONE, "goid %zu",
			     200 + i);
	cr_expect_eq(g[0].reported, 2);
	free(g);
	for (i = 0; i < 6; i++)
		cr_expect(bw_gotracker__in_place(t, &r[i].g), "goid %zu", 200 + i);
	/* One second later, none re-read: the tracker's update is the second read. */
	r[4].g.stack_hash++; /* it ran */
	cr_expect_not(bw_gotracker__in_place(t, &r[4].g));
	for (i = 0; i < 6; i++)
		r[i].g.in_place = 0;
	track(t, r, 6, 6 * SEC, NULL, &g, &ng);
	cr_expect_eq(g[0].growth_per_min, 0, "the pile does not grow");
	for (i = 0; i < 6; i++)
		cr_expect_eq(r[i].verdict, i == 4 ? BW_VERDICT_NONE : BW_VERDICT_LEAK,
			     "goid %zu, 1 s old", 200 + i);
	cr_expect_eq(g[0].reported, 5);
	free(g);
	/* In place but not proven: the threshold still rules what is unproven. */
	r[5].g.reach = BW_REACH_LIVE;
	r[5].g.why = BW_WHY_NONE;
	r[5].g.in_place = 1;
	r[3].g.reach = BW_REACH_CUT;
	r[3].g.why = BW_WHY_NONE;
	track(t, r, 6, 7 * SEC, NULL, &g, &ng);
	cr_expect_eq(r[5].verdict, BW_VERDICT_NONE);
	cr_expect_eq(r[5].verdict_any, BW_VERDICT_IDLE);
	cr_expect_eq(r[3].verdict, BW_VERDICT_NONE);
	cr_expect_eq(r[3].verdict_any, BW_VERDICT_STUCK);
	cr_expect_eq(r[0].verdict, BW_VERDICT_LEAK);
	free(g);
	bw_gotracker__free(t);
}

Test(goverdict, a_deadlock_is_reported_whole)
{
	struct bw_gotracker *t;
	struct bw_gogroup *g;
	struct bw_gorec r[] = {
		rec(400, "sync.Mutex.Lock", "main.abFirst", "main.deadlockABBA"),
		rec(401, "sync.Mutex.Lock", "main.abSecond", "main.deadlockABBA"),
		rec(402, "chan send", "main.leakSend", "main.gather"),
	};
	size_t ng, i;

	for (i = 0; i < 2; i++) {
		r[i].g.reach = BW_REACH_DEAD;
		r[i].g.why = BW_WHY_CYCLE;
		r[i].g.why_goid = 401 - i;
	}
	r[2].g.reach = BW_REACH_DEAD;
	r[2].g.why = BW_WHY_CHAN;
	cr_assert_eq(bw_gotracker__new(&t), 0);
	track(t, r, 3, 0, NULL, &g, &ng);
	free(g);
	/* The runtime moved abSecond's and leakSend's stacks: parked in place since 19 s only. */
	r[1].g.sched_sp += 0x100;
	r[2].g.sched_sp += 0x100;
	track(t, r, 3, 19 * SEC, NULL, &g, &ng);
	free(g);
	/* abSecond moved again: no two reads agree on it, only abFirst's evidence names it. */
	r[1].g.sched_sp += 0x100;
	track(t, r, 3, 20 * SEC, NULL, &g, &ng);
	cr_expect_eq(r[0].verdict, BW_VERDICT_DEADLOCK);
	cr_expect_eq(r[1].verdict, BW_VERDICT_DEADLOCK, "the member abFirst's evidence names");
	cr_expect_eq(r[1].g.why, BW_WHY_CYCLE);
	cr_expect_eq(g[r[1].group].reported, 1);
	cr_expect_eq(g[r[1].group].verdict, BW_VERDICT_DEADLOCK);
	cr_expect_eq(r[2].verdict, BW_VERDICT_LEAK, "a young leak parked in place needs no age");
	free(g);
	bw_gotracker__free(t);
}
