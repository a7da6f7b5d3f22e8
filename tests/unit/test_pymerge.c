// SPDX-License-Identifier: GPL-2.0
/*
 * bw_pymerge: each activation of the eval loop in a native stack replaced
 * by the run of Python frames it executes; C frames of the interpreter and
 * of extensions kept in place; the native stack kept whole when the runs
 * and the activations do not match.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "python/pymerge.h"

static struct bw_frame nat(const char *func, __u64 pc)
{
	struct bw_frame f;

	memset(&f, 0, sizeof(f));
	snprintf(f.func, sizeof(f.func), "%s", func);
	snprintf(f.module, sizeof(f.module), "libpython3.11.so.1.0");
	f.pc = pc;
	f.source = BW_SYM_ELF;
	return f;
}

static struct bw_pyframe pyf(const char *qual, int line, int entry)
{
	return (struct bw_pyframe){ .name = qual,
				    .qualname = qual,
				    .file = "/srv/app.py",
				    .line = line,
				    .firstlineno = 1,
				    .code = 0x1000 + (__u64)line,
				    .entry = (__u32)entry };
}

static void expect_funcs(const struct bw_frame *m, int n, const char *const *want, int nwant)
{
	int i;

	cr_assert_eq(n, nwant, "%d frames, want %d", n, nwant);
	for (i = 0; i < n; i++)
		cr_expect_str_eq(m[i].func, want[i], "frame %d", i);
}

Test(pymerge, is_eval)
{
	struct bw_frame f = nat("_PyEval_EvalFrameDefault", 1);

	cr_expect(bw_pymerge__is_eval(&f));
	f = nat("_PyEval_EvalFrameDefault.cold", 1);
	cr_expect(bw_pymerge__is_eval(&f), "3.14's cold part is the same activation");
	f = nat("_PyEval_EvalFrameDefaultX", 1);
	cr_expect_not(bw_pymerge__is_eval(&f));
	f = nat("_PyEval_EvalFrame", 1);
	cr_expect_not(bw_pymerge__is_eval(&f), "the inline wrapper is not the loop");
	f = nat("", 1);
	cr_expect_not(bw_pymerge__is_eval(&f));
}

/* 3.11+: one activation runs the whole chain; the extension's C frame stays on top. */
Test(pymerge, one_activation_many_frames)
{
	struct bw_frame n[] = { nat("__futex_abstimed_wait_common", 1),
				nat("PyThread_acquire_lock_timed", 2),
				nat("lock_PyThread_acquire_lock", 3),
				nat("_PyEval_EvalFrameDefault", 4),
				nat("_PyEval_Vector", 5),
				nat("thread_run", 6),
				nat("start_thread", 7) };
	struct bw_pyframe p[] = { pyf("Condition.wait", 320, 0), pyf("Event.wait", 622, 0),
				  pyf("Worker.run", 40, 0), pyf("Thread._bootstrap", 995, 1) };
	const char *want[] = { "__futex_abstimed_wait_common",
			       "PyThread_acquire_lock_timed",
			       "lock_PyThread_acquire_lock",
			       "Condition.wait",
			       "Event.wait",
			       "Worker.run",
			       "Thread._bootstrap",
			       "_PyEval_Vector",
			       "thread_run",
			       "start_thread" };
	struct bw_frame *m;
	int nm;

	cr_assert_eq(bw_pymerge(n, 7, NULL, p, 4, 0, &m, &nm), 0);
	expect_funcs(m, nm, want, 10);
	cr_expect_eq(m[3].source, BW_SYM_PYTHON);
	cr_expect_eq(m[3].pc, 0);
	cr_expect_str_eq(m[3].file, "/srv/app.py");
	cr_expect_eq(m[3].line, 320);
	cr_expect_str_eq(m[3].module, "");
	cr_expect_eq(m[2].pc, 3, "C frames keep their pcs");
	cr_expect_eq(m[7].source, BW_SYM_ELF);
	free(m);
}

