/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The symbolization of gorec.h, done once per distinct stack and creation
 * pc: goroutines parked alike (a million at a few sites) share the result.
 * Stacks filled from the cache belong to it (free the records with free(),
 * not bw_gorecs_free). Pure: file data only.
 */
#ifndef BW_GOSYMS_H
#define BW_GOSYMS_H

#include "core/gomodel.h"

struct bw_gobin;
struct bw_gosyms;

int bw_gosyms__new(const struct bw_gobin *gb, struct bw_gosyms **out);
/* bw_gorec_fill for r->g already in place (the rest of r zeroed). 0 or -ENOMEM. */
int bw_gosyms__fill(struct bw_gosyms *c, struct bw_gorec *r);
/* bw_gorec_fill_stack, sharing the frames. 0 or -ENOMEM. */
int bw_gosyms__fill_stack(struct bw_gosyms *c, struct bw_gorec *r);
/* Forgets the stacks no fill used since the last sweep: their records must be gone. */
void bw_gosyms__sweep(struct bw_gosyms *c);
void bw_gosyms__free(struct bw_gosyms *c);

#endif
