// SPDX-License-Identifier: GPL-2.0
/*
 * Forensics end to end: a live run writes a snapshot; `blockwatch report`
 * renders it byte for byte as the live run printed it, and its filters
 * look again at what the run saw under its threshold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <criterion/criterion.h>
#include "harness.h"

static struct e2e_target tgt = { .out_fd = -1 };
static struct e2e_run live, rep;
static char dir[] = "/tmp/bw-snap-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	e2e_target_stop(&tgt);
	e2e_run_free(&live);
	e2e_run_free(&rep);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd); /* best effort */
}

TestSuite(snapshot, .init = setup, .fini = teardown, .timeout = 120);

static void live_then_report(const char *path, bool json, int want_exit)
{
	char pid[16];
	const char *argv[] = { "-p", pid,  "--threshold",	   "1s", "--duration", "2s",
			       "-o", path, json ? "--json" : NULL, NULL };
	const char *rargv[] = { "report", path, json ? "--json" : NULL, NULL };

	snprintf(pid, sizeof(pid), "%d", tgt.pid);
	cr_assert_eq(e2e_run_bw(&live, argv, E2E_RUN_TIMEOUT_S), 0, "%s", live.errmsg);
	cr_assert_eq(live.exit_code, want_exit, "live exit %d: %s", live.exit_code, live.err);
	cr_assert_eq(e2e_run_bw(&rep, rargv, E2E_RUN_TIMEOUT_S), 0, "%s", rep.errmsg);
	cr_assert_eq(rep.exit_code, want_exit, "report exit %d: %s", rep.exit_code, rep.err);
	cr_assert_str_eq(rep.out, live.out, "report differs from the live output");
}

Test(snapshot, report_renders_the_live_text)
{
	char path[64];
	struct stat st;

	cr_assert_eq(e2e_target_start(&tgt, "demo"), 0, "%s", tgt.err);
	snprintf(path, sizeof(path), "%s/demo.bw", dir);
	live_then_report(path, false, 3);
	cr_assert_not_null(strstr(live.out, "deadlock"));
	/* the evidence is in the text, and comes back from the snapshot with it */
	cr_assert_not_null(strstr(live.out, "why: cycle: "), "%s", live.out);
	cr_assert_not_null(strstr(live.out, "[stuck]"), "%s", live.out);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
}

Test(snapshot, report_renders_the_live_json)
{
	char path[64];

	cr_assert_eq(e2e_target_start(&tgt, "stuck_join"), 0, "%s", tgt.err);
	snprintf(path, sizeof(path), "%s/join.bw", dir);
	live_then_report(path, true, 0); /* stuck, not a leak: exit 0 */
	cr_assert_eq(live.nbad, 0, "bad line: %s", live.bad_line);
	cr_assert_not_null(strstr(live.out, "\"reason\":\"owner_stuck\""), "%s", live.out);
	cr_assert_not_null(strstr(live.out, "\"why\":\"joins "), "%s", live.out);
}

