// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile targets: what blockwatch does with a process that is half gone, not
 * a process, itself, 32-bit, deleted from disk, in another mount namespace,
 * exiting mid-trace, or churning threads. The rule: report what can be
 * known, refuse what cannot be watched with one clear line and exit 2, never
 * crash.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include "harness.h"

#define HOSTILE_WAIT_S 20.0

static struct e2e_target tgt = { .out_fd = -1 };
static struct e2e_run run;
static pid_t helper; /* a zombie child, or the killer of the mid-trace test */
static char tmpdir[64];

static void teardown(void)
{
	char path[128];

	if (helper > 0) {
		kill(helper, SIGKILL);
		waitpid(helper, NULL, 0);
		helper = 0;
	}
	e2e_target_stop(&tgt);
	e2e_run_free(&run);
	if (tmpdir[0]) {
		umount2(tmpdir, MNT_DETACH);
		snprintf(path, sizeof(path), "%s/deadlock_pair", tmpdir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/blockwatch", tmpdir);
		unlink(path);
		rmdir(tmpdir);
		tmpdir[0] = '\0';
	}
}

TestSuite(hostile, .fini = teardown, .timeout = 120);

static void poll_interval(void)
{
	usleep(20 * 1000); /* a poll interval while waiting on a condition */
}

/* The state letter of /proc/PID/stat, '?' when unreadable. */
static char proc_state(const char *path)
{
	char buf[512], *p;
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void wait_state(pid_t pid, char want)
{
	double deadline = e2e_now_s() + HOSTILE_WAIT_S;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	while (proc_state(path) != want) {
		cr_assert_lt(e2e_now_s(), deadline, "%d never reached state %c (%c)", (int)pid,
			     want, proc_state(path));
		poll_interval();
	}
}

/* blockwatch refuses: exit 2, one "blockwatch: " line with WHY in it, stdout empty. */
static void expect_refusal(const char *why, const char *what)
{
	cr_assert(!run.timed_out, "%s: still running, killed", what);
	cr_expect_eq(run.exit_code, 2, "%s: exit %d, stderr: %s", what, run.exit_code, run.err);
	cr_expect_eq(e2e_count_lines(run.err), 1, "%s: want one stderr line: %s", what, run.err);
	cr_expect_eq(strncmp(run.err, "blockwatch: ", 12), 0, "%s: stderr: %s", what, run.err);
	cr_expect_not_null(strstr(run.err, why), "%s: no \"%s\" in: %s", what, why, run.err);
	cr_expect_str_empty(run.out, "%s: stdout: %s", what, run.out);
}

static void run_bw_on(pid_t pid, const char *threshold, const char *duration)
{
	char pid_arg[16];
	const char *argv[] = { "-p",	pid_arg,  "--threshold", threshold, "--interval",
			       "200ms", "--json", "--duration",	 duration,  NULL };

	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)pid);
	e2e_run_free(&run);
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert(!run.timed_out, "blockwatch still running after %.0f s", E2E_RUN_TIMEOUT_S);
	cr_assert_eq(run.nbad, 0, "not JSON: %s", run.bad_line);
}

/* Does the record's user stack have FUNC? */
static bool stack_has(json_object *rec, const char *func)
{
	json_object *stack, *frame;
	size_t i;

	if (!json_object_object_get_ex(rec, "user_stack", &stack) ||
	    !json_object_is_type(stack, json_type_array))
		return false;
	for (i = 0; i < json_object_array_length(stack); i++) {
		const char *f;

		frame = json_object_array_get_idx(stack, i);
		f = e2e_get_string(frame, "func");
		if (f && !strcmp(f, func))
			return true;
	}
	return false;
}

/* Both threads of the AB-BA pair: deadlock on a mutex, with their own functions named. */
static void expect_pair(const char *first_role, const char *first_func, const char *second_role,
			const char *second_func)
{
	const char *roles[2] = { first_role, second_role }, *funcs[2] = { first_func, second_func };
	json_object *rec;
	int i;

	cr_expect_eq(run.exit_code, 3, "exit %d, stderr: %s", run.exit_code, run.err);
	for (i = 0; i < 2; i++) {
		const struct e2e_thread *th = e2e_target_role(&tgt, roles[i]);
		const char *v;

		cr_assert_not_null(th, "%s not announced", roles[i]);
		cr_assert_eq(e2e_run_thread_recs(&run, th->tid, &rec), 1, "no record of %s: %s",
			     roles[i], run.out);
		v = e2e_get_string(rec, "verdict");
		cr_expect(v && !strcmp(v, "deadlock"), "%s: verdict %s", roles[i], v ? v : "-");
		v = e2e_get_string(rec, "wait");
		cr_expect(v && !strcmp(v, "mutex"), "%s: wait %s", roles[i], v ? v : "-");
		if (funcs[i])
			cr_expect(stack_has(rec, funcs[i]), "%s: no %s in its stack: %s", roles[i],
				  funcs[i], json_object_to_json_string(rec));
	}
}

