// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "core/autosnap.h"
#include "fixture.h"

#define SEC 1000000000ULL
#define EVERY (600 * SEC)

static struct bw_autosnap *as;

static void setup(void)
{
	cr_assert_eq(bw_autosnap__new(&as), 0);
}

static void teardown(void)
{
	bw_autosnap__free(as);
}

/* The pids due at now, as "1,2," (or "" for none). */
static const char *due(const struct bw_capture *c, __u64 now)
{
	static char buf[128];
	__u32 *pids;
	size_t i, n, len = 0;

	cr_assert_eq(bw_autosnap__due(as, c, now, EVERY, &pids, &n), 0);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%u,", pids[i]);
	free(pids);
	return buf;
}

/* pid 100: a deadlocked pair; pid 200: nothing wrong; pid 300: a leaked thread. */
static void threads_init(struct bw_thread *t)
{
	fx_thread(&t[0], 100, 101, "a", BW_WAIT_MUTEX, BW_VERDICT_DEADLOCK, 0);
	fx_thread(&t[1], 100, 102, "b", BW_WAIT_MUTEX, BW_VERDICT_DEADLOCK, 0);
	fx_thread(&t[2], 200, 201, "c", BW_WAIT_NONE, BW_VERDICT_IDLE, 0);
	fx_thread(&t[3], 300, 301, "d", BW_WAIT_MUTEX, BW_VERDICT_LEAK, 0);
}

TestSuite(autosnap, .init = setup, .fini = teardown);

Test(autosnap, new_deadlock_and_leak_due_once)
{
	struct bw_thread t[4];
	struct bw_capture c;

	threads_init(t);
	fx_capture(&c, t, 4);
	cr_assert_str_eq(due(&c, SEC), "100,300,", "first seen: both due, not the idle one");
	cr_assert_eq(bw_autosnap__taken(as, &c, 100, SEC), 0);
	cr_assert_eq(bw_autosnap__taken(as, &c, 300, SEC), 0);
	cr_assert_str_eq(due(&c, 2 * SEC), "", "nothing new since");
	cr_assert_str_eq(due(&c, 2 * EVERY), "", "nothing new, however late");
}

Test(autosnap, rate_limit_keeps_what_is_due)
{
	struct bw_thread t[4];
	struct bw_capture c;

	threads_init(t);
	fx_capture(&c, t, 3);
	cr_assert_str_eq(due(&c, SEC), "100,");
	cr_assert_eq(bw_autosnap__taken(as, &c, 100, SEC), 0);
	/* A third thread of 100 joins the deadlock: new, but within --snapshot-every. */
	fx_thread(&t[2], 100, 103, "c", BW_WAIT_MUTEX, BW_VERDICT_DEADLOCK, 0);
	cr_assert_str_eq(due(&c, 10 * SEC), "");
	cr_assert(!bw_autosnap__allowed(as, 100, 10 * SEC, EVERY));
	cr_assert(bw_autosnap__allowed(as, 200, 10 * SEC, EVERY), "another process is not limited");
	cr_assert_str_eq(due(&c, SEC + EVERY - 1), "");
	cr_assert_str_eq(due(&c, SEC + EVERY), "100,", "due still, once the limit has passed");
}

Test(autosnap, failed_try_counts_for_the_limit_only)
{
	struct bw_thread t[4];
	struct bw_capture c;

	threads_init(t);
	fx_capture(&c, t, 2);
	cr_assert_str_eq(due(&c, SEC), "100,");
	cr_assert_eq(bw_autosnap__tried(as, 100, SEC), 0);
	cr_assert_str_eq(due(&c, 2 * SEC), "", "not at every scan");
	cr_assert_str_eq(due(&c, SEC + EVERY), "100,", "still new after the limit");
}

Test(autosnap, gone_process_forgotten)
{
	struct bw_thread t[4];
	struct bw_capture c;

	threads_init(t);
	fx_capture(&c, t, 2);
	cr_assert_str_eq(due(&c, SEC), "100,");
	cr_assert_eq(bw_autosnap__taken(as, &c, 100, SEC), 0);
	fx_capture(&c, t + 2, 1); /* 100 exited */
	cr_assert_str_eq(due(&c, 2 * SEC), "");
	fx_capture(&c, t, 2); /* a new 100: its deadlock is new */
	cr_assert_str_eq(due(&c, 3 * SEC), "100,");
}