/*
 * A C call back into Python (a callback of an extension, a generator driven
 * from C): two activations, split at the entry frame; the C frames between
 * them stay between them. 3.14's cold part counts as an activation.
 */
Test(pymerge, two_activations_split_at_entry)
{
	struct bw_frame n[] = { nat("clock_nanosleep", 1),
				nat("time_sleep", 2),
				nat("_PyEval_EvalFrameDefault.cold", 3),
				nat("_PyEval_Vector", 4),
				nat("ext_callback", 5),
				nat("_PyEval_EvalFrameDefault", 6),
				nat("PyEval_EvalCode", 7) };
	struct bw_pyframe p[] = { pyf("on_event", 12, 0), pyf("handler", 10, 1), pyf("main", 30, 0),
				  pyf("<module>", 50, 1) };
	const char *want[] = { "clock_nanosleep", "time_sleep",	  "on_event", "handler",
			       "_PyEval_Vector",  "ext_callback", "main",     "<module>",
			       "PyEval_EvalCode" };
	struct bw_frame *m;
	int nm;

	cr_assert_eq(bw_pymerge(n, 7, NULL, p, 4, 0, &m, &nm), 0);
	expect_funcs(m, nm, want, 9);
	free(m);
}

/* Without an eval-loop frame there is nothing to merge: -ENOENT, nothing made. */
Test(pymerge, no_eval_frame)
{
	struct bw_frame n[] = { nat("epoll_wait", 1), nat("main", 2) };
	struct bw_pyframe p[] = { pyf("f", 1, 1) };
	struct bw_frame *m = (struct bw_frame *)1;
	int nm = 7;

	cr_expect_eq(bw_pymerge(n, 2, NULL, p, 1, 0, &m, &nm), -ENOENT);
	cr_expect_null(m);
	cr_expect_eq(nm, 0);
}

/* Counts that differ are never guessed at: two activations, one run (a stack cut short). */
Test(pymerge, counts_differ_keep_native)
{
	struct bw_frame n[] = { nat("_PyEval_EvalFrameDefault", 1), nat("cb", 2),
				nat("_PyEval_EvalFrameDefault", 3) };
	struct bw_pyframe one[] = { pyf("a", 1, 0), pyf("b", 2, 1) };
	struct bw_pyframe three[] = { pyf("a", 1, 1), pyf("b", 2, 1), pyf("c", 3, 1) };
	struct bw_pyframe open_end[] = { pyf("a", 1, 1), pyf("b", 2, 0) };
	struct bw_frame *m;
	int nm;

	cr_expect_eq(bw_pymerge(n, 3, NULL, one, 2, 0, &m, &nm), -EDOM);
	cr_expect_null(m);
	cr_expect_eq(bw_pymerge(n, 3, NULL, three, 3, 0, &m, &nm), -EDOM);
	cr_expect_eq(bw_pymerge(n, 3, NULL, open_end, 2, 0, &m, &nm), -EDOM,
		     "frames past the last entry belong to no activation seen");
	cr_expect_eq(bw_pymerge(n, 3, NULL, NULL, 0, 0, &m, &nm), -EDOM, "no Python frame read");
}

/* A chain the walker flagged (torn, truncated, an empty activation) is not merged. */
Test(pymerge, flagged_chain_keep_native)
{
	struct bw_frame n[] = { nat("_PyEval_EvalFrameDefault", 1) };
	struct bw_pyframe p[] = { pyf("a", 1, 0), pyf("b", 2, 1) };
	struct bw_frame *m;
	int nm;

	cr_expect_eq(bw_pymerge(n, 1, NULL, p, 2, 0, &m, &nm), 0);
	free(m);
	cr_expect_eq(bw_pymerge(n, 1, NULL, p, 2, BW_PYTHREAD_TORN, &m, &nm), -EDOM);
	cr_expect_eq(bw_pymerge(n, 1, NULL, p, 2, BW_PYTHREAD_TRUNCATED, &m, &nm), -EDOM);
	cr_expect_eq(bw_pymerge(n, 1, NULL, p, 2, BW_PYTHREAD_EMPTY_ACTIVATION, &m, &nm), -EDOM);
}