/* The main thread exited (pthread_exit): a zombie leader with live threads. */
Test(hostile, zombie_main_thread)
{
	cr_assert_eq(e2e_target_start(&tgt, "zombie_main"), 0, "%s", tgt.err);
	wait_state(tgt.pid, 'Z');
	run_bw_on(tgt.pid, "1s", "2s");
	/* Memory and maps are read through a live thread: owners and symbols resolve. */
	expect_pair("zm-first", "first_thread", "zm-second", "second_thread");
	cr_expect_eq(e2e_run_thread_recs(&run, tgt.pid, NULL), 0, "a record of the exited main");
}

/* A process that exited and is not reaped: nothing to watch. */
Test(hostile, zombie_process)
{
	helper = fork();
	cr_assert_geq(helper, 0);
	if (!helper)
		_exit(0);
	wait_state(helper, 'Z');
	run_bw_on(helper, "1s", "1s");
	expect_refusal("zombie", "-p <zombie>");
}

/* The first kworker of /proc, or 0. */
static pid_t find_kworker(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], comm[64];
	pid_t pid = 0;
	FILE *f;

	cr_assert_not_null(d);
	while (!pid && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "kworker/", 8))
			pid = atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	return pid;
}

Test(hostile, kernel_threads)
{
	pid_t kworker = find_kworker();

	run_bw_on(2, "1s", "1s"); /* kthreadd */
	expect_refusal("kernel thread", "-p 2");
	cr_assert_gt(kworker, 0, "no kworker in /proc");
	run_bw_on(kworker, "1s", "1s");
	expect_refusal("kernel thread", "-p <kworker>");
}

