// SPDX-License-Identifier: GPL-2.0
/* The commands that read snapshots, on any machine: no root, no BPF. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/capture.h"
#include "core/parse.h"
#include "export/capfilter.h"
#include "export/diff.h"
#include "export/report.h"
#include "export/snapshot.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/offline.h"

enum {
	OPT_PPROF = 0x100,
	OPT_FOLDED,
	OPT_VERDICT,
	OPT_COMM,
};

#define REPORT_PIDS_MAX 256
#define DIFF_FILES_MAX 64

static int read_capture(const char *path, struct bw_capture *c)
{
	char why[256] = "";
	FILE *f = fopen(path, "re");
	int err;

	memset(c, 0, sizeof(*c)); /* defined whatever happens */
	if (!f) {
		err = -errno; /* before fprintf, which may change errno */
		fprintf(stderr, "blockwatch: failed to open %s: %s\n", path, strerror(-err));
		return err;
	}
	err = bw_snapshot_read(f, c, why, sizeof(why));
	fclose(f);
	if (err)
		fprintf(stderr, "blockwatch: failed to read snapshot %s: %s\n", path,
			err == -EINVAL ? why : strerror(-err));
	return err;
}

struct file_args {
	const char *files[DIFF_FILES_MAX];
	int nfiles;
	int want; /* 1: report FILE; 2: diff, two files or more */
	bool json;
	const char *pprof;
	const char *folded;
	struct bw_capfilter filter;
	__u32 pids[REPORT_PIDS_MAX];
};

static const struct argp_option report_options[] = {
	{ "json", 'j', NULL, 0, "One JSON object per line on stdout", 0 },
	{ "pprof", OPT_PPROF, "FILE", 0, "Also write a gzipped pprof profile", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0, "Also write folded stacks", 0 },
	{ "threshold", 't', "DUR", 0, "Judge again at this threshold (e.g. 100ms, 2s)", 0 },
	{ "pid", 'p', "PID", 0, "Only this process (repeatable)", 0 },
	{ "verdict", OPT_VERDICT, "LIST", 0,
	  "Only these verdicts: a comma list of deadlock, leak, stuck, blocked, idle", 0 },
	{ "comm", OPT_COMM, "GLOB", 0, "Only processes named so (or with a thread named so)", 0 },
	{},
};

static const struct argp_option diff_options[] = {
	{ "json", 'j', NULL, 0, "One JSON object per line on stdout", 0 },
	{},
};

static error_t parse_file_arg(int key, char *arg, struct argp_state *state)
{
	struct file_args *fa = state->input;
	__u32 pid;

	switch (key) {
	case 'j':
		fa->json = true;
		break;
	case OPT_PPROF:
		fa->pprof = arg;
		break;
	case OPT_FOLDED:
		fa->folded = arg;
		break;
	case 't':
		if (bw_parse_duration(arg, MAX_DURATION_NS, &fa->filter.threshold_ns))
			argp_error(state, "invalid threshold: %s (e.g. 500ms, 10s, 2m)", arg);
		fa->filter.has_threshold = true;
		break;
	case 'p':
		if (bw_parse_pid(arg, &pid))
			argp_error(state, "invalid PID: %s", arg);
		if (fa->filter.npids == REPORT_PIDS_MAX)
			argp_error(state, "at most %d --pid", REPORT_PIDS_MAX);
		fa->pids[fa->filter.npids++] = pid;
		fa->filter.pids = fa->pids;
		break;
	case OPT_VERDICT:
		if (bw_capfilter_parse_verdicts(arg, &fa->filter.verdicts))
			argp_error(state,
				   "invalid --verdict: %s (a comma list of deadlock, leak, stuck, "
				   "blocked, idle)",
				   arg);
		break;
	case OPT_COMM:
		if (!*arg)
			argp_error(state, "invalid --comm: empty");
		fa->filter.comm = arg;
		break;
	case ARGP_KEY_ARG:
		if (fa->nfiles == (fa->want == 1 ? 1 : DIFF_FILES_MAX))
			argp_error(state, "too many files");
		fa->files[fa->nfiles++] = arg;
		break;
	case ARGP_KEY_END:
		if (fa->want == 1 ? fa->nfiles != 1 : fa->nfiles < 2)
			argp_error(state, "give %s",
				   fa->want == 1 ? "a snapshot FILE" : "OLD and NEW (or more)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* blockwatch report FILE: a snapshot rendered as the live report was, or a view of it. */
int bw_cmd_report(int argc, char **argv)
{
	static const struct argp argp = {
		.options = report_options,
		.parser = parse_file_arg,
		.args_doc = "FILE",
		.doc = "Render a snapshot written by 'blockwatch snapshot' (or -o) as the live "
		       "report, on any machine: no root, no BPF. --threshold, --pid, --verdict and "
		       "--comm narrow it; every output shows the same view.",
	};
	struct file_args fa = { .want = 1 };
	struct bw_capture c, view;
	const struct bw_capture *shown = &c;
	int code = EXIT_NO_TRACE, err;

	memset(&view, 0, sizeof(view));
	if (argp_parse(&argp, argc, argv, 0, NULL, &fa))
		return EXIT_USAGE;
	if (read_capture(fa.files[0], &c))
		return EXIT_NO_TRACE;
	/* No filter: the capture itself, byte for byte what the live run printed. */
	if (!bw_capfilter_is_identity(&fa.filter, &c)) {
		err = bw_capfilter_apply(&c, &fa.filter, &view);
		if (err) {
			fprintf(stderr, "blockwatch: failed to filter snapshot %s: %s\n",
				fa.files[0], strerror(-err));
			goto cleanup;
		}
		shown = &view;
	}
	if ((fa.pprof || fa.folded) && write_profiles(shown, fa.pprof, fa.folded))
		goto cleanup;
	if (fa.json)
		bw_report_json(stdout, shown);
	else
		bw_report_text(stdout, shown);
	fflush(stdout);
	code = bw_report_found(shown) ? EXIT_FOUND : EXIT_CLEAN;
cleanup:
	bw_capture_free(&view);
	bw_capture_free(&c);
	return code;
}

/*
 * blockwatch diff OLD NEW: what got stuck in between; with more files, what
 * stayed stuck in every one and what grew at each step.
 */
int bw_cmd_diff(int argc, char **argv)
{
	static const struct argp argp = {
		.options = diff_options,
		.parser = parse_file_arg,
		.args_doc = "OLD NEW [NEWER...]",
		.doc = "What got stuck between two snapshots: goroutine sites that grew, threads "
		       "newly stuck or no longer stuck. Given three or more (oldest first): what "
		       "is stuck at the same place in every one, and what grew at each step. "
		       "Exit 3 when the last has more leaks than the first.",
	};
	struct file_args fa = { .want = 2 };
	struct bw_capture caps[DIFF_FILES_MAX];
	const struct bw_capture *list[DIFF_FILES_MAX];
	int code = EXIT_NO_TRACE, n = 0, i;

	if (argp_parse(&argp, argc, argv, 0, NULL, &fa))
		return EXIT_USAGE;
	for (n = 0; n < fa.nfiles; n++) {
		if (read_capture(fa.files[n], &caps[n]))
			goto cleanup;
		list[n] = &caps[n];
	}
	if (n == 2)
		code = bw_diff(stdout, list[0], list[1], fa.json) ? EXIT_FOUND : EXIT_CLEAN;
	else
		code = bw_diff_series(stdout, list, n, fa.json) ? EXIT_FOUND : EXIT_CLEAN;
	fflush(stdout);
cleanup:
	for (i = 0; i < n; i++)
		bw_capture_free(&caps[i]);
	return code;
}
