// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include "threads/inspect.h"

/* pid 5000; its short-lived threads got tids 301.. after the pid space wrapped. */
Test(inspect, the_leader_reads_even_with_lower_tids_around)
{
	int leader = bw_inspect_reader_rank(5000, 5000, 'S', true);

	cr_expect_gt(leader, bw_inspect_reader_rank(5000, 301, 'R', false));
	cr_expect_gt(leader, bw_inspect_reader_rank(5000, 302, 'S', true));
	cr_expect_gt(bw_inspect_reader_rank(5000, 5000, 'R', false), 0);
}

Test(inspect, a_zombie_leader_leaves_it_to_a_long_blocked_thread)
{
	int zombie = bw_inspect_reader_rank(5000, 5000, 'Z', true);
	int parked = bw_inspect_reader_rank(5000, 5003, 'S', true);
	int fresh = bw_inspect_reader_rank(5000, 301, 'S', false);
	int running = bw_inspect_reader_rank(5000, 302, 'R', true);

	cr_expect_eq(zombie, 0);
	cr_expect_gt(parked, fresh);
	cr_expect_gt(fresh, running);
	cr_expect_gt(running, zombie);
	cr_expect_eq(bw_inspect_reader_rank(5000, 5003, 'X', true), 0);
}
