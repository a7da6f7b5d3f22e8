// SPDX-License-Identifier: GPL-2.0
/*
 * Output formats: --json writes JSON objects only, one a line, each with a
 * "type"; the default is a human report; --threshold filters records.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

static struct e2e_target tgt = { .out_fd = -1 };
static struct e2e_run run;
static char pid_arg[16];

static void teardown(void)
{
	e2e_target_stop(&tgt);
	e2e_run_free(&run);
}

TestSuite(output, .fini = teardown, .timeout = 120);

static void start(const char *name)
{
	int ret;

	if (geteuid() != 0)
		cr_skip_test("needs root to load BPF programs");
	ret = e2e_target_start(&tgt, name);
	cr_assert_eq(ret, 0, "%s", tgt.err);
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)tgt.pid);
}

static void bw(const char *const *argv)
{
	int ret = e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S);

	cr_assert_eq(ret, 0, "%s", run.errmsg);
	cr_assert(!run.timed_out, "blockwatch still running after %.0f s, killed",
		  E2E_RUN_TIMEOUT_S);
}

static size_t count_type(const char *type)
{
	size_t i, n = 0;

	for (i = 0; i < run.nlines; i++) {
		const char *t = e2e_get_string(run.objs[i], "type");

		n += t && !strcmp(t, type);
	}
	return n;
}

Test(output, json_lines_only)
{
	const char *argv[] = { "-p",	     pid_arg, "--threshold", "1s",
			       "--duration", "2s",    "--json",	     NULL };
	size_t i;

	start("deadlock_pair");
	bw(argv);
	cr_expect_eq(run.exit_code, 3, "exit %d, want 3; stderr: %s", run.exit_code, run.err);
	cr_assert_gt(run.nlines, 0, "no output");
	cr_expect_eq(run.nbad, 0, "%zu stdout lines are not JSON objects, first %s", run.nbad,
		     run.bad_line);
	for (i = 0; i < run.nlines; i++)
		cr_expect(!run.objs[i] || e2e_get_string(run.objs[i], "type"),
			  "line %zu has no string \"type\": %s", i + 1,
			  json_object_to_json_string(run.objs[i]));
	cr_expect_geq(count_type("thread"), 2, "want the two deadlocked threads at least");
}

Test(output, human_report)
{
	const char *argv[] = { "-p", pid_arg, "--duration", "1s", NULL };

	start("idle");
	bw(argv);
	cr_expect_eq(run.exit_code, 0, "exit %d, want 0; stderr: %s", run.exit_code, run.err);
	cr_expect(strstr(run.out, tgt.comm), "report does not name process \"%s\":\n%s", tgt.comm,
		  run.out);
}

Test(output, threshold_filters)
{
	const char *argv[] = { "-p",	     pid_arg, "--threshold", "60m",
			       "--duration", "1s",    "--json",	     NULL };

	start("idle");
	bw(argv);
	cr_expect_eq(run.exit_code, 0, "exit %d, want 0; stderr: %s", run.exit_code, run.err);
	cr_expect_eq(run.nbad, 0, "%zu stdout lines are not JSON objects, first %s", run.nbad,
		     run.bad_line);
	cr_expect_eq(count_type("thread"), 0, "thread records below the 60m threshold:\n%s",
		     run.out);
}

/* A poller's history, from blockwatch ARGS: futex blocks and futex wait calls. */
static void poller_history(const char *const *argv, long long *blocks, long long *futex_blocks,
			   bool *has_calls, long long *calls)
{
	const struct e2e_thread *p;
	json_object *rec, *hist;
	int tries;

	start("futex_poller");
	p = e2e_target_role(&tgt, "poller");
	cr_assert_not_null(p);
	/*
	 * Blocked 50 ms at a time, it is found blocked at the last scan unless
	 * that scan fell in the moment it ran or had just parked (a few runs in
	 * a hundred): watch again then, three watches at most.
	 */
	for (tries = 0; tries < 3; tries++) {
		if (tries)
			e2e_run_free(&run);
		bw(argv);
		cr_expect_eq(run.exit_code, 0, "exit %d; stderr: %s", run.exit_code, run.err);
		if (e2e_run_thread_recs(&run, p->tid, &rec) >= 1)
			break;
	}
	cr_assert_lt(tries, 3, "no record of the poller in three watches");
	cr_assert(json_object_object_get_ex(rec, "history", &hist), "no history: %s",
		  json_object_to_json_string(rec));
	cr_assert(e2e_get_int(hist, "blocks", blocks));
	cr_assert(e2e_get_int(hist, "futex_blocks", futex_blocks));
	*has_calls = e2e_get_int(rec, "futex_waits", calls);
}

Test(output, futex_blocks_are_counted)
{
	const char *argv[] = { "-p", pid_arg, "-t", "1ms", "-d", "2s", "--json", NULL };
	long long blocks, futex_blocks, calls;
	bool has_calls;

	poller_history(argv, &blocks, &futex_blocks, &has_calls, &calls);
	cr_expect_geq(blocks, 5, "%lld blocks in 2 s of 50 ms waits", blocks);
	cr_expect_eq(futex_blocks, blocks, "every block is a futex wait");
	cr_expect(!has_calls, "futex calls counted without --futex-calls");
}

Test(output, futex_calls_are_counted)
{
	const char *argv[] = { "-p",	 pid_arg,	  "-t", "1ms", "-d", "2s",
			       "--json", "--futex-calls", NULL };
	long long blocks, futex_blocks, calls;
	bool has_calls;

	poller_history(argv, &blocks, &futex_blocks, &has_calls, &calls);
	cr_expect_geq(futex_blocks, 5, "%lld futex blocks", futex_blocks);
	cr_assert(has_calls, "no futex_waits with --futex-calls");
	/* The open wait is a call, not yet a completed block. */
	cr_expect_geq(calls, futex_blocks, "%lld calls < %lld blocks", calls, futex_blocks);
}
