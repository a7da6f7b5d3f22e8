// SPDX-License-Identifier: GPL-2.0
/* blockwatch: which threads of a running process are stuck, on what, and why. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/offline.h"
#include "cli/output.h"
#include "cli/options.h"
#include "cli/watch.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command's name */
} commands[] = {
	{ "snapshot", bw_cmd_snapshot },
	{ "report", bw_cmd_report },
	{ "diff", bw_cmd_diff },
};

int main(int argc, char **argv)
{
	size_t i;

	argp_err_exit_status = EXIT_USAGE;
	/* libdwfl would download missing debug files from these servers, in the middle of a scan. */
	unsetenv("DEBUGINFOD_URLS");
	bw_buffer_stdout(stdout);
	for (i = 0; argc > 1 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	/* No command: watch, the default. */
	return bw_cmd_watch(argc, argv);
}
