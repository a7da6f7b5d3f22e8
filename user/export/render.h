/* SPDX-License-Identifier: GPL-2.0 */
/* A capture to its report: the same code for a live run and a snapshot. Pure. */
#ifndef BW_RENDER_H
#define BW_RENDER_H

#include <stdio.h>
#include "core/capture.h"

void bw_render_text(FILE *f, const struct bw_capture *c);
void bw_render_json(FILE *f, const struct bw_capture *c);
/* Threads and goroutines judged leak or deadlock. */
size_t bw_render_found(const struct bw_capture *c);
/* Threads judged stuck (for --fail-on stuck). */
size_t bw_render_stuck(const struct bw_capture *c);

#endif
