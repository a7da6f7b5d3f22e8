// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts end to end: each test starts a target from tests/targets, watches
 * it with "-p PID --threshold 1s --duration 2s --json" and checks every thread
 * the target announced. The threads are stuck before blockwatch attaches, so
 * at the end of the 2 s run they have been blocked for more than 2 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

#define THRESHOLD_S 1.0

static struct e2e_target tgt = { .out_fd = -1 };
static struct e2e_run run;

static void teardown(void)
{
	e2e_target_stop(&tgt);
	e2e_run_free(&run);
}

TestSuite(verdicts, .fini = teardown, .timeout = 120);
TestSuite(stacks, .fini = teardown, .timeout = 120);

static bool is_verdict(const char *expect)
{
	return !strcmp(expect, "deadlock") || !strcmp(expect, "leak") || !strcmp(expect, "stuck") ||
	       !strcmp(expect, "blocked") || !strcmp(expect, "idle");
}

static void check_stacks(json_object *rec, const struct e2e_thread *th)
{
	json_object *stack;
	size_t i, n;

	cr_expect(json_object_object_get_ex(rec, "kernel_stack", &stack) &&
			  json_object_is_type(stack, json_type_array),
		  "thread %d (%s): no kernel_stack array", th->tid, th->role);
	if (json_object_is_type(stack, json_type_array)) {
		n = json_object_array_length(stack);
		for (i = 0; i < n; i++)
			cr_expect(json_object_is_type(json_object_array_get_idx(stack, i),
						      json_type_string),
				  "thread %d (%s): kernel_stack[%zu] is not a string", th->tid,
				  th->role, i);
	}
	cr_expect(json_object_object_get_ex(rec, "user_stack", &stack) &&
			  json_object_is_type(stack, json_type_array),
		  "thread %d (%s): no user_stack array", th->tid, th->role);
	if (json_object_is_type(stack, json_type_array)) {
		n = json_object_array_length(stack);
		for (i = 0; i < n; i++)
			cr_expect(e2e_get_string(json_object_array_get_idx(stack, i), "func"),
				  "thread %d (%s): user_stack[%zu] is not an object with a func",
				  th->tid, th->role, i);
	}
}

/* The one record of an announced thread, checked field by field. */
static void check_record(json_object *rec, const struct e2e_thread *th)
{
	const char *str, *want_state = "S or D";
	double blocked_s, age_s = e2e_now_s() - tgt.started_s;
	long long val;

	cr_expect(e2e_get_int(rec, "pid", &val) && val == tgt.pid,
		  "thread %d (%s): pid missing or not %d", th->tid, th->role, (int)tgt.pid);
	str = e2e_get_string(rec, "comm");
	cr_expect(str && !strcmp(str, th->comm), "thread %d (%s): comm \"%s\", want \"%s\"",
		  th->tid, th->role, str ? str : "(missing)", th->comm);
	str = e2e_get_string(rec, "state");
	cr_expect(str && (!strcmp(str, "S") || !strcmp(str, "D")),
		  "thread %d (%s): state \"%s\", want %s", th->tid, th->role,
		  str ? str : "(missing)", want_state);
	cr_expect(e2e_get_double(rec, "blocked_s", &blocked_s),
		  "thread %d (%s): blocked_s missing or not a number", th->tid, th->role);
	if (e2e_get_double(rec, "blocked_s", &blocked_s)) {
		cr_expect(blocked_s >= THRESHOLD_S, "thread %d (%s): blocked_s %.3f < %.1f",
			  th->tid, th->role, blocked_s, THRESHOLD_S);
		cr_expect(blocked_s <= age_s + 0.5,
			  "thread %d (%s): blocked_s %.3f but the target is only %.3f s old",
			  th->tid, th->role, blocked_s, age_s);
	}
	str = e2e_get_string(rec, "verdict");
	cr_expect(str && !strcmp(str, th->expect), "thread %d (%s): verdict \"%s\", want \"%s\"",
		  th->tid, th->role, str ? str : "(missing)", th->expect);
	str = e2e_get_string(rec, "wait");
	cr_expect(str && !strcmp(str, th->wait), "thread %d (%s): wait \"%s\", want \"%s\"",
		  th->tid, th->role, str ? str : "(missing)", th->wait);
	/* A claim comes with its evidence. */
	if (!strcmp(th->expect, "deadlock") || !strcmp(th->expect, "leak") ||
	    !strcmp(th->expect, "stuck"))
		cr_expect(e2e_get_string(rec, "why") && e2e_get_string(rec, "reason"),
			  "thread %d (%s): %s without why/reason: %s", th->tid, th->role,
			  th->expect, json_object_to_json_string(rec));
	check_stacks(rec, th);
}

