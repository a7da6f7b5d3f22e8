/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report of a capture: fixed-width text for people, one JSON object a
 * line for programs; the same code for a live run and a snapshot read back.
 * The threads must be classified (bw_classify): only those with a verdict
 * are listed, then the goroutines of each Go process (goreport.h). Pure.
 */
#ifndef BW_REPORT_H
#define BW_REPORT_H

#include <stdio.h>
#include "core/capture.h"

void bw_report_text(FILE *f, const struct bw_capture *c);
/* Threads, processes, Go processes, goroutines and their groups, then a summary line. */
void bw_report_json(FILE *f, const struct bw_capture *c);
/* One status line (no newline) for the terminal while watching. */
void bw_report_progress(FILE *f, const struct bw_capture *c);
/* Counts of thread verdicts: out[verdict]. */
void bw_report_count(const struct bw_capture *c, size_t out[BW_VERDICT_COUNT]);
/* Threads and goroutines judged leak or deadlock. */
size_t bw_report_found(const struct bw_capture *c);
/* Threads and goroutines judged stuck (for --fail-on stuck). */
size_t bw_report_stuck(const struct bw_capture *c);

#endif
