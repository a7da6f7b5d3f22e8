// SPDX-License-Identifier: GPL-2.0
/*
 * Stripped targets end to end: deadlock_pair as distributions ship it
 * (Makefile: tests/fixtures/stripped.sh), watched with "-p PID --threshold
 * 100ms --duration 2s --json": the threads' names are checked, not their
 * verdicts (tests/e2e/verdicts.c does that). With MiniDebugInfo its threads' own functions
 * are named from .gnu_debugdata and libc's internal ones from libc6-dbg's
 * debug file; stripped without it, the same frames have no name.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
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
	e2e_target_stop(&tgt);
	e2e_run_free(&run);
}

TestSuite(stripped, .fini = teardown, .timeout = 120);

static void watch_path(const char *path, const char *name)
{
	char pid_arg[16];
	const char *argv[] = { "-p",	     pid_arg, "--threshold", "100ms",
			       "--duration", "2s",    "--json",	     NULL };
	int ret;

	if (geteuid() != 0)
		cr_skip_test("needs root to load BPF programs");
	ret = path ? e2e_target_start_path(&tgt, path, name) : e2e_target_start(&tgt, name);
	cr_assert_eq(ret, 0, "%s", tgt.err);
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)tgt.pid);
	ret = e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S);
	cr_assert_eq(ret, 0, "%s", run.errmsg);
	cr_assert(!run.timed_out, "%s: blockwatch killed after %.0f s", name, E2E_RUN_TIMEOUT_S);
}

static void watch(const char *name)
{
	watch_path(NULL, name);
}

/* The user_stack of the announced thread of role role_name. */
static json_object *user_stack(const char *role_name)
{
	const struct e2e_thread *th = e2e_target_role(&tgt, role_name);
	json_object *rec = NULL, *stack;

	cr_assert_not_null(th, "%s: no thread %s announced", tgt.name, role_name);
	cr_assert_eq(e2e_run_thread_recs(&run, th->tid, &rec), 1, "%s: records of %s", tgt.name,
		     role_name);
	cr_assert(json_object_object_get_ex(rec, "user_stack", &stack) &&
			  json_object_is_type(stack, json_type_array),
		  "%s: %s has no user_stack", tgt.name, role_name);
	return stack;
}

/* The first frame whose func contains fn, or NULL. */
static json_object *frame_of(json_object *stack, const char *fn)
{
	size_t i;

	for (i = 0; i < json_object_array_length(stack); i++) {
		json_object *fr = json_object_array_get_idx(stack, i);
		const char *func = e2e_get_string(fr, "func");

		if (func && strstr(func, fn))
			return fr;
	}
	return NULL;
}

static void expect_named(json_object *stack, const char *fn, const char *source)
{
	json_object *fr = frame_of(stack, fn);
	const char *got;

	cr_assert_not_null(fr, "%s: no %s frame: %s", tgt.name, fn,
			   json_object_to_json_string(stack));
	got = e2e_get_string(fr, "sym_source");
	cr_expect(got && !strcmp(got, source), "%s: %s named from %s, want %s", tgt.name, fn,
		  got ? got : "(none)", source);
}

Test(stripped, minidebuginfo_and_libc6_dbg_name_the_frames)
{
	static const char *const roles[][2] = { { "ab-first", "ab_first_thread" },
						{ "ab-second", "ab_second_thread" } };
	size_t i;

	watch("deadlock_pair.minidebug");
	for (i = 0; i < 2; i++) {
		json_object *stack = user_stack(roles[i][0]);

		expect_named(stack, roles[i][1], "minidebuginfo");
		expect_named(stack, "lll_lock_wait", "debugfile");
		expect_named(stack, "start_thread", "debugfile");
	}
}

Test(stripped, without_minidebuginfo_the_own_frames_are_unnamed)
{
	json_object *stack;

	watch("deadlock_pair.stripped");
	stack = user_stack("ab-first");
	cr_expect_null(frame_of(stack, "ab_first_thread"), "%s: named without symbols: %s",
		       tgt.name, json_object_to_json_string(stack));
	expect_named(stack, "lll_lock_wait", "debugfile");
}

/* The newest go1.X folder of the Go targets. */
static void newest_go(char *out, size_t size)
{
	const char *dir = getenv("BW_GO_TARGETS");
	struct dirent *e;
	DIR *d;

	dir = dir && *dir ? dir : ".output/go-targets";
	d = opendir(dir);
	cr_assert_not_null(d, "no Go targets in %s: run make go-targets", dir);
	out[0] = '\0';
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "go1.", 4) &&
		    (!out[0] || strverscmp(e->d_name, strrchr(out, '/') + 1) > 0))
			snprintf(out, size, "%s/%.32s", dir, e->d_name);
	closedir(d);
	cr_assert(out[0], "no go1.X folder in %s", dir);
}

Test(stripped, go_threads_named_from_pclntab)
{
	char dir[PATH_MAX - 64], path[PATH_MAX];
	size_t i, j, threads = 0, named = 0, runtime = 0;

	newest_go(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/healthy-stripped", dir);
	watch_path(path, "healthy-stripped");
	for (i = 0; i < run.nlines; i++) {
		json_object *o = run.objs[i], *stack;
		const char *type = o ? e2e_get_string(o, "type") : NULL;

		if (!type || strcmp(type, "thread") ||
		    !json_object_object_get_ex(o, "user_stack", &stack) ||
		    !json_object_is_type(stack, json_type_array))
			continue;
		threads++;
		for (j = 0; j < json_object_array_length(stack); j++) {
			json_object *fr = json_object_array_get_idx(stack, j);
			const char *func = e2e_get_string(fr, "func");
			const char *source = e2e_get_string(fr, "sym_source");
			const char *module = e2e_get_string(fr, "module");

			if (!module || strcmp(module, "healthy-stripped"))
				continue;
			cr_expect(func && func[0] && source && !strcmp(source, "gopclntab"),
				  "%s: frame %zu: %s", path, j, json_object_to_json_string(fr));
			runtime += func && !strncmp(func, "runtime.", 8);
			named++;
		}
	}
	cr_assert_gt(threads, 0, "%s: no thread record: %s", path, run.out);
	cr_assert_gt(named, 0, "%s: no frame in the binary: %s", path, run.out);
	cr_assert_gt(runtime, 0, "%s: no runtime frame: %s", path, run.out);
}

/* A debuginfod server that never answers, on 127.0.0.1:19301: listening is enough to see a query. */
Test(stripped, no_debuginfod_query)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(19301) };
	struct pollfd pfd = { .events = POLLIN };
	int one = 1;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pfd.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(pfd.fd, 0);
	setsockopt(pfd.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(pfd.fd, (struct sockaddr *)&addr, sizeof(addr)), 0, "port 19301 taken");
	cr_assert_eq(listen(pfd.fd, 16), 0);
	setenv("DEBUGINFOD_URLS", "http://127.0.0.1:19301", 1);
	setenv("DEBUGINFOD_TIMEOUT", "2", 1);
	/* Its own frames have no debug file anywhere: libdwfl would ask the server. */
	watch("deadlock_pair.stripped");
	unsetenv("DEBUGINFOD_URLS");
	unsetenv("DEBUGINFOD_TIMEOUT");
	cr_expect_eq(poll(&pfd, 1, 0), 0, "blockwatch connected to the debuginfod server");
	close(pfd.fd);
}
