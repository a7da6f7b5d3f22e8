/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What got stuck between two captures: growth per goroutine site, new stuck
 * threads. Over a series (oldest first): what is stuck at the same place in
 * every capture (a thread by its tid, or its pid and wait with the same top
 * frames; goroutines by site, with how many of the same goids), and what
 * grew at each step (goroutine sites, piles of threads at one place). Pure.
 */
#ifndef BW_DIFF_H
#define BW_DIFF_H

#include <stdio.h>
#include "core/capture.h"

/* Writes the differences; returns how many leaks NEW has beyond OLD (0 if none). */
size_t bw_diff(FILE *f, const struct bw_capture *old, const struct bw_capture *new, bool json);

/* Writes the series' findings; returns how many leaks the last has beyond the first. */
size_t bw_diff_series(FILE *f, const struct bw_capture *const *caps, size_t n, bool json);

#endif
