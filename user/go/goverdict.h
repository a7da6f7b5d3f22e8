/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Goroutine verdicts. Pure: takes symbolized goroutines and the time, keeps
 * what it needs across scans (how long each has stayed parked in place, how
 * fast each creation site grows), and decides leak / idle / blocked.
 */
#ifndef BW_GOVERDICT_H
#define BW_GOVERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "core/gomodel.h"
#include "core/model.h"
#include "go/gobin.h"
#include "go/goscan.h"
#include "core/patterns.h"

/* Adds the built-in patterns of functions whose parked goroutines are normal. 0 or -ENOMEM. */
int bw_gobenign_add(struct bw_patterns *p);

enum bw_gowait_class bw_gowait_class(const char *reason);

/*
 * The evidence of a leak or deadlock verdict in words ("nil channel", "chan
 * 0x... reachable from no live goroutine or global"...), "" when none; as
 * snprintf.
 */
int bw_gowhy_text(const struct bw_goroutine *g, char *buf, size_t len);

/* Where g blocks and who created it, from the binary (pure: file data only). */
void bw_gorec_fill(struct bw_gorec *r, const struct bw_gobin *gb, const struct bw_goroutine *g);
/* The whole symbolized stack, for records that are reported. 0 or -ENOMEM. */
int bw_gorec_fill_stack(struct bw_gorec *r, const struct bw_gobin *gb);

/*
 * The same symbolization, done once per distinct stack and creation pc:
 * goroutines parked alike share the result. Stacks filled from the cache
 * belong to it (free the records with free(), not bw_gorecs_free).
 */
struct bw_gosyms;
int bw_gosyms__new(const struct bw_gobin *gb, struct bw_gosyms **out);
/* bw_gorec_fill for r->g already in place (the rest of r zeroed). 0 or -ENOMEM. */
int bw_gosyms__fill(struct bw_gosyms *c, struct bw_gorec *r);
/* bw_gorec_fill_stack, sharing the frames. 0 or -ENOMEM. */
int bw_gosyms__fill_stack(struct bw_gosyms *c, struct bw_gorec *r);
/* Forgets the stacks no fill used since the last sweep: their records must be gone. */
void bw_gosyms__sweep(struct bw_gosyms *c);
void bw_gosyms__free(struct bw_gosyms *c);

struct bw_gotracker;
int bw_gotracker__new(struct bw_gotracker **out);
/*
 * Sets blocked_ns, verdict and group of each record, and builds the groups
 * (*groups malloc'd). recs are sorted by goid. 0 or -ENOMEM.
 */
int bw_gotracker__update(struct bw_gotracker *t, struct bw_gorec *recs, size_t n, __u64 now_ns,
			 __u64 threshold_ns, const struct bw_patterns *benign,
			 struct bw_gogroup **groups, size_t *ngroups);
void bw_gotracker__free(struct bw_gotracker *t);

#endif
