// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include "platform/filter.h"

#define SELF 300

static struct bw_task_rec rec(__u32 tgid, __u32 tid, const char *comm)
{
	struct bw_task_rec r;

	memset(&r, 0, sizeof(r));
	r.tgid = tgid;
	r.tid = tid;
	strncpy(r.comm, comm, sizeof(r.comm));
	return r;
}

static int cgroup_asks;

/* 100 and 300 in /system.slice/web.service, 200 in /user.slice; 400 unreadable. */
static int fake_cgroup(pid_t pid, char *buf, size_t len)
{
	cgroup_asks++;
	if (pid == 400)
		return -ENOENT;
	snprintf(buf, len, "%s", pid == 200 ? "/user.slice" : "/system.slice/web.service");
	return 0;
}

static void assert_tids(const struct bw_task_rec *recs, size_t n, const __u32 *want, size_t nwant)
{
	size_t i;

	cr_assert_eq(n, nwant, "kept %zu threads, want %zu", n, nwant);
	for (i = 0; i < n; i++)
		cr_assert_eq(recs[i].tid, want[i], "recs[%zu].tid = %u, want %u", i, recs[i].tid,
			     want[i]);
}

/* A process is judged by its main thread's name, wherever that thread comes. */
Test(filter, recs_by_main_thread_comm)
{
	struct bw_task_rec recs[] = {
		rec(100, 101, "worker"),  rec(200, 200, "bash"),   rec(100, 100, "nginx"),
		rec(SELF, SELF, "nginx"), rec(100, 102, "worker"), rec(200, 201, "nginx"),
	};
	static const __u32 want[] = { 101, 100, 102 };
	size_t n = sizeof(recs) / sizeof(recs[0]);
	struct bw_filter *f;

	cr_assert_eq(bw_filter__new("^nginx$", NULL, NULL, &f), 0);
	cgroup_asks = 0;
	cr_assert_eq(bw_filter__recs(f, SELF, fake_cgroup, recs, &n), 0);
	assert_tids(recs, n, want, sizeof(want) / sizeof(want[0]));
	cr_assert_eq(cgroup_asks, 0, "no cgroup filter: no cgroup read");
	bw_filter__free(f);
}

Test(filter, recs_exclude_comm)
{
	struct bw_task_rec recs[] = { rec(100, 100, "nginx"), rec(200, 200, "nginx-debug"),
				      rec(200, 201, "x") };
	static const __u32 want[] = { 100 };
	size_t n = sizeof(recs) / sizeof(recs[0]);
	struct bw_filter *f;

	cr_assert_eq(bw_filter__new(NULL, "debug", NULL, &f), 0);
	cr_assert_eq(bw_filter__recs(f, SELF, fake_cgroup, recs, &n), 0);
	assert_tids(recs, n, want, 1);
	bw_filter__free(f);
}

/* Without a filter every process is kept but blockwatch. */
Test(filter, recs_never_self)
{
	struct bw_task_rec recs[] = { rec(SELF, SELF, "blockwatch"), rec(100, 100, "a"),
				      rec(SELF, SELF + 1, "blockwatch"), rec(200, 200, "b") };
	static const __u32 want[] = { 100, 200 };
	size_t n = sizeof(recs) / sizeof(recs[0]);

	cr_assert_eq(bw_filter__recs(NULL, SELF, fake_cgroup, recs, &n), 0);
	assert_tids(recs, n, want, 2);
}

/* A cgroup filter asks each process once; one whose cgroup is unknown is left out. */
Test(filter, recs_by_cgroup)
{
	struct bw_task_rec recs[] = { rec(100, 100, "a"), rec(100, 101, "a"), rec(200, 200, "b"),
				      rec(400, 400, "c"), rec(SELF, SELF, "blockwatch") };
	static const __u32 want[] = { 100, 101 };
	size_t n = sizeof(recs) / sizeof(recs[0]);
	struct bw_filter *f;

	cr_assert_eq(bw_filter__new(NULL, NULL, "/system.slice", &f), 0);
	cgroup_asks = 0;
	cr_assert_eq(bw_filter__recs(f, SELF, fake_cgroup, recs, &n), 0);
	assert_tids(recs, n, want, 2);
	cr_assert_eq(cgroup_asks, 3, "once per process but blockwatch, not per thread");
	bw_filter__free(f);
}

Test(filter, recs_none)
{
	size_t n = 0;

	cr_assert_eq(bw_filter__recs(NULL, SELF, fake_cgroup, NULL, &n), 0);
	cr_assert_eq(n, 0);
}
