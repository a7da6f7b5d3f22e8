// SPDX-License-Identifier: GPL-2.0
/* The watch and snapshot options: defaults, values, and the usage errors with exit 1. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include "cli/options.h"

#define MS (NSEC_PER_SEC / 1000)
#define ARGC(a) ((int)(sizeof(a) / sizeof(a[0])) - 1)

static struct config cfg;

Test(options, defaults)
{
	char *argv[] = { "blockwatch", "-p", "42", NULL };

	cr_assert_eq(bw_options_parse(ARGC(argv), argv, false, &cfg), 0);
	cr_assert_eq(cfg.pid, 42);
	cr_assert_eq(cfg.npids, 1);
	cr_assert_eq(cfg.threshold_ns, DEFAULT_THRESHOLD_NS);
	cr_assert_eq(cfg.interval_ns, DEFAULT_INTERVAL_NS);
	cr_assert_eq(cfg.duration_ns, 0, "watch: until a signal");
	cr_assert_eq(cfg.go_interval_ns, 0);
	cr_assert_not(cfg.all || cfg.json || cfg.snapshot || cfg.no_go || cfg.go_probes);
}

Test(options, snapshot_defaults)
{
	char *argv[] = { "snapshot", "-p", "42", "-o", "x.bw", NULL };

	cr_assert_eq(bw_options_parse(ARGC(argv), argv, true, &cfg), 0);
	cr_assert(cfg.snapshot);
	cr_assert_str_eq(cfg.output, "x.bw");
	cr_assert_eq(cfg.duration_ns, DEFAULT_SNAPSHOT_DURATION_NS);
}

Test(options, values)
{
	char *argv[] = { "blockwatch", "-p",
			 "7",	       "-p",
			 "9",	       "-t",
			 "500ms",      "-i",
			 "250ms",      "-d",
			 "3s",	       "--go-interval",
			 "30s",	       "--max-threads",
			 "128",	       "--json",
			 "--pprof",    "p.pb.gz",
			 "--folded",   "f.txt",
			 "--fail-on",  "stuck",
			 "--btf",      "/tmp/btf",
			 NULL };

	cr_assert_eq(bw_options_parse(ARGC(argv), argv, false, &cfg), 0);
	cr_assert_eq(cfg.pid, 7, "the first -p");
	cr_assert_eq(cfg.npids, 2);
	cr_assert_eq(cfg.pids[1], 9);
	cr_assert_eq(cfg.threshold_ns, 500 * MS);
	cr_assert_eq(cfg.interval_ns, 250 * MS);
	cr_assert_eq(cfg.duration_ns, 3000 * MS);
	cr_assert_eq(cfg.go_interval_ns, 30000 * MS);
	cr_assert_eq(cfg.max_threads, 128);
	cr_assert(cfg.json && cfg.fail_on_stuck);
	cr_assert_str_eq(cfg.pprof, "p.pb.gz");
	cr_assert_str_eq(cfg.folded, "f.txt");
	cr_assert_str_eq(cfg.btf, "/tmp/btf");
}

Test(options, all_with_filters)
{
	char *argv[] = { "blockwatch",	    "-a",    "--comm",	    "^nginx$",
			 "--exclude-comm",  "debug", "--cgroup",    "/system.slice",
			 "--prometheus",    ":9464", "--max-sites", "5",
			 "--no-histograms", NULL };

	cr_assert_eq(bw_options_parse(ARGC(argv), argv, false, &cfg), 0);
	cr_assert(cfg.all);
	cr_assert_eq(cfg.pid, 0);
	cr_assert_str_eq(cfg.comm_re, "^nginx$");
	cr_assert_str_eq(cfg.exclude_re, "debug");
	cr_assert_str_eq(cfg.cgroup, "/system.slice");
	cr_assert_str_eq(cfg.prometheus, ":9464");
	cr_assert_eq(cfg.max_sites, 5);
	cr_assert(cfg.no_histograms);
}

/*
 * Parses in a child (a usage error exits): its exit status, and whether
 * its stderr holds want.
 */
static void expect_usage_error(int argc, char **argv, bool snapshot, const char *want)
{
	char err[4096] = "";
	size_t len = 0;
	ssize_t r;
	int fds[2], status;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		struct config c;

		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		argp_err_exit_status = EXIT_USAGE;
		_exit(bw_options_parse(argc, argv, snapshot, &c) ? 100 : 0);
	}
	close(fds[1]);
	while (len < sizeof(err) - 1 && (r = read(fds[0], err + len, sizeof(err) - 1 - len)) > 0)
		len += r;
	err[len] = '\0';
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_expect_eq(WEXITSTATUS(status), EXIT_USAGE, "%s %s: exit %d, want 1", argv[1],
		     argc > 2 ? argv[2] : "", WEXITSTATUS(status));
	cr_expect(strstr(err, want), "stderr:\n%s\nwants: %s", err, want);
}

#define USAGE_ERROR(snapshot, want, ...)                                                           \
	do {                                                                                       \
		char *argv_[] = { "blockwatch", __VA_ARGS__, NULL };                               \
		expect_usage_error(ARGC(argv_), argv_, snapshot, want);                            \
	} while (0)