static void go_init(struct bw_gogroup *grp, struct bw_gorec *recs, struct bw_capture_go *go,
		    size_t count)
{
	memset(grp, 0, sizeof(*grp));
	grp->key = 0xabc;
	grp->count = count;
	grp->verdict = BW_VERDICT_LEAK;
	memset(go, 0, sizeof(*go));
	go->pid = 400;
	go->groups = grp;
	go->ngroups = 1;
	go->recs = recs;
}

Test(autosnap, leak_site_grows_past_the_bound)
{
	struct bw_gorec recs[2] = { 0 };
	struct bw_capture_go go;
	struct bw_gogroup grp;
	struct bw_capture c;

	go_init(&grp, recs, &go, 20);
	fx_capture(&c, NULL, 0);
	c.gos = &go;
	c.ngos = 1;
	cr_assert_str_eq(due(&c, SEC), "400,", "a new leak site");
	cr_assert_eq(bw_autosnap__taken(as, &c, 400, SEC), 0);
	grp.count = 39;
	cr_assert_str_eq(due(&c, 2 * EVERY), "", "under twice as many");
	grp.count = 40;
	cr_assert_str_eq(due(&c, 2 * EVERY), "400,", "doubled");
	cr_assert_eq(bw_autosnap__taken(as, &c, 400, 2 * EVERY), 0);
	/* Small sites: doubling is not enough, BW_AUTOSNAP_GROWTH_MIN more are needed. */
	grp.count = 2;
	grp.key = 0xdef;
	cr_assert_str_eq(due(&c, 4 * EVERY), "400,");
	cr_assert_eq(bw_autosnap__taken(as, &c, 400, 4 * EVERY), 0);
	grp.count = 17;
	cr_assert_str_eq(due(&c, 6 * EVERY), "");
	grp.count = 18;
	cr_assert_str_eq(due(&c, 6 * EVERY), "400,");
	/* A deadlocked goroutine is new by its goid. */
	cr_assert_eq(bw_autosnap__taken(as, &c, 400, 6 * EVERY), 0);
	recs[0].g.goid = 7;
	recs[0].verdict = BW_VERDICT_DEADLOCK;
	go.nrecs = 1;
	cr_assert_str_eq(due(&c, 8 * EVERY), "400,");
	grp.verdict = BW_VERDICT_STUCK;
	cr_assert_eq(bw_autosnap__taken(as, &c, 400, 8 * EVERY), 0);
	cr_assert_str_eq(due(&c, 10 * EVERY), "", "the same goid again is not new");
}

Test(autosnap, piled_threads_count_as_one_growing_leak)
{
	struct bw_thread t[40];
	struct bw_capture c;
	size_t i;

	for (i = 0; i < 40; i++) {
		fx_thread(&t[i], 500, 501 + i, "w", BW_WAIT_MUTEX, BW_VERDICT_LEAK, 0);
		t[i].reason = BW_REASON_PILE;
	}
	fx_capture(&c, t, 16);
	cr_assert_str_eq(due(&c, SEC), "500,");
	cr_assert_eq(bw_autosnap__taken(as, &c, 500, SEC), 0);
	fx_capture(&c, t, 31);
	cr_assert_str_eq(due(&c, 2 * EVERY), "", "new tids of a pile are not new leaks");
	fx_capture(&c, t, 32);
	cr_assert_str_eq(due(&c, 2 * EVERY), "500,", "the pile doubled");
}

