// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include "cli/schedule.h"

#define MS (NSEC_PER_SEC / 1000)
#define SEC NSEC_PER_SEC
/* A CLOCK_MONOTONIC reading far from 0, as on a host up for a while. */
#define T0 (1000 * SEC)

static struct config cfg_p(__u64 interval_ns, __u64 go_interval_ns, __u64 duration_ns)
{
	struct config c = { .pid = 1,
			    .npids = 1,
			    .interval_ns = interval_ns,
			    .go_interval_ns = go_interval_ns,
			    .duration_ns = duration_ns };

	return c;
}

Test(schedule, go_interval)
{
	struct config c = cfg_p(2 * SEC, 0, 0);

	cr_assert_eq(bw_schedule_go_interval_ns(&c), 2 * SEC, "-p: every scan");
	c.all = true;
	cr_assert_eq(bw_schedule_go_interval_ns(&c), DEFAULT_GO_INTERVAL_ALL_NS, "-a: 10s");
	c.go_interval_ns = 30 * SEC;
	cr_assert_eq(bw_schedule_go_interval_ns(&c), 30 * SEC, "--go-interval wins");
}

Test(schedule, first_scan_at_start_with_goroutines)
{
	struct config c = cfg_p(SEC, 0, 0);
	struct bw_schedule s;

	bw_schedule_init(&s, &c, T0);
	cr_assert(bw_schedule_first(&s));
	cr_assert_eq(s.deadline_ns, 0, "no --duration: no deadline");
	cr_assert_not(bw_schedule_last(&s, false, T0 + 1000 * SEC));
	cr_assert(bw_schedule_go_due(&s, false));
	cr_assert_eq(bw_schedule_next(&s, T0 + 10 * MS, MS), T0 + SEC);
	cr_assert_not(bw_schedule_first(&s));
}

/* The next scan is an interval after the last was due, not after it ended. */
Test(schedule, interval_from_the_due_time)
{
	struct config c = cfg_p(SEC, 0, 0);
	struct bw_schedule s;

	bw_schedule_init(&s, &c, T0);
	cr_assert_eq(bw_schedule_next(&s, T0 + 50 * MS, 5 * MS), T0 + SEC);
	cr_assert_eq(bw_schedule_next(&s, T0 + SEC + 80 * MS, 5 * MS), T0 + 2 * SEC);
}

/* A long scan is followed by SCAN_REST times its duration of rest. */
Test(schedule, rest_after_a_long_scan)
{
	struct config c = cfg_p(SEC, 0, 0);
	struct bw_schedule s;

	bw_schedule_init(&s, &c, T0);
	cr_assert_eq(bw_schedule_next(&s, T0 + 2 * SEC, 2 * SEC),
		     T0 + 2 * SEC + SCAN_REST * 2 * SEC);
	/* The rest counts from the due time once a short scan follows. */
	cr_assert_eq(bw_schedule_next(&s, T0 + 20 * SEC + 10 * MS, MS), T0 + 21 * SEC);
}

Test(schedule, deadline)
{
	struct config c = cfg_p(SEC, 0, 1500 * MS);
	struct bw_schedule s;

	bw_schedule_init(&s, &c, T0);
	cr_assert_eq(s.deadline_ns, T0 + 1500 * MS);
	cr_assert_not(bw_schedule_last(&s, false, T0 + 10 * MS));
	cr_assert(bw_schedule_last(&s, true, T0 + 10 * MS), "a signal: the last scan");
	cr_assert_eq(bw_schedule_next(&s, T0 + 10 * MS, MS), T0 + SEC);
	cr_assert_eq(bw_schedule_next(&s, T0 + SEC + 10 * MS, MS), T0 + 1500 * MS,
		     "never past the deadline");
	cr_assert(bw_schedule_last(&s, false, T0 + 1500 * MS));
	/* A rest that would end after the deadline ends at it. */
	bw_schedule_init(&s, &c, T0);
	cr_assert_eq(bw_schedule_next(&s, T0 + 200 * MS, 50 * MS), T0 + SEC);
	cr_assert_eq(bw_schedule_next(&s, T0 + SEC + 500 * MS, 500 * MS), T0 + 1500 * MS);
}

/* Scans every second, goroutines every third: at 0, 3 and 6 s, and always at the last scan. */
Test(schedule, go_scans_every_go_interval)
{
	struct config c = cfg_p(SEC, 3 * SEC, 0);
	static const bool want[] = { 1, 0, 0, 1, 0, 0, 1, 0 };
	struct bw_schedule s;
	size_t i;

	bw_schedule_init(&s, &c, T0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cr_assert_eq(bw_schedule_go_due(&s, false), want[i], "scan %zu at %llus", i,
			     (unsigned long long)(s.next_scan_ns - T0) / SEC);
		bw_schedule_next(&s, s.next_scan_ns + MS, MS);
	}
	cr_assert(bw_schedule_go_due(&s, true), "the last scan reads goroutines");
	/* And the one after it keeps the Go interval's pace. */
	bw_schedule_next(&s, s.next_scan_ns + MS, MS);
	cr_assert_eq(s.next_scan_ns, T0 + 9 * SEC);
	cr_assert(bw_schedule_go_due(&s, false));
}

/* A rest longer than several Go intervals: the next Go scan is the first one past it. */
Test(schedule, go_interval_after_a_long_rest)
{
	struct config c = cfg_p(SEC, 2 * SEC, 0);
	struct bw_schedule s;

	bw_schedule_init(&s, &c, T0);
	cr_assert(bw_schedule_go_due(&s, false));
	cr_assert_eq(bw_schedule_next(&s, T0 + SEC, SEC), T0 + SEC + SCAN_REST * SEC);
	cr_assert(bw_schedule_go_due(&s, false));
	cr_assert_eq(s.next_go_scan_ns, T0 + 12 * SEC);
	cr_assert_eq(bw_schedule_next(&s, T0 + 10 * SEC + MS, MS), T0 + 11 * SEC);
	cr_assert_not(bw_schedule_go_due(&s, false));
	bw_schedule_next(&s, T0 + 11 * SEC + MS, MS);
	cr_assert(bw_schedule_go_due(&s, false));
}

/* A Go interval of 0 (never from the command line) means every scan, and ends. */
Test(schedule, zero_go_interval, .timeout = 5)
{
	struct config c = cfg_p(SEC, 0, 0);
	struct bw_schedule s;

	bw_schedule_init(&s, &c, T0);
	s.go_interval_ns = 0;
	cr_assert(bw_schedule_go_due(&s, false));
	bw_schedule_next(&s, T0 + MS, MS);
	cr_assert(bw_schedule_go_due(&s, false));
}
