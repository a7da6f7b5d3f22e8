/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stuck threads and goroutines of a scan as folded stacks, the input of
 * Brendan Gregg's flamegraph.pl (and of inferno, speedscope, Pyroscope):
 *
 *   comm (pid);outermost;...;innermost;kernel_outer_[k];...;kernel_leaf_[k] 5000
 *
 * one line per distinct stack, root first, frames separated by ';', then a
 * space and the weight: the time blocked in milliseconds (at least 1), summed
 * over the reported threads and goroutines (verdict != BW_VERDICT_NONE) that
 * share the stack. Lines are sorted. Thread stacks are the user frames and
 * then the kernel frames, these suffixed "_[k]" ("0x<addr>_[k]" without a
 * symbol); goroutine stacks are the logical Go frames. Unsymbolized user
 * frames are "[<module>]" or "[unknown]". Pure: writes to a FILE *.
 *
 * Names are target-controlled (bw_folded_str, core/escape.h): printable
 * ASCII stays as is except ';' (the separator), '\' is doubled, and ';' and
 * every other byte (controls, newlines, non-ASCII) become \xNN, so a line is
 * always one stack. A thread's root is its own comm, a goroutine's its
 * process's (bw_capture_comm).
 */
#ifndef BW_FOLDED_H
#define BW_FOLDED_H

#include <stdio.h>
#include "core/capture.h"

/*
 * Writes the folded stacks of c and flushes f. 0, -ENOMEM, or the negative
 * errno of a failed write (-EIO when there is none).
 */
int bw_folded_write(FILE *f, const struct bw_capture *c);

#endif