Test(autosnap, names)
{
	char name[BW_SNAPNAME_BYTES];
	unsigned int seq;
	time_t t = 1796629600; /* 2026-12-07T07:46:40Z */
	time_t back;
	__u32 pid;

	cr_assert_eq(bw_snapname_make(name, sizeof(name), 42, "web-1.x_y", t, 0), 0);
	cr_assert_str_eq(name, "blockwatch-42-web-1.x_y-20261207T074640Z.snap");
	cr_assert(bw_snapname_parse(name, &pid, &back, &seq));
	cr_assert_eq(pid, 42);
	cr_assert_eq(back, t);
	cr_assert_eq(seq, 0);
	cr_assert_eq(bw_snapname_make(name, sizeof(name), 42, "../../etc/x y\n", t, 3), 0);
	cr_assert_str_eq(name, "blockwatch-42-.._.._etc_x_y_-20261207T074640Z-3.snap");
	cr_assert_null(strchr(name, '/'));
	cr_assert(bw_snapname_parse(name, &pid, &back, &seq));
	cr_assert_eq(seq, 3);
	cr_assert_eq(bw_snapname_make(name, sizeof(name), 7, "", t, 0), 0);
	cr_assert_str_eq(name, "blockwatch-7-unknown-20261207T074640Z.snap");
	cr_assert_eq(bw_snapname_make(name, sizeof(name), 7, "0123456789abcdefXYZ", t, 0), 0);
	cr_assert_str_eq(name, "blockwatch-7-0123456789abcdef-20261207T074640Z.snap",
			 "comm cut at 16");
	cr_assert_eq(bw_snapname_make(name, 20, 7, "x", t, 0), -ENAMETOOLONG);

	cr_assert(bw_snapname_parse("blockwatch-1-a-b-20261207T074640Z.snap", &pid, NULL, NULL));
	cr_assert_eq(pid, 1);
	cr_assert_not(bw_snapname_parse("blockwatch-other.snap", NULL, NULL, NULL));
	cr_assert_not(bw_snapname_parse("blockwatch-1--20261207T074640Z.snap", NULL, NULL, NULL));
	cr_assert_not(
		bw_snapname_parse("blockwatch-1-a-20261207T074640Z.snap.x1Yz9Q", NULL, NULL, NULL),
		"a temporary file of the atomic write");
	cr_assert_not(bw_snapname_parse("blockwatch-0-a-20261207T074640Z.snap", NULL, NULL, NULL));
	cr_assert_not(bw_snapname_parse("blockwatch-1-a-20261307T074640Z.snap", NULL, NULL, NULL));
	cr_assert_not(bw_snapname_parse("blockwatch-1-a-20261207T074640Z-.snap", NULL, NULL, NULL));
	cr_assert_not(
		bw_snapname_parse("blockwatch-1-a b-20261207T074640Z.snap", NULL, NULL, NULL));
	cr_assert_not(bw_snapname_parse("xblockwatch-1-a-20261207T074640Z.snap", NULL, NULL, NULL));
	cr_assert_not(bw_snapname_parse("blockwatch-1-a-20261207T074640Z.bw", NULL, NULL, NULL));
}

static size_t removed(const struct bw_snapfile *f, size_t n, char *out, size_t len)
{
	size_t i, k = 0, used = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		if (f[i].remove) {
			used += snprintf(out + used, len - used, "%s,", f[i].name);
			k++;
		}
	return k;
}

Test(autosnap, prune_oldest_first)
{
	struct bw_snapfile f[5] = {
		{ .name = "c", .t = 300, .bytes = 10 },
		{ .name = "a", .t = 100, .bytes = 10 },
		{ .name = "b1", .t = 200, .seq = 1, .bytes = 10 },
		{ .name = "b0", .t = 200, .bytes = 10 },
		{ .name = "d", .t = 400, .bytes = 10 },
	};
	char out[64];

	cr_assert_eq(bw_snapfiles_prune(f, 5, 20, 1000), 0);
	cr_assert_eq(bw_snapfiles_prune(f, 5, 3, 1000), 2);
	removed(f, 5, out, sizeof(out));
	cr_assert_str_eq(out, "a,b0,", "by time, then by seq");
	cr_assert_eq(bw_snapfiles_prune(f, 5, 20, 25), 3, "the size bound");
	removed(f, 5, out, sizeof(out));
	cr_assert_str_eq(out, "a,b0,b1,");
	cr_assert_eq(bw_snapfiles_prune(f, 5, 20, 5), 4, "the newest stays even past it");
	removed(f, 5, out, sizeof(out));
	cr_assert_str_eq(out, "a,b0,b1,c,");
	cr_assert_eq(bw_snapfiles_prune(f, 0, 1, 1), 0);
}
