/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One scan of a watch: the tracer's records, filtered (-a), inspected, tied
 * to goroutines, classified, and piled up by site.
 */
#ifndef BW_CLI_SCAN_H
#define BW_CLI_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "cli/watch.h"

/* CLOCK_MONOTONIC in nanoseconds: the clock of the scans and of their schedule. */
__u64 bw_now_ns(void);
/*
 * Scans once; go_due: read goroutines in this scan, else keep those of the
 * last Go scan. *nthreads: the live threads seen (0 when every watched
 * process exited: the watch keeps what the last scan saw). 0 or a negative
 * errno.
 */
int bw_scan(struct watch *w, bool go_due, size_t *nthreads);

#endif
