/* SPDX-License-Identifier: GPL-2.0 */
/*
 * When the watch loop scans: every interval, goroutines every Go interval,
 * a rest after a long scan, the last scan at the deadline or at a signal.
 * Pure: times are CLOCK_MONOTONIC nanoseconds given by the caller.
 */
#ifndef BW_CLI_SCHEDULE_H
#define BW_CLI_SCHEDULE_H

#include <stdbool.h>
#include <linux/types.h>
#include "cli/options.h"

/* Rest after a scan, in scan durations: scanning is at most 1 / (1 + SCAN_REST) of the time. */
#define SCAN_REST 9
/* Reading every goroutine of every Go process of a host each second costs more than the rest. */
#define DEFAULT_GO_INTERVAL_ALL_NS (10 * NSEC_PER_SEC)

struct bw_schedule {
	__u64 start_ns;
	__u64 deadline_ns; /* 0: until a signal */
	__u64 interval_ns;
	__u64 go_interval_ns;
	__u64 next_scan_ns;    /* when the scan under way was due */
	__u64 next_go_scan_ns; /* when goroutines are read again */
};

/* --go-interval, else every scan with -p and DEFAULT_GO_INTERVAL_ALL_NS with -a. */
__u64 bw_schedule_go_interval_ns(const struct config *cfg);
/* The first scan is due at now_ns, with goroutines; the deadline is --duration from it. */
void bw_schedule_init(struct bw_schedule *s, const struct config *cfg, __u64 now_ns);
/* True while the scan under way is the first. */
bool bw_schedule_first(const struct bw_schedule *s);
/* A scan at now_ns is the last one: after a signal, or at the deadline. */
bool bw_schedule_last(const struct bw_schedule *s, bool exiting, __u64 now_ns);
/*
 * Whether the scan under way reads goroutines: the last one always (the
 * report shows goroutines as the last scan saw them), else when due; when
 * read, the next Go scan is the first Go interval past this scan.
 */
bool bw_schedule_go_due(struct bw_schedule *s, bool last);
/*
 * After a scan that took scan_ns and ended at now_ns: when the next one is
 * due. An interval after this one was due, but no sooner than SCAN_REST
 * times scan_ns from now, and never past the deadline.
 */
__u64 bw_schedule_next(struct bw_schedule *s, __u64 now_ns, __u64 scan_ns);

#endif
