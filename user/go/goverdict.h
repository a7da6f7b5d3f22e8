/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Goroutine verdicts. Pure: takes symbolized goroutines (gorec.h, gosyms.h)
 * and the time, keeps what it needs across scans (how long each has stayed
 * parked in place, how fast each creation site grows), and decides leak /
 * idle / blocked, and groups them by site.
 */
#ifndef BW_GOVERDICT_H
#define BW_GOVERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "core/gomodel.h"
#include "core/patterns.h"

struct bw_gotracker;
int bw_gotracker__new(struct bw_gotracker **out);
/*
 * True when the previous update saw g parked as it is now (the same g,
 * nothing moved that running moves): a second read that agrees, so g
 * needs no re-read for bw_goinplace_same.
 */
bool bw_gotracker__in_place(const struct bw_gotracker *t, const struct bw_goroutine *g);
/*
 * Sets blocked_ns, verdict and group of each record, and builds the groups
 * (*groups malloc'd). recs are sorted by goid. benign: functions whose
 * parked goroutines are normal (bw_gobenign_add and the user's), or NULL.
 * Verdicts need threshold_ns of age, but for a leak or deadlock seen
 * parked in place by two reads (this update and the previous one, or the
 * record's in_place from a re-read): reported at any age. 0 or -ENOMEM.
 */
int bw_gotracker__update(struct bw_gotracker *t, struct bw_gorec *recs, size_t n, __u64 now_ns,
			 __u64 threshold_ns, const struct bw_patterns *benign,
			 struct bw_gogroup **groups, size_t *ngroups);
void bw_gotracker__free(struct bw_gotracker *t);

#endif
