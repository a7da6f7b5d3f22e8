// SPDX-License-Identifier: GPL-2.0
/* The commands that read snapshots, on any machine: no root, no BPF. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/capture.h"
#include "export/diff.h"
#include "export/report.h"
#include "export/snapshot.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/offline.h"

enum {
	OPT_PPROF = 0x100,
	OPT_FOLDED,
};

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
	const char *files[2];
	int nfiles;
	int want;
	bool json;
	const char *pprof;
	const char *folded;
};

static const struct argp_option file_options[] = {
	{ "json", 'j', NULL, 0, "One JSON object per line on stdout", 0 },
	{ "pprof", OPT_PPROF, "FILE", 0, "report: also write a gzipped pprof profile", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0, "report: also write folded stacks", 0 },
	{},
};

static error_t parse_file_arg(int key, char *arg, struct argp_state *state)
{
	struct file_args *fa = state->input;

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
	case ARGP_KEY_ARG:
		if (fa->nfiles == fa->want)
			argp_error(state, "too many files");
		fa->files[fa->nfiles++] = arg;
		break;
	case ARGP_KEY_END:
		if (fa->nfiles != fa->want)
			argp_error(state, "give %s",
				   fa->want == 1 ? "a snapshot FILE" : "OLD and NEW");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* blockwatch report FILE: a snapshot rendered as the live report was. */
int bw_cmd_report(int argc, char **argv)
{
	static const struct argp argp = {
		.options = file_options,
		.parser = parse_file_arg,
		.args_doc = "FILE",
		.doc = "Render a snapshot written by 'blockwatch snapshot' (or -o) as the live "
		       "report, on any machine: no root, no BPF.",
	};
	struct file_args fa = { .want = 1 };
	struct bw_capture c;
	int code;

	if (argp_parse(&argp, argc, argv, 0, NULL, &fa))
		return EXIT_USAGE;
	if (read_capture(fa.files[0], &c))
		return EXIT_NO_TRACE;
	if ((fa.pprof || fa.folded) && write_profiles(&c, fa.pprof, fa.folded)) {
		bw_capture_free(&c);
		return EXIT_NO_TRACE;
	}
	if (fa.json)
		bw_report_json(stdout, &c);
	else
		bw_report_text(stdout, &c);
	fflush(stdout);
	code = bw_report_found(&c) ? EXIT_FOUND : EXIT_CLEAN;
	bw_capture_free(&c);
	return code;
}

/* blockwatch diff OLD NEW: what got stuck in between. */
int bw_cmd_diff(int argc, char **argv)
{
	static const struct argp argp = {
		.options = file_options,
		.parser = parse_file_arg,
		.args_doc = "OLD NEW",
		.doc = "What got stuck between two snapshots: goroutine sites that grew, threads "
		       "newly stuck or no longer stuck. Exit 3 when NEW has more leaks than OLD.",
	};
	struct file_args fa = { .want = 2 };
	struct bw_capture old, new;
	int code = EXIT_NO_TRACE;

	if (argp_parse(&argp, argc, argv, 0, NULL, &fa))
		return EXIT_USAGE;
	if (read_capture(fa.files[0], &old))
		return EXIT_NO_TRACE;
	if (!read_capture(fa.files[1], &new)) {
		code = bw_diff(stdout, &old, &new, fa.json) ? EXIT_FOUND : EXIT_CLEAN;
		bw_capture_free(&new);
	}
	bw_capture_free(&old);
	fflush(stdout);
	return code;
}
