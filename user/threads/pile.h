/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Piles: threads that accumulate at one wait site while watched (one
 * process, one wait kind, one user stack), none leaving. A pile that grew
 * by BW_PILE_MIN_GROWTH threads or more since first seen, with a member
 * blocked past the threshold, is a leak as a whole: its young members too,
 * below the threshold. Kept across scans; otherwise pure (no clock of its
 * own: the caller says when each scan is).
 */
#ifndef BW_PILE_H
#define BW_PILE_H

#include <stddef.h>
#include "core/model.h"

#define BW_PILE_MIN_GROWTH 3
/* Threads blocked this long are unwound, so that young members of a pile are seen. */
#define BW_PILE_MIN_AGE_NS 500000000ULL

struct bw_piles;

int bw_piles__new(struct bw_piles **out);
/*
 * Feeds one classified scan taken at now_ns (CLOCK_MONOTONIC). Members of a
 * proven pile become leaks with BW_REASON_PILE, pile_threads and
 * pile_growth_per_min set. 0 or -ENOMEM.
 */
int bw_piles__update(struct bw_piles *p, struct bw_thread *threads, size_t n, __u64 now_ns,
		     __u64 threshold_ns);
void bw_piles__free(struct bw_piles *p);

#endif
