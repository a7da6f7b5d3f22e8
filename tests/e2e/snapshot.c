// SPDX-License-Identifier: GPL-2.0
/*
 * Forensics end to end: a live run writes a snapshot; `blockwatch report`
 * renders it byte for byte as the live run printed it.
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
