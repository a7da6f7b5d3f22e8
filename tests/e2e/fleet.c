// SPDX-License-Identifier: GPL-2.0
/* System-wide mode end to end: one run, stuck threads of several processes. */
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include "harness.h"

static struct e2e_target a = { .out_fd = -1 }, b = { .out_fd = -1 };
static struct e2e_run run;

static void teardown(void)
{
	e2e_target_stop(&a);
	e2e_target_stop(&b);
	e2e_run_free(&run);
}

TestSuite(fleet, .fini = teardown, .timeout = 120);

static void expect_verdict(const struct e2e_target *t, const char *role, const char *verdict)
{
	const struct e2e_thread *th = e2e_target_role(t, role);
	json_object *rec = NULL;
	long long pid = 0;

	cr_assert_not_null(th, "%s has no role %s", t->name, role);
	cr_assert_eq(e2e_run_thread_recs(&run, th->tid, &rec), 1, "%s/%s: want one record", t->name,
		     role);
	cr_expect_str_eq(e2e_get_string(rec, "verdict"), verdict, "%s/%s", t->name, role);
	cr_expect(e2e_get_int(rec, "pid", &pid) && pid == t->pid, "%s/%s: pid", t->name, role);
}

Test(fleet, all_processes_at_once)
{
	const char *argv[] = { "-a",	      "--comm", "^(deadlock_pair|stuck_sem)$",
			       "--threshold", "1s",	"--duration",
			       "2s",	      "--json", NULL };
	size_t i, other = 0;

	cr_assert_eq(e2e_target_start(&a, "deadlock_pair"), 0, "%s", a.err);
	cr_assert_eq(e2e_target_start(&b, "stuck_sem"), 0, "%s", b.err);
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 3, "exit %d: %s", run.exit_code, run.err);
	cr_assert_eq(run.nbad, 0, "bad line: %s", run.bad_line);
	expect_verdict(&a, "ab-first", "deadlock");
	expect_verdict(&a, "ab-second", "deadlock");
	expect_verdict(&b, "sem-waiter", "stuck");
	/* --comm kept every other process out. */
	for (i = 0; i < run.nlines; i++) {
		long long pid;
		const char *type = run.objs[i] ? e2e_get_string(run.objs[i], "type") : NULL;

		if (type && !strcmp(type, "thread") && e2e_get_int(run.objs[i], "pid", &pid) &&
		    pid != a.pid && pid != b.pid)
			other++;
	}
	cr_expect_eq(other, 0, "%zu records of other processes", other);
}

Test(fleet, several_pids)
{
	char pa[16], pb[16];
	/* stuck alone exits 0; --fail-on stuck makes it fail CI too */
	const char *argv[] = { "-p",	     pa,   "-p",     pb,	  "--threshold", "1s",
			       "--duration", "2s", "--json", "--fail-on", "stuck",	 NULL };

	cr_assert_eq(e2e_target_start(&a, "stuck_condvar"), 0, "%s", a.err);
	cr_assert_eq(e2e_target_start(&b, "idle"), 0, "%s", b.err);
	snprintf(pa, sizeof(pa), "%d", a.pid);
	snprintf(pb, sizeof(pb), "%d", b.pid);
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 3, "exit %d: %s", run.exit_code, run.err);
	expect_verdict(&a, "cv-waiter", "stuck");
	expect_verdict(&b, "acceptor", "idle");
	expect_verdict(&b, "sleeper", "idle");
}

Test(fleet, exclude_comm)
{
	const char *argv[] = { "-a",  "--comm",	     "^stuck_sem$", "--exclude-comm",
			       "sem", "--threshold", "1s",	    "--duration",
			       "1s",  "--json",	     NULL };

	cr_assert_eq(e2e_target_start(&b, "stuck_sem"), 0, "%s", b.err);
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 0, "exit %d: %s", run.exit_code, run.err);
	cr_assert_eq(e2e_run_thread_recs(&run, e2e_target_role(&b, "sem-waiter")->tid, NULL), 0);
}
