// SPDX-License-Identifier: GPL-2.0
/*
 * The fallbacks of kernels before 5.15 (tid-keyed hash maps, registers read
 * from the top of the kernel stack, every task iterated), forced on this
 * kernel with BLOCKWATCH_FALLBACKS=all: the same verdicts, stacks and wait
 * targets as with every feature, and the summary says which ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

static struct e2e_target tgt = { .out_fd = -1 };
static struct e2e_run run;

static void teardown(void)
{
	unsetenv("BLOCKWATCH_FALLBACKS");
	e2e_target_stop(&tgt);
	e2e_run_free(&run);
}

TestSuite(fallbacks, .fini = teardown, .timeout = 120);

static json_object *summary(void)
{
	size_t i;

	for (i = 0; i < run.nlines; i++) {
		const char *type = run.objs[i] ? e2e_get_string(run.objs[i], "type") : NULL;

		if (type && !strcmp(type, "summary"))
			return run.objs[i];
	}
	cr_assert_fail("no summary line: %s", run.out);
	return NULL;
}

static bool feature(const char *name)
{
	json_object *f, *v;

	cr_assert(json_object_object_get_ex(summary(), "features", &f), "no features: %s",
		  json_object_to_json_string(summary()));
	cr_assert(json_object_object_get_ex(f, name, &v) &&
			  json_object_is_type(v, json_type_boolean),
		  "no feature %s: %s", name, json_object_to_json_string(f));
	return json_object_get_boolean(v);
}

static void watch_pair(void)
{
	char pid[16];
	const char *argv[] = { "-p", pid, "--threshold", "1s", "--duration", "2s", "--json", NULL };

	if (geteuid() != 0)
		cr_skip_test("needs root to load BPF programs");
	cr_assert_eq(e2e_target_start(&tgt, "deadlock_pair"), 0, "%s", tgt.err);
	snprintf(pid, sizeof(pid), "%d", (int)tgt.pid);
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.nbad, 0, "bad line: %s", run.bad_line);
}

static void expect_deadlocked(const char *role, const char *other)
{
	const struct e2e_thread *th = e2e_target_role(&tgt, role);
	const struct e2e_thread *o = e2e_target_role(&tgt, other);
	json_object *rec = NULL, *stack;

	cr_assert(th && o, "deadlock_pair has no %s or %s", role, other);
	cr_assert_eq(e2e_run_thread_recs(&run, th->tid, &rec), 1, "%s: want one record: %s", role,
		     run.out);
	cr_expect_str_eq(e2e_get_string(rec, "verdict"), "deadlock", "%s", role);
	cr_expect_str_eq(e2e_get_string(rec, "wait"), "mutex", "%s", role);
	cr_expect(e2e_int_array_has(rec, "waits_for", o->tid), "%s does not wait for %s: %s", role,
		  other, json_object_to_json_string(rec));
	/* The unwinder had the registers: the stack goes past libc into the target. */
	cr_assert(json_object_object_get_ex(rec, "user_stack", &stack));
	cr_expect_not_null(strstr(json_object_to_json_string(stack), "deadlock_pair"),
			   "%s: user stack does not reach the target: %s", role,
			   json_object_to_json_string(stack));
}

Test(fallbacks, all_forced_same_verdicts)
{
	setenv("BLOCKWATCH_FALLBACKS", "all", 1);
	watch_pair();
	cr_expect_eq(run.exit_code, 3, "exit %d: %s", run.exit_code, run.err);
	expect_deadlocked("ab-first", "ab-second");
	expect_deadlocked("ab-second", "ab-first");
	cr_expect(!feature("task_storage"));
	cr_expect(!feature("task_pt_regs"));
	cr_expect(!feature("task_iter_pid"));
}

/* This kernel (6.18) has every feature: no fallback runs unasked. */
Test(fallbacks, none_on_a_new_kernel)
{
	watch_pair();
	cr_expect_eq(run.exit_code, 3, "exit %d: %s", run.exit_code, run.err);
	expect_deadlocked("ab-first", "ab-second");
	cr_expect(feature("task_storage"));
	cr_expect(feature("task_pt_regs"));
	cr_expect(feature("task_iter_pid"));
}

Test(fallbacks, bad_names_are_a_usage_error)
{
	const char *argv[] = { "-p", "1", "--duration", "1s", NULL };

	setenv("BLOCKWATCH_FALLBACKS", "task_storage,bogus", 1);
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_expect_eq(run.exit_code, 1, "exit %d: %s", run.exit_code, run.err);
	cr_expect_not_null(strstr(run.err, "blockwatch: failed to parse BLOCKWATCH_FALLBACKS"),
			   "stderr: %s", run.err);
}
