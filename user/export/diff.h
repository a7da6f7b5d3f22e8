/* SPDX-License-Identifier: GPL-2.0 */
/* What got stuck between two captures: growth per goroutine site, new stuck threads. Pure. */
#ifndef BW_DIFF_H
#define BW_DIFF_H

#include <stdio.h>
#include "core/capture.h"

/* Writes the differences; returns how many leaks NEW has beyond OLD (0 if none). */
size_t bw_diff(FILE *f, const struct bw_capture *old, const struct bw_capture *new, bool json);

#endif