/*
 * Start NAME, watch it, and check: stdout is JSON lines only; each announced
 * thread with a verdict has exactly one record, right in every field; threads
 * announced "none" have none; no record for anything else; the exit status.
 */
static void watch(const char *name, int want_exit)
{
	char pid_arg[16];
	const char *argv[] = { "-p",	     pid_arg, "--threshold", "1s",
			       "--duration", "2s",    "--json",	     NULL };
	bool want_found = false;
	size_t i;
	int ret;

	if (geteuid() != 0)
		cr_skip_test("needs root to load BPF programs");
	ret = e2e_target_start(&tgt, name);
	cr_assert_eq(ret, 0, "%s", tgt.err);
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)tgt.pid);
	ret = e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S);
	cr_assert_eq(ret, 0, "%s", run.errmsg);
	cr_assert(!run.timed_out, "%s: blockwatch still running after %.0f s, killed", name,
		  E2E_RUN_TIMEOUT_S);
	cr_expect_eq(run.nbad, 0, "%s: %zu stdout lines are not JSON objects, first %s", name,
		     run.nbad, run.bad_line);

	for (i = 0; i < tgt.nthreads; i++) {
		const struct e2e_thread *th = &tgt.threads[i];
		json_object *rec;
		int n = e2e_run_thread_recs(&run, th->tid, &rec);

		if (!strcmp(th->expect, "none")) {
			cr_expect_eq(n, 0, "%s: thread %d (%s) should have no record, has %d: %s",
				     name, th->tid, th->role, n,
				     rec ? json_object_to_json_string(rec) : "");
			continue;
		}
		cr_assert(is_verdict(th->expect), "%s: thread %d announces unknown verdict %s",
			  name, th->tid, th->expect);
		want_found |= !strcmp(th->expect, "deadlock") || !strcmp(th->expect, "leak");
		cr_expect_eq(n, 1, "%s: thread %d (%s, expect %s/%s) has %d records, want 1", name,
			     th->tid, th->role, th->expect, th->wait, n);
		if (rec)
			check_record(rec, th);
	}
	/* Every thread of a target is announced: any other record is invented. */
	for (i = 0; i < run.nlines; i++) {
		const char *type = e2e_get_string(run.objs[i], "type");
		long long tid;

		if (!type || strcmp(type, "thread"))
			continue;
		cr_expect(e2e_get_int(run.objs[i], "tid", &tid) && e2e_target_tid(&tgt, (int)tid),
			  "%s: record for a thread the target does not have: %s", name,
			  json_object_to_json_string(run.objs[i]));
	}
	cr_assert_eq(want_exit, want_found ? 3 : 0,
		     "%s: test expects exit %d but the target announces %s", name, want_exit,
		     want_found ? "a deadlock/leak" : "none");
	cr_expect_eq(run.exit_code, want_exit, "%s: blockwatch exited %d, want %d; stderr: %s",
		     name, run.exit_code, want_exit, run.err);
}

static const struct e2e_thread *role(const char *name)
{
	const struct e2e_thread *th = e2e_target_role(&tgt, name);

	cr_assert(th, "%s: no thread announced role %s", tgt.name, name);
	return th;
}

static json_object *record(const struct e2e_thread *th)
{
	json_object *rec;

	e2e_run_thread_recs(&run, th->tid, &rec);
	return rec;
}

/* ROLE's record says it waits for PEER: waits_for has it, and owner_tid if a lock. */
static void expect_waits_for(const char *role_name, const char *peer_name, bool owner)
{
	const struct e2e_thread *th = role(role_name), *peer = role(peer_name);
	json_object *rec = record(th);
	long long owner_tid;

	if (!rec)
		return; /* already reported by watch() */
	cr_expect(e2e_int_array_has(rec, "waits_for", peer->tid),
		  "%s: %s (%d) waits_for lacks %s (%d): %s", tgt.name, th->role, th->tid,
		  peer->role, peer->tid, json_object_to_json_string(rec));
	if (owner)
		cr_expect(e2e_get_int(rec, "owner_tid", &owner_tid) && owner_tid == peer->tid,
			  "%s: %s (%d) owner_tid is not %s (%d): %s", tgt.name, th->role, th->tid,
			  peer->role, peer->tid, json_object_to_json_string(rec));
}

static void expect_reason(const char *role_name, const char *reason)
{
	json_object *rec = record(role(role_name));
	const char *got;

	if (!rec)
		return;
	got = e2e_get_string(rec, "reason");
	cr_expect(got && !strcmp(got, reason), "%s: %s reason %s, want %s: %s", tgt.name, role_name,
		  got ? got : "(none)", reason, json_object_to_json_string(rec));
}