Test(snapshot, a_planted_symlink_is_replaced_not_followed)
{
	char path[64], victim[64], pid[16];
	const char *argv[] = { "snapshot", "-p", pid, "--threshold", "1s", "-o", path, NULL };
	struct stat st;
	FILE *f;

	cr_assert_eq(e2e_target_start(&tgt, "stuck_sem"), 0, "%s", tgt.err);
	snprintf(pid, sizeof(pid), "%d", tgt.pid);
	snprintf(path, sizeof(path), "%s/out.bw", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	cr_assert_not_null(f);
	fputs("precious\n", f);
	fclose(f);
	cr_assert_eq(symlink(victim, path), 0);
	cr_assert_eq(e2e_run_bw(&live, argv, E2E_RUN_TIMEOUT_S), 0, "%s", live.errmsg);
	cr_assert_eq(live.exit_code, 0, "exit %d (stuck only): %s", live.exit_code, live.err);
	cr_assert_str_eq(live.out, "", "snapshot prints nothing on stdout");
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert(S_ISREG(st.st_mode), "the symlink was followed");
	cr_assert_eq(stat(victim, &st), 0);
	cr_assert_eq(st.st_size, 9, "the symlink's target was written");
}

Test(snapshot, truncated_file_is_refused)
{
	char path[64], pid[16];
	const char *argv[] = { "snapshot", "-p", pid, "--threshold", "1s", "-o", path, NULL };
	const char *rargv[] = { "report", path, NULL };
	struct stat st;

	cr_assert_eq(e2e_target_start(&tgt, "stuck_condvar"), 0, "%s", tgt.err);
	snprintf(pid, sizeof(pid), "%d", tgt.pid);
	snprintf(path, sizeof(path), "%s/cut.bw", dir);
	cr_assert_eq(e2e_run_bw(&live, argv, E2E_RUN_TIMEOUT_S), 0, "%s", live.errmsg);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(truncate(path, st.st_size / 2), 0);
	cr_assert_eq(e2e_run_bw(&rep, rargv, E2E_RUN_TIMEOUT_S), 0, "%s", rep.errmsg);
	cr_assert_eq(rep.exit_code, 2);
	cr_assert_str_eq(rep.out, "");
	cr_assert_eq(e2e_count_lines(rep.err), 1, "%s", rep.err);
	cr_assert_not_null(strstr(rep.err, "truncated"), "%s", rep.err);
}

/* report ARGS... PATH into rep; its exit status. */
static int report(const char *path, const char *a, const char *b, const char *c)
{
	const char *argv[] = { "report", a, b, c, NULL, NULL };
	int i = 1;

	while (argv[i])
		i++;
	argv[i] = path;
	e2e_run_free(&rep);
	cr_assert_eq(e2e_run_bw(&rep, argv, E2E_RUN_TIMEOUT_S), 0, "%s", rep.errmsg);
	return rep.exit_code;
}

/* The line of the table that names comm, or NULL. */
static const char *row_of(const char *out, const char *comm)
{
	const char *p = out;

	while ((p = strstr(p, comm))) {
		const char *bol = p;

		while (bol > out && bol[-1] != '\n')
			bol--;
		if (!strncmp(bol, "stuck ", 6) || !strncmp(bol, "idle ", 5))
			return bol;
		p += strlen(comm);
	}
	return NULL;
}

Test(snapshot, report_filters_look_again)
{
	char path[64], pid[16], other[16];
	const char *row;

	cr_assert_eq(e2e_target_start(&tgt, "late_waiter"), 0, "%s", tgt.err);
	snprintf(pid, sizeof(pid), "%d", tgt.pid);
	snprintf(other, sizeof(other), "%d", tgt.pid == 1 ? 2 : 1);
	snprintf(path, sizeof(path), "%s/late.bw", dir);
	{
		const char *argv[] = { "-p", pid,  "--threshold", "4s", "--duration",
				       "1s", "-o", path,	  NULL };

		cr_assert_eq(e2e_run_bw(&live, argv, E2E_RUN_TIMEOUT_S), 0, "%s", live.errmsg);
	}
	cr_assert_eq(live.exit_code, 0, "stuck only: %s", live.err);
	cr_assert_not_null(row_of(live.out, "early-waiter"), "%s", live.out);
	cr_assert_null(row_of(live.out, "late-waiter"), "under the threshold: %s", live.out);

	/* No filter, and filters that keep everything: what the live run printed. */
	cr_assert_eq(report(path, NULL, NULL, NULL), 0);
	cr_assert_str_eq(rep.out, live.out);
	cr_assert_eq(report(path, "--threshold", "4s", NULL), 0);
	cr_assert_str_eq(rep.out, live.out);
	cr_assert_eq(report(path, "--pid", pid, NULL), 0);
	cr_assert_str_eq(rep.out, live.out);
	cr_assert_eq(report(path, "--comm", "late_*", NULL), 0);
	cr_assert_str_eq(rep.out, live.out);

	/* A lower threshold finds the short wait the run saw. */
	cr_assert_eq(report(path, "--threshold", "1ms", NULL), 0);
	row = row_of(rep.out, "late-waiter");
	cr_assert_not_null(row, "%s", rep.out);
	cr_assert_eq(strncmp(row, "stuck ", 6), 0, "%s", rep.out);
	cr_assert_not_null(strstr(rep.out, "threshold 1ms: 0 deadlocked, 0 leaked, 2 stuck"), "%s",
			   rep.out);
	cr_assert_eq(report(path, "--json", "--threshold", "1ms"), 0);
	cr_assert_not_null(strstr(rep.out, "\"comm\":\"late-waiter\""), "%s", rep.out);

	/* --verdict keeps the verdicts listed. */
	cr_assert_eq(report(path, "--threshold", "1ms", "--verdict=idle"), 0);
	cr_assert_null(row_of(rep.out, "early-waiter"), "%s", rep.out);
	cr_assert_not_null(row_of(rep.out, "late_waiter"), "main, idle: %s", rep.out);
	cr_assert_eq(report(path, "--verdict", "stuck", NULL), 0);
	cr_assert_not_null(row_of(rep.out, "early-waiter"), "%s", rep.out);

	/* Other processes, other names: nothing of this one. */
	cr_assert_eq(report(path, "--pid", other, NULL), 0);
	cr_assert_null(strstr(rep.out, "waiter"), "%s", rep.out);
	cr_assert_eq(report(path, "--comm", "no-such-*", NULL), 0);
	cr_assert_null(strstr(rep.out, "waiter"), "%s", rep.out);

	/* A bad value is a usage error, one line on stderr and no report. */
	cr_assert_eq(report(path, "--verdict", "stuck,bogus", NULL), 1);
	cr_assert_str_eq(rep.out, "");
	cr_assert_not_null(strstr(rep.err, "invalid --verdict"), "%s", rep.err);
	cr_assert_eq(report(path, "--threshold", "10abc", NULL), 1);
	cr_assert_not_null(strstr(rep.err, "invalid threshold"), "%s", rep.err);
}
