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
 * process's (bw_capture_comm: the Go process's comm, else its main thread's,
 * else that of its lowest tid), not each thread's, because thread pools name
 * threads by number; at most max_sites site series per process, the rest summed into
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
 * version) are cut at a byte cap (comm BW_PROM_COMM_MAX_BYTES, function names
 * BW_PROM_FUNC_MAX_BYTES, wait reasons and versions BW_PROM_REASON_MAX_BYTES) and
 * escaped as label values (bw_prom_label_str, core/escape.h): '\', '"' and
 * newline as the format says, other controls and bytes that are not valid
 * UTF-8 as \\xNN. A NULL or empty function name is "[unknown]", an empty
 * wait reason or version "unknown".
 *
 * Made from a live capture: it holds every parked goroutine (a snapshot
 * keeps the reported ones only).
 */
#ifndef BW_PROM_H
#define BW_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "core/capture.h"

/* The Content-Type of what bw_prom_write writes. */
#define BW_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#define BW_PROM_MAX_SITES_DEFAULT 20
/* The kernel's TASK_COMM_LEN is 16 with its NUL: 15 bytes of name. */
#define BW_PROM_COMM_MAX_BYTES (BW_COMM_BYTES - 1)
#define BW_PROM_FUNC_MAX_BYTES 200
#define BW_PROM_REASON_MAX_BYTES 64

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

/* The knobs of the exposition; no part of the scan (that is the capture). */
struct bw_prom_opts {
	struct bw_prom_health health;
	size_t max_sites;   /* site series per process; 0: BW_PROM_MAX_SITES_DEFAULT */
	bool no_histograms; /* leave out blockwatch_block_duration_seconds (34 series a process) */
};

/*
 * Writes the exposition of c (threads classified) to f and flushes f; opts
 * may be NULL (all defaults, health 0). 0, -EINVAL (a pid twice in c->gos),
 * -ENOMEM, or the negative errno of a failed write or flush (-EIO when
 * there is none).
 */
int bw_prom_write(FILE *f, const struct bw_capture *c, const struct bw_prom_opts *opts);

#endif
