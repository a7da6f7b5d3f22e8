/* SPDX-License-Identifier: GPL-2.0 */
/* The report: fixed-width text for people, one JSON object a line for programs. */
#ifndef BW_REPORT_H
#define BW_REPORT_H

#include <stdio.h>
#include "core/model.h"

struct bw_ksyms;

struct bw_report_opts {
	__u64 threshold_ns;
	__u64 watched_ns;
	const struct bw_ksyms *ksyms; /* NULL: kernel addresses stay raw */
	__u64 dropped;		      /* threads the BPF maps had no room for */
	__u32 fallbacks;	      /* BW_FALLBACK_* (kfeatures.h), in the summary */
	bool all;		      /* -a: every process */
};

/* Threads must be classified (bw_classify_opts). Only those with a verdict are listed. */
void bw_report_text(FILE *f, const struct bw_thread *threads, size_t n,
		    const struct bw_report_opts *opts);
void bw_report_json(FILE *f, const struct bw_thread *threads, size_t n,
		    const struct bw_report_opts *opts);
/* The closing JSON line. */
void bw_report_json_summary(FILE *f, size_t nprocs, size_t nthreads,
			    const struct bw_report_opts *opts);
/* One status line (no newline) for the terminal while watching. */
void bw_report_progress(FILE *f, const struct bw_thread *threads, size_t n,
			const struct bw_report_opts *opts);
/* Counts of verdicts: out[verdict]. */
void bw_report_count(const struct bw_thread *threads, size_t n, size_t out[BW_VERDICT_COUNT]);

#endif
