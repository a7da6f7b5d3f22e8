/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything one run knows, in one place: what reports, snapshots and
 * exporters are made from. A capture either points into the live state
 * (owned elsewhere) or, read back from a snapshot, owns all of it.
 */
#ifndef BW_CAPTURE_H
#define BW_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include "core/gomodel.h"
#include "core/model.h"

struct bw_ksyms;

struct bw_capture_go {
	__u32 pid;
	const char *go_version;
	/* How the liveness search read stacks, heap and globals ("precise", "conservative"...). */
	const char *scan_stacks, *scan_heap, *scan_globals;
	const struct bw_gorec *recs; /* reported ones are enough to render */
	size_t nrecs;
	const struct bw_gogroup *groups;
	size_t ngroups;
};

struct bw_capture {
	char tool[32];	  /* "blockwatch 0.1" */
	char kernel[128]; /* uname -r */
	char host[64];
	__u64 created_unix_s;
	__u64 threshold_ns;
	__u64 watched_ns;
	__u64 dropped;
	__u32 fallbacks; /* BW_FALLBACK_* (kfeatures.h): what the kernel lacked */
	bool all;
	const struct bw_thread *threads; /* every thread of the scan, sorted by tid */
	size_t nthreads;
	const struct bw_capture_go *gos;
	size_t ngos;
	const struct bw_ksyms *ksyms;
	void *owned; /* storage of a capture read back, freed by bw_capture_free */
};

/* Fills tool, kernel, host and creation time of a live capture. */
void bw_capture_stamp(struct bw_capture *c);
void bw_capture_free(struct bw_capture *c);

#endif