static void expect_owner(const char *role_name, const char *owner_name)
{
	const struct e2e_thread *th = role(role_name), *owner = role(owner_name);
	json_object *rec = record(th);
	long long owner_tid;

	if (!rec)
		return;
	cr_expect(e2e_get_int(rec, "owner_tid", &owner_tid) && owner_tid == owner->tid,
		  "%s: %s (%d) owner_tid is not %s (%d): %s", tgt.name, th->role, th->tid,
		  owner->role, owner->tid, json_object_to_json_string(rec));
}

Test(verdicts, deadlock_pair)
{
	watch("deadlock_pair", 3);
	expect_waits_for("ab-first", "ab-second", true);
	expect_waits_for("ab-second", "ab-first", true);
}

Test(verdicts, deadlock_ring)
{
	watch("deadlock_ring", 3);
	expect_waits_for("ring-0", "ring-1", true);
	expect_waits_for("ring-1", "ring-2", true);
	expect_waits_for("ring-2", "ring-0", true);
}

Test(verdicts, self_deadlock)
{
	watch("self_deadlock", 3);
	expect_waits_for("relocker", "relocker", true);
}

/* No waker known and no proof: stuck, which alone does not fail the run. */
Test(verdicts, stuck_condvar)
{
	watch("stuck_condvar", 0);
}

Test(verdicts, stuck_join)
{
	watch("stuck_join", 0);
	expect_waits_for("joiner", "cv-waiter", false);
}

Test(verdicts, stuck_sem)
{
	watch("stuck_sem", 0);
}

Test(verdicts, idle_pool_cond)
{
	watch("idle_pool_cond", 0);
}

Test(verdicts, idle_pool_sem)
{
	watch("idle_pool_sem", 0);
}

/* Joins take the verdict of the joined: stuck, idle, and leak for a deadlocked one. */
Test(verdicts, joins)
{
	watch("joins", 3);
	expect_waits_for("joins-stuck", "cv-waiter", false);
	expect_waits_for("joins-sleeper", "sleeper", false);
	expect_waits_for("joins-deadlocked", "dl-first", false);
	expect_reason("joins-deadlocked", "owner_deadlocked");
	expect_reason("joins-stuck", "owner_stuck");
	expect_reason("joins-sleeper", "join_live");
}

/* The owner exited holding the mutex: a proven leak. */
Test(verdicts, dead_owner)
{
	const struct e2e_thread *th;
	json_object *rec;

	watch("dead_owner", 3);
	expect_reason("locker", "owner_gone");
	th = role("locker");
	rec = record(th);
	if (rec)
		cr_expect(strstr(e2e_get_string(rec, "why") ?: "", "exited"), "%s",
			  json_object_to_json_string(rec));
}

Test(verdicts, slow_holder)
{
	watch("slow_holder", 0);
	expect_owner("lock-waiter", "spin-owner");
}

Test(verdicts, sleepy_holder)
{
	watch("sleepy_holder", 0);
	expect_owner("lock-waiter", "nap-owner");
}

Test(verdicts, idle)
{
	watch("idle", 0);
}

Test(verdicts, busy)
{
	watch("busy", 0);
}

Test(verdicts, demo)
{
	watch("demo", 3);
	expect_waits_for("transfer-a", "transfer-b", true);
	expect_waits_for("transfer-b", "transfer-a", true);
}

/* Some user frame is FN, some kernel frame mentions KSYM. */
static void expect_frames(const char *role_name, const char *fn, const char *ksym)
{
	const struct e2e_thread *th = role(role_name);
	json_object *rec = record(th), *stack;
	bool user_ok = false, kernel_ok = false;
	size_t i;

	cr_assert(rec, "%s: no record for %s", tgt.name, role_name);
	if (json_object_object_get_ex(rec, "user_stack", &stack) &&
	    json_object_is_type(stack, json_type_array))
		for (i = 0; i < json_object_array_length(stack); i++) {
			const char *func =
				e2e_get_string(json_object_array_get_idx(stack, i), "func");

			user_ok |= func && strstr(func, fn);
		}
	if (json_object_object_get_ex(rec, "kernel_stack", &stack) &&
	    json_object_is_type(stack, json_type_array))
		for (i = 0; i < json_object_array_length(stack); i++) {
			const char *frame =
				json_object_get_string(json_object_array_get_idx(stack, i));

			kernel_ok |= frame && strstr(frame, ksym);
		}
	cr_expect(user_ok, "%s: %s user_stack lacks %s: %s", tgt.name, role_name, fn,
		  json_object_to_json_string(rec));
	cr_expect(kernel_ok, "%s: %s kernel_stack lacks %s: %s", tgt.name, role_name, ksym,
		  json_object_to_json_string(rec));
}