Test(options, usage_errors)
{
	USAGE_ERROR(false, "give a process with -p PID, or -a for all", "-t", "2s");
	USAGE_ERROR(false, "-p and -a do not go together", "-p", "1", "-a");
	USAGE_ERROR(false, "invalid PID: 0", "-p", "0");
	USAGE_ERROR(false, "invalid PID: 12x", "-p", "12x");
	USAGE_ERROR(false, "invalid threshold: 10abc (e.g. 500ms, 10s, 2m)", "-p", "1", "-t",
		    "10abc");
	USAGE_ERROR(false, "invalid interval: 0 (e.g. 500ms, 1s)", "-p", "1", "-i", "0");
	USAGE_ERROR(false, "invalid duration: 1y (e.g. 3s, 2m)", "-p", "1", "-d", "1y");
	USAGE_ERROR(false, "invalid --go-interval: 0 (e.g. 1s, 30s)", "-p", "1", "--go-interval",
		    "0");
	USAGE_ERROR(false, "invalid --max-threads: 63 (64 to 4194304)", "-p", "1", "--max-threads",
		    "63");
	USAGE_ERROR(false, "invalid --max-sites: 10001 (1 to 10000)", "-a", "--max-sites", "10001");
	USAGE_ERROR(false, "invalid --fail-on: leak (stuck)", "-p", "1", "--fail-on", "leak");
	USAGE_ERROR(false, "--comm, --exclude-comm and --cgroup go with -a", "-p", "1", "--comm",
		    "x");
	USAGE_ERROR(false, "--go-probes needs -p and goroutines", "-a", "--go-probes");
	USAGE_ERROR(false, "--go-probes needs -p and goroutines", "-p", "1", "--go-probes",
		    "--no-go");
	USAGE_ERROR(false, "--go-probes needs -p and goroutines", "-p", "1", "-p", "2",
		    "--go-probes");
	USAGE_ERROR(false, "unexpected argument: extra", "-p", "1", "extra");
	USAGE_ERROR(true, "snapshot needs -o FILE", "-p", "1");
}

/* -p takes at most BW_TGIDS_ENTRIES processes. */
Test(options, too_many_pids)
{
	char **argv = calloc(2 * BW_TGIDS_ENTRIES + 4, sizeof(*argv));
	char want[32];
	int i, argc = 0;

	cr_assert(argv);
	argv[argc++] = "blockwatch";
	for (i = 0; i <= BW_TGIDS_ENTRIES; i++) {
		argv[argc++] = "-p";
		argv[argc++] = "5";
	}
	snprintf(want, sizeof(want), "at most %d -p", BW_TGIDS_ENTRIES);
	expect_usage_error(argc, argv, false, want);
	free(argv);
}

Test(options, snapshot_dir)
{
	char *argv[] = { "blockwatch",
			 "-a",
			 "--snapshot-dir",
			 "/var/snaps",
			 "--snapshot-every",
			 "30s",
			 "--snapshot-keep",
			 "5",
			 "--snapshot-max-size",
			 "64M",
			 "--prometheus",
			 ":9464",
			 "--http-token",
			 "/etc/tok",
			 NULL };
	char *defaults[] = { "blockwatch", "-p", "1", "--snapshot-dir", "d", NULL };

	cr_assert_eq(bw_options_parse(ARGC(argv), argv, false, &cfg), 0);
	cr_assert_str_eq(cfg.snapshot_dir, "/var/snaps");
	cr_assert_eq(cfg.snapshot_every_ns, 30 * NSEC_PER_SEC);
	cr_assert_eq(cfg.snapshot_keep, 5);
	cr_assert_eq(cfg.snapshot_max_bytes, 64ULL << 20);
	cr_assert_str_eq(cfg.http_token, "/etc/tok");
	cr_assert_eq(bw_options_parse(ARGC(defaults), defaults, false, &cfg), 0);
	cr_assert_eq(cfg.snapshot_every_ns, DEFAULT_SNAPSHOT_EVERY_NS);
	cr_assert_eq(cfg.snapshot_keep, DEFAULT_SNAPSHOT_KEEP);
	cr_assert_eq(cfg.snapshot_max_bytes, DEFAULT_SNAPSHOT_MAX_BYTES);
	cr_assert_null(cfg.http_token);
}

Test(options, snapshot_dir_usage_errors)
{
	USAGE_ERROR(false, "invalid --snapshot-every: 0 (e.g. 30s, 10m)", "-p", "1",
		    "--snapshot-dir", "d", "--snapshot-every", "0");
	USAGE_ERROR(false, "invalid --snapshot-keep: 0 (1 to 100000)", "-p", "1", "--snapshot-dir",
		    "d", "--snapshot-keep", "0");
	USAGE_ERROR(false, "invalid --snapshot-max-size: 10MB (e.g. 64M, 1G; 4k at least)", "-p",
		    "1", "--snapshot-dir", "d", "--snapshot-max-size", "10MB");
	USAGE_ERROR(false, "invalid --snapshot-max-size: 1k", "-p", "1", "--snapshot-dir", "d",
		    "--snapshot-max-size", "1k");
	USAGE_ERROR(false, "invalid --snapshot-dir: empty", "-p", "1", "--snapshot-dir", "");
	USAGE_ERROR(false, "go with --snapshot-dir", "-p", "1", "--snapshot-keep", "3");
	USAGE_ERROR(false, "--http-token goes with --prometheus", "-p", "1", "--http-token", "t");
	USAGE_ERROR(true, "--snapshot-dir goes with a watch, not the snapshot command", "-p", "1",
		    "-o", "x", "--snapshot-dir", "d");
}