/* An unknown line is 0 (the model's "unknown"); long names and paths are cut, not overrun. */
Test(pymerge, frame_fields)
{
	struct bw_pyframe p = pyf("f", -1, 1);
	char longname[1000];
	struct bw_frame f;

	bw_pymerge__frame(&p, &f);
	cr_expect_eq(f.line, 0);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	p.qualname = longname;
	p.file = longname;
	bw_pymerge__frame(&p, &f);
	cr_expect_eq(strlen(f.func), sizeof(f.func) - 1);
	cr_expect_eq(strlen(f.file), sizeof(f.file) - 1);
}

/*
 * 3.12+: each run's shim frame is a local of its activation's C frame, so
 * the frame whose stack range holds it is the activation, named or not
 * (3.14's cold part without its debug file has no name at all).
 */
Test(pymerge, activations_by_shim_address)
{
	struct bw_frame n[] = { nat("clock_nanosleep", 1),
				nat("", 2),
				nat("", 3),
				nat("PyObject_Vectorcall", 4),
				nat("_PyEval_EvalFrameDefault", 5),
				nat("PyEval_EvalCode", 6) };
	__u64 sps[] = { 0x1000, 0x1100, 0x1200, 0x1400, 0x1500, 0x1800 };
	struct bw_pyframe p[] = { pyf("nap", 10, 1), pyf("main", 20, 1) };
	const char *want[] = { "clock_nanosleep",     "",     "nap",
			       "PyObject_Vectorcall", "main", "PyEval_EvalCode" };
	struct bw_frame *m;
	int nm;

	p[0].shim = 0x1250; /* in frame 2, unnamed: the loop's cold part */
	p[1].shim = 0x1600; /* in frame 4 */
	cr_assert_eq(bw_pymerge(n, 6, sps, p, 2, 0, &m, &nm), 0);
	expect_funcs(m, nm, want, 6);
	free(m);
	/* Without the stack pointers only the named loop counts: 1 activation, 2 runs. */
	cr_expect_eq(bw_pymerge(n, 6, NULL, p, 2, 0, &m, &nm), -EDOM);
	/* Unknown stack pointers around a shim: not found, not guessed. */
	sps[2] = 0;
	cr_expect_eq(bw_pymerge(n, 6, sps, p, 2, 0, &m, &nm), -EDOM);
}

/* A shim in a frame named otherwise, or a named loop no run falls in: the native stack stays. */
Test(pymerge, shims_that_disagree_with_names)
{
	struct bw_frame n[] = { nat("time_sleep", 1), nat("_PyEval_EvalFrameDefault", 2),
				nat("_PyEval_EvalFrameDefault", 3), nat("main", 4) };
	__u64 sps[] = { 0x1000, 0x1100, 0x1200, 0x1300 };
	struct bw_pyframe p[] = { pyf("a", 1, 1), pyf("b", 2, 1) };
	struct bw_frame *m;
	int nm;

	p[0].shim = 0x1050; /* in time_sleep */
	p[1].shim = 0x1250;
	cr_expect_eq(bw_pymerge(n, 4, sps, p, 2, 0, &m, &nm), -EDOM);
	p[0].shim = 0x1150;
	p[1].shim = 0x1150; /* both in frame 1: frame 2, a named loop, gets none */
	cr_expect_eq(bw_pymerge(n, 4, sps, p, 2, 0, &m, &nm), -EDOM);
	p[1].shim = 0x1250;
	cr_expect_eq(bw_pymerge(n, 4, sps, p, 2, 0, &m, &nm), 0);
	free(m);
	p[1].shim = 0x1350; /* past the last frame's range: unknown */
	cr_expect_eq(bw_pymerge(n, 4, sps, p, 2, 0, &m, &nm), -EDOM);
}
