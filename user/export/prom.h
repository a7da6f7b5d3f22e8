/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One scan as a Prometheus text exposition (format version 0.0.4), the body
 * a /metrics endpoint serves. Pure: writes to a FILE *.
 *
 * Families, in this order (every one with its HELP and TYPE lines; a family
 * with no sample still has them):
 *
 *   blockwatch_threads{pid,comm,wait,verdict}                       gauge
 *       threads blocked at least the threshold (verdict != none)
 *   blockwatch_goroutines{pid,comm,wait_reason,verdict}             gauge
 *       parked goroutines; verdict "none": parked less than the threshold
 *   blockwatch_goroutine_site_goroutines{pid,comm,site,wait_reason,verdict}
 *   blockwatch_goroutine_site_growth_per_minute{...same labels}     gauges
 *       per site, site = "<blocked_at func> <- <created_by func>"
 *   blockwatch_deadlocks{pid,comm}, blockwatch_leaks{pid,comm}      gauges
 *       threads + goroutines with that verdict, 0 included, for every
 *       process with a reported thread and every Go process
 *   blockwatch_block_duration_seconds{pid,comm}                     histogram
 *       completed blocks of the process's live threads (struct bw_history)
 *   blockwatch_go_info{pid,comm,go_version} 1                       gauge
 *   blockwatch_scans_total, blockwatch_dropped_threads_total,
 *   blockwatch_skipped_goroutine_reads_total                        counters
 *   blockwatch_scan_duration_seconds, blockwatch_watched_processes  gauges
 *   blockwatch_build_info{version} 1                                gauge
 *
 * Cardinality is bounded by design: no tid or goid label; comm is the
 * process's (the Go process's comm, else its main thread's, else that of its
 * lowest tid), not each thread's, because thread pools name threads by
 * number; at most max_sites site series per process, the rest summed into
 * one series site="other", wait_reason="other" with the worst verdict.
 * Series that map to the same labels (sites that differ only in line numbers
 * or past the length caps) are summed, so no two samples share labels.
 *
 * Histogram buckets: struct bw_history slot i holds [2^i, 2^(i+1)) us (slot
 * 0 also holds [0, 1) us), so bucket le = 2^(i+1) us for slots 0..30; the
 * open last slot (>= 2^31 us, 36 min) only reaches le="+Inf". _count is the
 * sum of the slots (so it always equals the +Inf bucket), _sum the blocks'
 * total_ns. When a thread exits its history leaves the sums: rate() sees a
 * counter reset, as for any restarted target.
 *
 * Target-controlled strings (comm, function names, wait reasons, the Go
 * version) are cut at a byte cap (comm BW_PROM_COMM_MAX, function names
 * BW_PROM_FUNC_MAX, wait reasons and versions BW_PROM_REASON_MAX) and
 * escaped: '\', '"' and newline as the format says (\\, \", \n); bytes that
 * are not valid UTF-8, other C0 controls, DEL and C1 controls become the four
 * characters \xNN (the backslash written \\), as the text report shows them;
 * valid printable UTF-8 stays as is. A NULL or empty function name is
 * "[unknown]", an empty wait reason or version "unknown".
 */
#ifndef BW_PROM_H
#define BW_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "core/gomodel.h"
#include "core/model.h"

/* The Content-Type of what bw_prom_write writes. */
#define BW_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#define BW_PROM_MAX_SITES_DEFAULT 20
/* The kernel's TASK_COMM_LEN is 16 with its NUL: 15 bytes of name. */
#define BW_PROM_COMM_MAX (BW_COMM_LEN - 1)
#define BW_PROM_FUNC_MAX 200
#define BW_PROM_REASON_MAX 64

/* One Go process of the scan: the records and groups of its last bw_gowatch scan. */
struct bw_prom_goproc {
	__u32 pid;		/* each pid at most once in goprocs */
	const char *comm;	/* NULL or "": from its threads */
	const char *go_version; /* "go1.22.1"; NULL or "": unknown */
	const struct bw_gorec *recs;
	size_t nrecs;
	const struct bw_gogroup *groups;
	size_t ngroups;
};

/*
 * The tool's own health. The counters are totals since blockwatch started
 * and must never go down: the caller keeps them (per-process tallies such as
 * bw_gowatch__skipped() leave with their process).
 */
struct bw_prom_health {
	__u64 scans;
	__u64 scan_duration_ns; /* of the last scan */
	__u64 dropped_threads;	/* threads a full BPF map left out */
	__u64 skipped_goroutine_reads;
	__u64 watched_processes; /* now */
};

struct bw_prom_input {
	const struct bw_thread *threads; /* every thread of the scan, classified */
	size_t nthreads;
	const struct bw_prom_goproc *goprocs;
	size_t ngoprocs;
	struct bw_prom_health health;
	size_t max_sites;   /* site series per process; 0: BW_PROM_MAX_SITES_DEFAULT */
	bool no_histograms; /* leave out blockwatch_block_duration_seconds (34 series a process) */
};

/*
 * Writes the exposition of in to f and flushes f. 0, -EINVAL (a pid twice
 * in goprocs), -ENOMEM, or the negative errno of a failed write or flush
 * (-EIO when there is none).
 */
int bw_prom_write(FILE *f, const struct bw_prom_input *in);

/*
 * Writes s as the inside of a label value (no quotes), at most max bytes of
 * it (0: all), escaped as above. For tests and for other exporters.
 */
void bw_prom_label_value(FILE *f, const char *s, size_t max);

#endif
