/* SPDX-License-Identifier: GPL-2.0 */
/* The goroutines of a capture's Go processes, as text and JSON lines: the report's Go part. Pure. */
#ifndef BW_GOREPORT_H
#define BW_GOREPORT_H

#include <stdio.h>
#include "core/capture.h"

/* Per Go process: its scan kinds, reported goroutines and groups. */
void bw_goreport_json(FILE *f, const struct bw_capture *c);
/* Per Go process: a summary line, then its reported groups, the worst first. */
void bw_goreport_text(FILE *f, const struct bw_capture *c);
/* Goroutines (not groups) of every Go process with each verdict: out[verdict]; returns the parked ones (under the threshold too). */
size_t bw_goreport_count(const struct bw_capture *c, size_t out[BW_VERDICT_COUNT]);
/* The same for one Go process; returns its parked goroutines (under the threshold too). */
size_t bw_goreport_proc_count(const struct bw_capture_go *r, size_t out[BW_VERDICT_COUNT]);
/*
 * The headline's goroutine line, under the threads' (nothing without a Go
 * process): "12 goroutines parked: 5 deadlocked, 0 leaked, 0 stuck, 1 blocked,
 * 6 idle", with "in N Go processes" when there are several processes.
 */
void bw_goreport_headline(FILE *f, const struct bw_capture *c, bool several);
/* The counts of one Go process as JSON members: "goroutines":{"parked":N,"deadlock":N,...}. */
void bw_goreport_json_counts(FILE *f, size_t parked, const size_t v[BW_VERDICT_COUNT]);

#endif
