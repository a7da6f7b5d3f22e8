// SPDX-License-Identifier: GPL-2.0
#include "cli/schedule.h"

__u64 bw_schedule_go_interval_ns(const struct config *cfg)
{
	if (cfg->go_interval_ns)
		return cfg->go_interval_ns;
	return cfg->all ? DEFAULT_GO_INTERVAL_ALL_NS : cfg->interval_ns;
}

void bw_schedule_init(struct bw_schedule *s, const struct config *cfg, __u64 now_ns)
{
	s->start_ns = now_ns;
	s->deadline_ns = cfg->duration_ns ? now_ns + cfg->duration_ns : 0;
	s->interval_ns = cfg->interval_ns;
	s->go_interval_ns = bw_schedule_go_interval_ns(cfg);
	s->next_scan_ns = now_ns;
	s->next_go_scan_ns = now_ns;
}

bool bw_schedule_first(const struct bw_schedule *s)
{
	return s->next_scan_ns == s->start_ns;
}

bool bw_schedule_last(const struct bw_schedule *s, bool exiting, __u64 now_ns)
{
	return exiting || (s->deadline_ns && now_ns >= s->deadline_ns);
}

bool bw_schedule_go_due(struct bw_schedule *s, bool last)
{
	__u64 gi = s->go_interval_ns;

	if (!last && s->next_scan_ns < s->next_go_scan_ns)
		return false;
	/* The first multiple of the Go interval past this scan; 0: every scan. */
	if (s->next_go_scan_ns <= s->next_scan_ns)
		s->next_go_scan_ns =
			gi ? s->next_go_scan_ns +
					((s->next_scan_ns - s->next_go_scan_ns) / gi + 1) * gi
			   : s->next_scan_ns;
	return true;
}

__u64 bw_schedule_next(struct bw_schedule *s, __u64 now_ns, __u64 scan_ns)
{
	__u64 rested_ns = now_ns + SCAN_REST * scan_ns;

	s->next_scan_ns += s->interval_ns;
	/* A long scan (a million goroutines): rest nine times as long as it took,
	 * so that scanning takes about a tenth of the time. */
	if (s->next_scan_ns < rested_ns)
		s->next_scan_ns = rested_ns;
	if (s->deadline_ns && s->next_scan_ns > s->deadline_ns)
		s->next_scan_ns = s->deadline_ns;
	return s->next_scan_ns;
}
