/* SPDX-License-Identifier: GPL-2.0 */
/* Goroutine records and groups, as text and JSON lines. Pure. */
#ifndef BW_GOREPORT_H
#define BW_GOREPORT_H

#include <stdio.h>
#include "core/gomodel.h"

struct bw_goreport {
	__u32 pid;
	const char *go_version;
	const char *scan_stacks, *scan_heap, *scan_globals; /* NULL: not said */
	const struct bw_gorec *recs;
	size_t nrecs;
	const struct bw_gogroup *groups;
	size_t ngroups;
	__u64 threshold_ns;
};

void bw_goreport_json(FILE *f, const struct bw_goreport *r);
void bw_goreport_text(FILE *f, const struct bw_goreport *r);
/* Goroutines (not groups) with each verdict: out[verdict]. */
void bw_goreport_count(const struct bw_goreport *r, size_t out[BW_VERDICT_COUNT]);

#endif
