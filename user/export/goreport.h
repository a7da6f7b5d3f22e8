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
/* Goroutines (not groups) of every Go process with each verdict: out[verdict]. */
void bw_goreport_count(const struct bw_capture *c, size_t out[BW_VERDICT_COUNT]);

#endif
