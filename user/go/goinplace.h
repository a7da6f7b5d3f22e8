/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether a goroutine stayed parked in place between two reads of it. A
 * leak or deadlock is proven from memory read over a while; before it is
 * reported at any age, a second read must see the same goroutine at the
 * same wait, or the proof may be of a process that moved under the scan.
 * The first read is the tracker's previous update when there is one, else
 * a re-read of the g right after the scan (bw_goscan__reread). Pure.
 */
#ifndef BW_GOINPLACE_H
#define BW_GOINPLACE_H

#include <stdbool.h>
#include "core/gomodel.h"

/*
 * True when a and b are two reads of one goroutine parked at one wait: the
 * same g and goid, status and wait reason, saved pc/sp/bp, g.waiting,
 * g.trackingSeq (0 in both where the version has none) and stack bytes
 * hash. Running in between moves at least one of them (trackingSeq, or sp
 * and the stack bytes where the version has no trackingSeq). A stack hash
 * of 0 (the stack could not be read) confirms nothing.
 */
bool bw_goinplace_same(const struct bw_goroutine *a, const struct bw_goroutine *b);

#endif
