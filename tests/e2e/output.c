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
