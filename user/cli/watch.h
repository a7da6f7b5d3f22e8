/* SPDX-License-Identifier: GPL-2.0 */
/* The state of one watch or snapshot run. */
#ifndef BW_CLI_WATCH_H
#define BW_CLI_WATCH_H

#include "cli/options.h"
#include "export/prom.h"

/* What one run works with; passed around instead of globals. */
struct watch {
	const struct config *cfg;
	struct bw_tracer *tr;
	struct bw_inspector *in;
	struct bw_goset *goset; /* NULL with --no-go */
	struct bw_pyset *pyset; /* NULL with --no-python */
	struct bw_patterns *benign;
	struct bw_patterns *ignore; /* --ignore: idle thread waits; NULL without */
	struct bw_piles *piles;
	struct bw_filter *filter;     /* -a: --comm, --exclude-comm, --cgroup */
	struct bw_httpd *httpd;	      /* --prometheus */
	struct bw_prom_health health; /* totals since start, for /metrics */
	struct bw_ksyms *ksyms;	      /* NULL when kallsyms hides kernel addresses */
	bool probes_tried;
	struct bw_autosnap *autosnap; /* --snapshot-dir: when each process had its last */
	/* The last scan's: progress, /metrics, the report, snapshot and profiles are made from it. */
	struct bw_capture cap;
	struct bw_capture_go *cap_gos; /* its Go processes (live_capture's array) */
};

/* blockwatch [watch options]: watches until --duration or a signal, then reports. */
int bw_cmd_watch(int argc, char **argv);
/* blockwatch snapshot -o FILE: the same watch, written to FILE instead of reported. */
int bw_cmd_snapshot(int argc, char **argv);

#endif