/* blockwatch's own pid, alone and as a second -p: it cannot watch itself. */
Test(hostile, own_pid)
{
	char other[16];
	const char *alone[] = { "/bin/sh", "-c", "exec \"$0\" -p $$ -d 1s --json", e2e_bw_bin(),
				NULL };
	const char *second[] = { "/bin/sh",    "-c",  "exec \"$0\" -p \"$1\" -p $$ -d 1s --json",
				 e2e_bw_bin(), other, NULL };

	cr_assert_eq(e2e_target_start(&tgt, "idle"), 0, "%s", tgt.err);
	snprintf(other, sizeof(other), "%d", (int)tgt.pid);
	cr_assert_eq(e2e_run_cmd(&run, alone, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	expect_refusal("it is blockwatch", "-p <self>");
	e2e_run_free(&run);
	cr_assert_eq(e2e_run_cmd(&run, second, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	expect_refusal("it is blockwatch", "-p <other> -p <self>");
}

/*
 * The errno of exec'ing path (0: it ran, then was killed). A kernel built
 * without IA32 emulation, or booted with ia32_emulation=0, says ENOEXEC to
 * a 32-bit program: the error comes back on a pipe closed by a good exec.
 */
static int exec_errno(const char *path)
{
	int pfd[2], err = 0, status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execl(path, path, (char *)NULL);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	if (read(pfd[0], &err, sizeof(err)) != sizeof(err))
		err = 0;
	close(pfd[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return err;
}

/*
 * A 32-bit program blocked in waitpid, ia32 syscall 7 (poll on x86_64). Its
 * syscall is not decoded: blocked on "other", with its stacks; never idle in poll.
 */
Test(hostile, i386_program)
{
	char path[512], sys[128];
	double deadline;
	json_object *rec;
	const char *v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/i386_wait", e2e_targets_dir());
	if (access(path, X_OK)) {
		fprintf(stderr, "hostile: SKIP i386_program: %s not built (no 32-bit toolchain)\n",
			path);
		cr_skip_test("no 32-bit target");
	}
	if (exec_errno(path) == ENOEXEC) {
		fprintf(stderr, "hostile: SKIP i386_program: this kernel runs no 32-bit program "
				"(no IA32 emulation)\n");
		cr_skip_test("no IA32 emulation");
	}
	cr_assert_eq(e2e_target_start(&tgt, "i386_wait"), 0,
		     "%s (a kernel without CONFIG_IA32_EMULATION cannot run it)", tgt.err);
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tgt.pid);
	for (deadline = e2e_now_s() + HOSTILE_WAIT_S;; poll_interval()) {
		f = fopen(path, "r");
		cr_assert_not_null(f);
		sys[0] = '\0';
		cr_assert_not_null(fgets(sys, sizeof(sys), f) ? sys : "", "read %s", path);
		fclose(f);
		if (!strncmp(sys, "7 ", 2))
			break;
		cr_assert_lt(e2e_now_s(), deadline, "never in waitpid: %s", sys);
	}
	run_bw_on(tgt.pid, "1s", "2s");
	cr_expect_eq(run.exit_code, 0, "exit %d, stderr: %s", run.exit_code, run.err);
	cr_assert_eq(e2e_run_thread_recs(&run, tgt.pid, &rec), 1, "no record: %s", run.out);
	v = e2e_get_string(rec, "wait");
	cr_expect(v && !strcmp(v, "other"), "wait %s, want other", v ? v : "-");
	v = e2e_get_string(rec, "verdict");
	cr_expect(v && !strcmp(v, "blocked"), "verdict %s, want blocked", v ? v : "-");
	cr_expect(stack_has(rec, "_start"), "no _start in the stack: %s",
		  json_object_to_json_string(rec));
}

static void copy_target(const char *dir, char *dst, size_t len)
{
	char src[512];
	const char *cp[] = { "/bin/cp", src, dst, NULL };

	snprintf(src, sizeof(src), "%s/deadlock_pair", e2e_targets_dir());
	snprintf(dst, len, "%s/deadlock_pair", dir);
	cr_assert_eq(e2e_run_cmd(&run, cp, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 0, "cp: %s", run.err);
	e2e_run_free(&run);
}

/* Its binary deleted while it runs: symbols come from /proc/PID/exe. */
Test(hostile, deleted_binary)
{
	char bin[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bw-hostile-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	copy_target(tmpdir, bin, sizeof(bin));
	cr_assert_eq(e2e_target_start_path(&tgt, bin, "deadlock_pair"), 0, "%s", tgt.err);
	cr_assert_eq(unlink(bin), 0);
	run_bw_on(tgt.pid, "1s", "2s");
	expect_pair("ab-first", "ab_first_thread", "ab-second", "ab_second_thread");
}

/*
 * Run from a tmpfs mounted in another mount namespace only: the file does not
 * exist in ours. Symbols come through /proc/PID/root.
 */
Test(hostile, other_mount_namespace)
{
	char script[1024], bin[128];
	struct stat st;
	const char *argv[] = { "/usr/bin/unshare", "--mount", "--propagation", "private",
			       "/bin/sh",	   "-c",      script,	       NULL };

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bw-hostile-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(bin, sizeof(bin), "%s/deadlock_pair", tmpdir);
	snprintf(script, sizeof(script),
		 "mount -t tmpfs bw-hostile %s && cp %s/deadlock_pair %s && exec %s", tmpdir,
		 e2e_targets_dir(), bin, bin);
	cr_assert_eq(e2e_target_start_argv(&tgt, argv, "deadlock_pair"), 0, "%s", tgt.err);
	cr_assert_neq(stat(bin, &st), 0, "%s is visible here: not another namespace", bin);
	run_bw_on(tgt.pid, "1s", "2s");
	expect_pair("ab-first", "ab_first_thread", "ab-second", "ab_second_thread");
}

/* A free TCP port of the loopback, for --prometheus. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* /metrics says the pair of pid is deadlocked. */
static bool metrics_show_deadlock(int port, pid_t pid)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	char buf[65536], key[64], *line;
	size_t len = 0;
	ssize_t n;
	bool found = false;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		close(fd);
		return false;
	}
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	snprintf(key, sizeof(key), "pid=\"%d\"", (int)pid);
	for (line = strtok(buf, "\n"); line && !found; line = strtok(NULL, "\n"))
		found = !strncmp(line, "blockwatch_threads{", 19) && strstr(line, key) &&
			strstr(line, "verdict=\"deadlock\"} 2");
	return found;
}

/*
 * The target is killed once blockwatch has reported its deadlock, and stays a
 * zombie (not reaped) until blockwatch is done: blockwatch says it exited,
 * stops before --duration and reports what it saw, exit 3.
 */
Test(hostile, exits_mid_trace)
{
	char pid_arg[16], listen[32];
	int port = free_port();
	const char *argv[] = { "-p",	     pid_arg,	     "--threshold", "1s",
			       "--interval", "200ms",	     "--json",	    "--duration",
			       "40s",	     "--prometheus", listen,	    NULL };
	pid_t target;

	cr_assert_eq(e2e_target_start(&tgt, "deadlock_pair"), 0, "%s", tgt.err);
	target = tgt.pid;
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)target);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	helper = fork();
	cr_assert_geq(helper, 0);
	if (!helper) {
		double deadline = e2e_now_s() + HOSTILE_WAIT_S;

		while (e2e_now_s() < deadline && !metrics_show_deadlock(port, target))
			poll_interval();
		kill(target, SIGKILL);
		_exit(0);
	}
	cr_assert_eq(e2e_run_bw(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert(!run.timed_out, "blockwatch did not stop when its target exited");
	cr_expect_lt(run.elapsed_s, 35.0, "ran %.1f s: it did not see the exit", run.elapsed_s);
	cr_expect_not_null(strstr(run.err, "exited"), "stderr: %s", run.err);
	expect_pair("ab-first", "ab_first_thread", "ab-second", "ab_second_thread");
}

/* Thousands of threads start and end during the trace; the deadlocked pair stays found. */
Test(hostile, thread_churn)
{
	char path[64];
	long long threads = 0;
	json_object *rec = NULL;
	size_t i;

	cr_assert_eq(e2e_target_start(&tgt, "thread_churn"), 0, "%s", tgt.err);
	run_bw_on(tgt.pid, "1s", "3s");
	expect_pair("ab-first", "ab_first_thread", "ab-second", "ab_second_thread");
	for (i = 0; i < run.nlines; i++) {
		const char *type = run.objs[i] ? e2e_get_string(run.objs[i], "type") : NULL;

		if (type && !strcmp(type, "process"))
			rec = run.objs[i];
	}
	cr_assert_not_null(rec, "no process record: %s", run.out);
	cr_expect(e2e_get_int(rec, "threads", &threads) && threads >= 4, "threads %lld", threads);
	/* Still churning at the end: the trace did not just see a quiet process. */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tgt.pid);
	cr_expect_neq(proc_state(path), '?', "the target died");
	cr_expect_eq(strstr(run.err, "failed") == NULL, true, "stderr: %s", run.err);
}

/*
 * Capabilities, as uid/gid 65534 with no groups. Needed: CAP_BPF,
 * CAP_PERFMON, CAP_SYS_PTRACE (refused without any of them). Useful:
 * CAP_DAC_READ_SEARCH (/proc/PID/auxv and the files of another user's
 * process: without it no user stacks), CAP_SYSLOG (kernel symbols: without
 * it kernel frames stay addresses).
 */
TestSuite(caps, .fini = teardown, .timeout = 120);

/* Copies blockwatch where uid 65534 can run it (the checkout may not be reachable). */
static void copy_bw(char *bin, size_t len)
{
	const char *cp[] = { "/bin/cp", e2e_bw_bin(), bin, NULL };

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bw-caps-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	chmod(tmpdir, 0755);
	snprintf(bin, len, "%s/blockwatch", tmpdir);
	cr_assert_eq(e2e_run_cmd(&run, cp, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert_eq(run.exit_code, 0, "cp: %s", run.err);
	e2e_run_free(&run);
}

static void run_with_caps(const char *bin, const char *caps, pid_t pid)
{
	char inh[160], amb[160], pid_arg[16];
	const char *argv[] = { "/usr/bin/setpriv",
			       "--reuid=65534",
			       "--regid=65534",
			       "--clear-groups",
			       inh,
			       amb,
			       bin,
			       "-p",
			       pid_arg,
			       "--threshold",
			       "1s",
			       "--interval",
			       "200ms",
			       "--duration",
			       "2s",
			       "--json",
			       NULL };

	snprintf(inh, sizeof(inh), "--inh-caps=-all,%s", caps);
	snprintf(amb, sizeof(amb), "--ambient-caps=-all,%s", caps);
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)pid);
	e2e_run_free(&run);
	cr_assert_eq(e2e_run_cmd(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert(!run.timed_out, "%s: still running, killed", caps);
	cr_assert_eq(run.nbad, 0, "%s: not JSON: %s", caps, run.bad_line);
}

/* The first kernel frame of a record, or NULL. */
static const char *first_kframe(json_object *rec)
{
	json_object *stack;

	if (!json_object_object_get_ex(rec, "kernel_stack", &stack) ||
	    !json_object_array_length(stack))
		return NULL;
	return json_object_get_string(json_object_array_get_idx(stack, 0));
}

Test(caps, exact_set_as_nobody)
{
	char bin[128];
	const struct e2e_thread *th;
	json_object *rec;
	const char *k;

	copy_bw(bin, sizeof(bin));
	cr_assert_eq(e2e_target_start(&tgt, "deadlock_pair"), 0, "%s", tgt.err);
	run_with_caps(bin, "+bpf,+perfmon,+sys_ptrace,+dac_read_search,+syslog", tgt.pid);
	expect_pair("ab-first", "ab_first_thread", "ab-second", "ab_second_thread");
	th = e2e_target_role(&tgt, "ab-first");
	cr_assert_eq(e2e_run_thread_recs(&run, th->tid, &rec), 1);
	k = first_kframe(rec);
	cr_expect(k && strstr(k, "futex"), "kernel frame %s: no symbols with CAP_SYSLOG",
		  k ? k : "-");
}

/* The three needed ones only: verdicts still right, stacks degrade, nothing fails. */
Test(caps, minimal_set_as_nobody)
{
	char bin[128];

	copy_bw(bin, sizeof(bin));
	cr_assert_eq(e2e_target_start(&tgt, "deadlock_pair"), 0, "%s", tgt.err);
	run_with_caps(bin, "+bpf,+perfmon,+sys_ptrace", tgt.pid);
	expect_pair("ab-first", NULL, "ab-second", NULL);
}

/* Without any one of the three: one clear line, exit 2, nothing loaded. */
Test(caps, each_needed_cap_missing)
{
	static const char *const sets[] = { "+perfmon,+sys_ptrace,+dac_read_search,+syslog",
					    "+bpf,+sys_ptrace,+dac_read_search,+syslog",
					    "+bpf,+perfmon,+dac_read_search,+syslog" };
	char bin[128];
	size_t i;

	copy_bw(bin, sizeof(bin));
	cr_assert_eq(e2e_target_start(&tgt, "deadlock_pair"), 0, "%s", tgt.err);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		run_with_caps(bin, sets[i], tgt.pid);
		cr_expect_eq(run.exit_code, 2, "%s: exit %d, stderr: %s", sets[i], run.exit_code,
			     run.err);
		cr_expect_eq(e2e_count_lines(run.err), 1, "%s: stderr: %s", sets[i], run.err);
		cr_expect_not_null(strstr(run.err, "privileges"), "%s: stderr: %s", sets[i],
				   run.err);
		cr_expect_str_empty(run.out, "%s: stdout: %s", sets[i], run.out);
	}
}

#define MANY_TARGETS 24

static struct e2e_target many[MANY_TARGETS];

static void many_teardown(void)
{
	size_t i;

	for (i = 0; i < MANY_TARGETS; i++)
		e2e_target_stop(&many[i]);
	teardown();
}

/*
 * -a over many processes with stuck threads, under a soft fd limit of 64:
 * each symbolized process holds a few fds, so blockwatch raises its soft
 * limit to the hard one (it used to fail its next scan with EMFILE, exit 2).
 */
Test(hostile, many_processes_low_fd_limit, .fini = many_teardown)
{
	const char *argv[] = { "/bin/sh", "-c",
			       "ulimit -Sn 64 && exec \"$0\" -a --comm '^idle$' --threshold 1s "
			       "--interval 200ms --duration 2s --json",
			       e2e_bw_bin(), NULL };
	size_t i;

	for (i = 0; i < MANY_TARGETS; i++)
		cr_assert_eq(e2e_target_start(&many[i], "idle"), 0, "%s", many[i].err);
	cr_assert_eq(e2e_run_cmd(&run, argv, E2E_RUN_TIMEOUT_S), 0, "%s", run.errmsg);
	cr_assert(!run.timed_out, "still running, killed");
	cr_expect_eq(run.exit_code, 0, "exit %d, stderr: %s", run.exit_code, run.err);
	cr_expect_eq(run.nbad, 0, "not JSON: %s", run.bad_line);
	/* Every target is there, its threads counted. */
	for (i = 0; i < MANY_TARGETS; i++) {
		long long pid = 0, threads = 0;
		size_t j;
		bool found = false;

		for (j = 0; j < run.nlines && !found; j++) {
			const char *type = run.objs[j] ? e2e_get_string(run.objs[j], "type") : NULL;

			found = type && !strcmp(type, "process") &&
				e2e_get_int(run.objs[j], "pid", &pid) && pid == many[i].pid &&
				e2e_get_int(run.objs[j], "threads", &threads);
		}
		cr_expect(found && threads == (long long)many[i].nthreads,
			  "target %zu (%d): %s, %lld threads of %zu", i, (int)many[i].pid,
			  found ? "found" : "no process record", threads, many[i].nthreads);
	}
}
