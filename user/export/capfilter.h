/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A narrower view of a capture, for `blockwatch report`'s filters: the
 * processes asked for (--pid, --comm), judged again at another threshold,
 * keeping the verdicts asked for. Capture in, capture out, so every output
 * (text, JSON, pprof, folded) sees the same view. Pure.
 *
 * What a re-judgement offline cannot know: under the run's threshold,
 * threads are classified again without the run's --ignore patterns and
 * without its watch history (piles), goroutines take the verdict the run
 * computed at any age (snapshot version 2; a version-1 file kept only the
 * goroutines reported at the run's threshold, so a lower one shows no more
 * of them). Over the run's threshold, items younger than it lose their
 * verdict, but for the leaks and deadlocks the run reported: it saw them
 * parked in place, and a proof needs no age.
 */
#ifndef BW_CAPFILTER_H
#define BW_CAPFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include "core/capture.h"

struct bw_capfilter {
	bool has_threshold; /* else the capture's own */
	__u64 threshold_ns;
	const __u32 *pids; /* processes kept; none: all */
	size_t npids;
	unsigned int verdicts; /* 1u << enum bw_verdict of each verdict kept; 0: all */
	const char *comm;      /* fnmatch(3) glob on process or thread names; NULL: all */
};

/* "deadlock,leak,stuck,blocked,idle" (any of them) into a verdicts mask. 0 or -EINVAL. */
int bw_capfilter_parse_verdicts(const char *list, unsigned int *mask);
/* True when f leaves c as it is (no filter, or the run's own threshold only). */
bool bw_capfilter_is_identity(const struct bw_capfilter *f, const struct bw_capture *c);
/*
 * out: the view of in through f. It borrows in's strings and stacks (free
 * out before in) and owns the rest (bw_capture_free). 0 or -ENOMEM.
 */
int bw_capfilter_apply(const struct bw_capture *in, const struct bw_capfilter *f,
		       struct bw_capture *out);

#endif
