// SPDX-License-Identifier: GPL-2.0
/*
 * Error paths: usage errors exit 1, a target that cannot be traced exits 2
 * with one "blockwatch: " line on stderr; neither writes to stdout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <criterion/criterion.h>
#include "harness.h"

#define ERR_TIMEOUT_S 20.0

static struct e2e_run run;

static void teardown(void)
{
	e2e_run_free(&run);
}

TestSuite(errors, .fini = teardown, .timeout = 60);

/* Run blockwatch with ARGV; it must exit WANT with nothing on stdout. */
static void expect_exit(const char *const *argv, int want, const char *what)
{
	int ret;

	e2e_run_free(&run);
	ret = e2e_run_bw(&run, argv, ERR_TIMEOUT_S);
	cr_assert_eq(ret, 0, "%s", run.errmsg);
	cr_expect(!run.timed_out, "%s: blockwatch still running after %.0f s, killed", what,
		  ERR_TIMEOUT_S);
	cr_expect_eq(run.exit_code, want, "%s: exit %d, want %d; stderr: %s", what, run.exit_code,
		     want, run.err);
	cr_expect_str_empty(run.out, "%s: stdout not empty: %s", what, run.out);
	cr_expect(strlen(run.err) > 0, "%s: nothing on stderr", what);
}

/* A pid nobody has, scanning down from the top of the pid space. */
static pid_t free_pid(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	int pid_max = 32768;
	pid_t pid;

	if (f) {
		if (fscanf(f, "%d", &pid_max) != 1)
			pid_max = 32768;
		fclose(f);
	}
	for (pid = pid_max - 1; pid > 300; pid--)
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return pid;
	cr_assert_fail("no free pid below %d", pid_max);
	return -1;
}

Test(errors, no_such_pid)
{
	char pid_arg[16];
	const char *argv[] = { "-p", pid_arg, "--duration", "1s", "--json", NULL };

	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)free_pid());
	expect_exit(argv, 2, "-p <free pid>");
	cr_expect_eq(e2e_count_lines(run.err), 1, "want one stderr line, got: %s", run.err);
	cr_expect_eq(strncmp(run.err, "blockwatch: ", 12), 0,
		     "stderr does not start with \"blockwatch: \": %s", run.err);
}

Test(errors, bad_durations)
{
	static const char *const bad[] = { "10abc", "abc", "", "-1s", "1s2", "10 s" };
	static const char *const opts[] = { "--threshold", "--interval", "--duration" };
	char pid_arg[16], what[64];
	size_t i, j;

	/* our own pid: if the bad value were taken, there would be a target */
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)getpid());
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			const char *argv[] = { "-p",	pid_arg, "--duration", "1s",
					       opts[i], bad[j],	 NULL };

			snprintf(what, sizeof(what), "%s '%s'", opts[i], bad[j]);
			expect_exit(argv, 1, what);
		}
}

Test(errors, no_pid)
{
	const char *none[] = { NULL };
	const char *json_only[] = { "--json", "--duration", "1s", NULL };

	expect_exit(none, 1, "no arguments");
	expect_exit(json_only, 1, "--json without -p");
}

Test(errors, bad_pid)
{
	const char *garbage[] = { "-p", "12x", "--duration", "1s", NULL };
	const char *word[] = { "-p", "init", "--duration", "1s", NULL };
	const char *missing[] = { "-p", NULL };

	expect_exit(garbage, 1, "-p 12x");
	expect_exit(word, 1, "-p init");
	expect_exit(missing, 1, "-p without a value");
}

Test(errors, unknown_option)
{
	char pid_arg[16];
	const char *argv[] = { "-p", pid_arg, "--duration", "1s", "--no-such-option", NULL };

	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)getpid());
	expect_exit(argv, 1, "--no-such-option");
}

Test(errors, not_privileged)
{
	char dir[] = "/tmp/bw-e2e-XXXXXX", bin[64];
	const char *cp[] = { "/bin/cp", e2e_bw_bin(), bin, NULL };
	const char *argv[] = { "/usr/bin/setpriv",
			       "--reuid=65534",
			       "--regid=65534",
			       "--clear-groups",
			       bin,
			       "-p",
			       "1",
			       "--duration",
			       "1s",
			       NULL };

	/* A copy anyone can run: the checkout may sit in a folder nobody can enter. */
	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(bin, sizeof(bin), "%s/blockwatch", dir);
	cr_assert_eq(e2e_run_cmd(&run, cp, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 0, "cp: %s", run.err);
	e2e_run_free(&run);
	cr_assert_eq(e2e_run_cmd(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	unlink(bin);
	rmdir(dir);
	cr_expect_eq(run.exit_code, 2, "exit %d, stderr: %s", run.exit_code, run.err);
	cr_expect_eq(e2e_count_lines(run.err), 1, "want one stderr line, got: %s", run.err);
	cr_expect_eq(strncmp(run.err, "blockwatch: ", 12), 0, "stderr: %s", run.err);
	cr_expect_eq(run.out[0], '\0', "stdout: %s", run.out);
}

/* --btf names the file it could not use, in one line, and exits 2. */
Test(errors, btf_not_btf)
{
	char path[] = "/tmp/bw-e2e-btf-XXXXXX";
	const char *argv[] = { "--btf", path, "-p", "1", "--duration", "1s", NULL };
	const char *missing[] = { "--btf", "/nonexistent/vmlinux", "-p", "1", "--duration", "1s",
				  NULL };
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "not BTF\n", 8), 8);
	close(fd);
	expect_exit(argv, 2, "--btf <text file>");
	unlink(path);
	cr_expect_eq(e2e_count_lines(run.err), 1, "want one stderr line, got: %s", run.err);
	cr_expect_eq(strncmp(run.err, "blockwatch: failed to read BTF ", 31), 0, "stderr: %s",
		     run.err);
	cr_expect_not_null(strstr(run.err, path), "stderr does not name %s: %s", path, run.err);
	expect_exit(missing, 2, "--btf <missing file>");
	cr_expect_eq(e2e_count_lines(run.err), 1, "want one stderr line, got: %s", run.err);
	cr_expect_not_null(strstr(run.err, "/nonexistent/vmlinux"), "stderr: %s", run.err);
}

/* The running kernel's own BTF given with --btf: blockwatch loads and sees the target. */
Test(errors, btf_file_is_used)
{
	struct e2e_target tgt = { .out_fd = -1 };
	char pid[16];
	const char *argv[] = { "--btf",	      "/sys/kernel/btf/vmlinux",
			       "-p",	      pid,
			       "--threshold", "1s",
			       "--duration",  "2s",
			       "--json",      NULL };

	if (geteuid() != 0)
		cr_skip_test("needs root to load BPF programs");
	cr_assert_eq(e2e_target_start(&tgt, "stuck_condvar"), 0, "%s", tgt.err);
	snprintf(pid, sizeof(pid), "%d", (int)tgt.pid);
	e2e_run_free(&run);
	cr_assert_eq(e2e_run_bw(&run, argv, ERR_TIMEOUT_S), 0, "%s", run.errmsg);
	e2e_target_stop(&tgt);
	cr_expect(run.exit_code == 0 || run.exit_code == 3, "exit %d, stderr: %s", run.exit_code,
		  run.err);
	cr_expect_not_null(strstr(run.out, "\"type\":\"process\""), "stdout: %s", run.out);
	cr_expect_not_null(strstr(run.out, "\"comm\":\"stuck_condvar\""), "stdout: %s", run.out);
}
