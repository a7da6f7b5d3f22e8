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
	struct bw_gopatterns *benign;
	struct bw_gopatterns *ignore; /* --ignore: idle thread waits; NULL without */
	struct bw_piles *piles;
	struct bw_filter *filter;     /* -a: --comm, --exclude-comm, --cgroup */
	struct bw_httpd *httpd;	      /* --prometheus */
	struct bw_prom_health health; /* totals since start, for /metrics */
	bool probes_tried;
};

#endif
