// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include "threads/idlewait.h"

static struct bw_frame fr[4];

static int stack(const char *const *funcs, const char *const *modules, int n)
{
	int i;

	memset(fr, 0, sizeof(fr));
	for (i = 0; i < n; i++) {
		snprintf(fr[i].func, sizeof(fr[i].func), "%s", funcs[i]);
		snprintf(fr[i].module, sizeof(fr[i].module), "%s", modules[i]);
	}
	return n;
}

static const struct bw_idle_rule *match(const char *comm, const char *proc, int n)
{
	struct bw_idle_input in = { .comm = comm, .proc_comm = proc, .frames = fr, .nframes = n };

	return bw_idle_match(&in);
}

Test(idlewait, cpython_queue_and_threading)
{
	const char *f[] = { "__new_sem_wait_slow64.constprop.0", "PyThread_acquire_lock_timed", "",
			    "_PyEval_EvalFrameDefault" };
	const char *m[] = { "libc.so.6", "python3.11", "_queue.cpython-311-x86_64-linux-gnu.so",
			    "python3.11" };
	const struct bw_idle_rule *r = match("python3", "python3", stack(f, m, 4));

	cr_assert_not_null(r);
	cr_expect_str_eq(r->runtime, "CPython");
	cr_expect(strstr(r->what, "SimpleQueue"), "%s", r->what);
	m[2] = "python3.11"; /* a threading lock: no _queue frame */
	r = match("python3", "python3", stack(f, m, 4));
	cr_assert_not_null(r);
	cr_expect(strstr(r->what, "threading"), "%s", r->what);
	/* a lock acquire from C code, not from Python: not known to be idle */
	f[3] = "main";
	m[2] = "python3.11";
	cr_expect_null(match("python3", "python3", stack(f, m, 4)));
}

/*
 * A stack read back from a snapshot shows Python frames where the eval loop
 * was: to the table they are that loop, so the same thread stays idle.
 */
Test(idlewait, cpython_python_frames_stand_for_the_eval_loop)
{
	const char *f[] = { "__new_sem_wait_slow64.constprop.0", "PyThread_acquire_lock_timed",
			    "lock_PyThread_acquire_lock", "Event.wait" };
	const char *m[] = { "libc.so.6", "python3.11", "python3.11", "" };
	const struct bw_idle_rule *r;

	stack(f, m, 4);
	r = match("python3", "python3", 4);
	cr_expect_null(r, "a frame named like Python's is not one");
	fr[3].source = BW_SYM_PYTHON;
	r = match("python3", "python3", 4);
	cr_assert_not_null(r);
	cr_expect(strstr(r->what, "threading"), "%s", r->what);
}

Test(idlewait, jvm_by_frames_and_by_names)
{
	const char *f[] = { "pthread_cond_wait", "_ZN6Parker4parkEbl", "Unsafe_Park", "" };
	const char *m[] = { "libc.so.6", "libjvm.so", "libjvm.so", "" };
	const char *plain[] = { "pthread_cond_wait", "", "", "" };
	const struct bw_idle_rule *r;

	r = match("pool-1-thread-1", "java", stack(f, m, 4));
	cr_assert_not_null(r);
	cr_expect(strstr(r->what, "parked"), "%s", r->what);
	/* Parker::park without Unsafe_Park outside it is not a Java park */
	cr_expect_null(match("worker", "java", stack(f, m, 2)));
	/* no frames (a stripped libjvm): the names HotSpot gives */
	cr_expect_not_null(match("GC Thread#3", "java", stack(plain, m, 1)));
	cr_expect_not_null(match("C2 CompilerThre", "java", stack(plain, m, 1)));
	cr_expect_not_null(match("Reference Handl", "java", stack(plain, m, 1)));
	/* those names elsewhere mean nothing */
	cr_expect_null(match("GC Thread#3", "myserver", stack(plain, m, 1)));
	cr_expect_null(match("GC Thread#3", NULL, stack(plain, m, 1)));
}

Test(idlewait, daemons_and_allocators)
{
	const char *f[] = { "pthread_cond_wait", "bioProcessBackgroundJobs" };
	const char *m[] = { "libc.so.6", "redis-server" };
	const char *anon[] = { "pthread_cond_wait", "" };

	cr_expect_not_null(match("bio_aof", "redis-server", stack(f, m, 2)));
	cr_expect_not_null(match("jemalloc_bg_thd", "redis-server", stack(anon, m, 2)));
	cr_expect_not_null(match("bio_close_file", "redis-server", stack(anon, m, 2)));
	cr_expect_null(match("bio_close_file", "other", stack(anon, m, 2)));
	cr_expect_null(match("worker", "other", stack(anon, m, 2)));
}

Test(idlewait, every_entry_is_complete)
{
	size_t i, n;
	const struct bw_idle_rule *t = bw_idle_table(&n);

	cr_assert_gt(n, 20);
	for (i = 0; i < n; i++) {
		cr_expect(t[i].runtime && t[i].what, "entry %zu lacks its names", i);
		cr_expect(t[i].func || t[i].comm, "entry %zu matches everything", i);
		cr_expect(!t[i].under || t[i].func, "entry %zu: under without func", i);
	}
}