Test(stacks, deadlock_pair)
{
	watch("deadlock_pair", 3);
	expect_frames("ab-first", "ab_first_thread", "futex");
	expect_frames("ab-second", "ab_second_thread", "futex");
}

Test(stacks, idle)
{
	watch("idle", 0);
	expect_frames("epoll-wait", "epoll_thread", "epoll");
	expect_frames("sleeper", "sleep_thread", "nanosleep");
}

/* Threads of the target named comm, from /proc. */
static int count_comm(pid_t pid, const char *comm)
{
	char cmd[128], buf[64];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "grep -lx '%s' /proc/%d/task/*/comm 2>/dev/null | wc -l", comm,
		 (int)pid);
	p = popen(cmd, "r");
	if (p && fgets(buf, sizeof(buf), p))
		n = atoi(buf);
	if (p)
		pclose(p);
	return n;
}

/*
 * A thread leaks at one site every 150 ms, 40 in all: the site grows while
 * watched, so every member is a leak, the young ones (below the threshold)
 * too, with the site's growth. Members younger than the inspection age when
 * the last scan ran may be missed: the target stops growing before the end.
 */
Test(verdicts, pile)
{
	char pid_arg[16];
	const char *argv[] = { "-p",	     pid_arg, "--threshold", "2s",
			       "--duration", "7s",    "--json",	     NULL };
	size_t i, leaks = 0, young = 0, others = 0;
	int members;

	if (geteuid() != 0)
		cr_skip_test("needs root to load BPF programs");
	cr_assert_eq(e2e_target_start(&tgt, "pile"), 0, "%s", tgt.err);
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)tgt.pid);
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	members = count_comm(tgt.pid, "piled");
	cr_assert_eq(members, 40, "the target made %d of its 40 threads in time", members);
	for (i = 0; i < run.nlines; i++) {
		json_object *o = run.objs[i];
		const char *type = o ? e2e_get_string(o, "type") : NULL, *comm, *v, *reason;
		double blocked_s = 0;
		long long n = 0;

		if (!type || strcmp(type, "thread"))
			continue;
		comm = e2e_get_string(o, "comm");
		if (!comm || strcmp(comm, "piled")) {
			others++;
			continue;
		}
		v = e2e_get_string(o, "verdict");
		reason = e2e_get_string(o, "reason");
		cr_expect(v && !strcmp(v, "leak") && reason && !strcmp(reason, "pile"),
			  "pile member not a pile leak: %s", json_object_to_json_string(o));
		cr_expect(e2e_get_int(o, "pile_threads", &n) && n >= 30, "pile_threads %lld: %s", n,
			  json_object_to_json_string(o));
		leaks++;
		e2e_get_double(o, "blocked_s", &blocked_s);
		young += blocked_s < 2.0;
	}
	cr_expect_eq(leaks, (size_t)members, "%zu of the %d members reported", leaks, members);
	cr_expect_gt(young, 0, "no member below the threshold was reported");
	cr_expect_eq(others, 0, "records for other threads: %s", run.out);
	cr_expect_eq(run.exit_code, 3, "exit %d; stderr: %s", run.exit_code, run.err);
}

/* --ignore: the user's own idle function makes the lone condvar waiter idle. */
Test(verdicts, ignore_file)
{
	char pid_arg[16], path[] = "/tmp/bw-ignore-XXXXXX";
	const char *argv[] = {
		"-p",	  pid_arg,    "--threshold", "1s",	  "--duration", "2s",
		"--json", "--ignore", path,	     "--fail-on", "stuck",	NULL
	};
	const struct e2e_thread *th;
	json_object *rec;
	const char *v, *reason;
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root to load BPF programs");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "# ours\ncv_waiter_*\n", 19), 19);
	close(fd);
	cr_assert_eq(e2e_target_start(&tgt, "stuck_condvar"), 0, "%s", tgt.err);
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)tgt.pid);
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	unlink(path);
	th = role("cv-waiter");
	cr_assert_eq(e2e_run_thread_recs(&run, th->tid, &rec), 1, "%s", run.out);
	v = e2e_get_string(rec, "verdict");
	reason = e2e_get_string(rec, "reason");
	cr_expect(v && !strcmp(v, "idle") && reason && !strcmp(reason, "ignored"), "%s",
		  json_object_to_json_string(rec));
	/* nothing stuck is left: --fail-on stuck has nothing to fail on */
	cr_expect_eq(run.exit_code, 0, "exit %d; stderr: %s", run.exit_code, run.err);
}
