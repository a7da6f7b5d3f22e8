// SPDX-License-Identifier: GPL-2.0
/*
 * Two blockwatch instances at once, then SIGKILL one and SIGINT the other:
 * both detach fully (no BPF program left loaded), the interrupted one still
 * prints its report.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include "harness.h"

#define WAIT_S 20.0

static struct e2e_target tgt = { .out_fd = -1 };
static pid_t bw[2];

static void teardown(void)
{
	int i;

	for (i = 0; i < 2; i++)
		if (bw[i] > 0) {
			kill(bw[i], SIGKILL);
			waitpid(bw[i], NULL, 0);
		}
	e2e_target_stop(&tgt);
}

TestSuite(lifecycle, .fini = teardown, .timeout = 120);

/*
 * Programs of blockwatch's loaded in the kernel, by name (bpftool may not
 * show owners).
 */
static int count_progs(void)
{
	static const char *const names[] = { " name sched_switch ", " name sched_process_exit ",
					     " name dump_task " };
	FILE *p = popen("bpftool prog show 2>/dev/null", "r");
	char line[512];
	size_t i;
	int n = 0;

	cr_assert_not_null(p, "bpftool");
	while (fgets(line, sizeof(line), p))
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			n += strstr(line, names[i]) != NULL;
	pclose(p);
	return n;
}

static bool wait_for(bool (*cond)(void *), void *arg)
{
	double deadline = e2e_now_s() + WAIT_S;

	while (e2e_now_s() < deadline) {
		if (cond(arg))
			return true;
		usleep(50 * 1000); /* a poll interval, not a guess at timing */
	}
	return cond(arg);
}

static bool at_least(void *arg)
{
	return count_progs() >= *(int *)arg;
}

static bool back_to(void *arg)
{
	return count_progs() <= *(int *)arg;
}

/* The deadlocked pair has been blocked since it started: past 1s it is over --threshold. */
static bool over_threshold(void *arg)
{
	return e2e_now_s() - ((struct e2e_target *)arg)->started_s > 1.5;
}

static pid_t start_bw(const char *pid, int out_fd)
{
	pid_t p = fork();

	cr_assert_geq(p, 0);
	if (!p) {
		dup2(out_fd, STDOUT_FILENO);
		execl(e2e_bw_bin(), e2e_bw_bin(), "-p", pid, "--threshold", "1s", NULL);
		_exit(127);
	}
	return p;
}

Test(lifecycle, two_instances_and_signals_leave_nothing)
{
	char pid[16], report[8192];
	int base, both, status, out[2];
	ssize_t n, len = 0;

	cr_assert_eq(e2e_target_start(&tgt, "deadlock_pair"), 0, "%s", tgt.err);
	snprintf(pid, sizeof(pid), "%d", tgt.pid);
	base = count_progs();
	both = base + 6; /* three named programs per instance */
	cr_assert_eq(pipe(out), 0);
	bw[0] = start_bw(pid, out[1]);
	bw[1] = start_bw(pid, out[1]);
	close(out[1]);
	cr_assert(wait_for(at_least, &both), "the two instances never both loaded (%d programs)",
		  count_progs());

	cr_assert(wait_for(over_threshold, &tgt), "the target never got past the threshold");

	kill(bw[0], SIGKILL);
	cr_assert_eq(waitpid(bw[0], &status, 0), bw[0]);
	bw[0] = 0;
	kill(bw[1], SIGINT);
	while ((n = read(out[0], report + len, sizeof(report) - 1 - len)) > 0)
		len += n;
	report[len] = '\0';
	close(out[0]);
	cr_assert_eq(waitpid(bw[1], &status, 0), bw[1]);
	bw[1] = 0;
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 3, "SIGINT: status 0x%x", status);
	cr_expect_not_null(strstr(report, "deadlock"), "no report after SIGINT: %s", report);
	cr_expect(wait_for(back_to, &base), "%d BPF programs left, %d before", count_progs(), base);
}
