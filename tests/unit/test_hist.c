// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include "blockwatch.h"

Test(hist, log2_slots)
{
	cr_assert_eq(bw_hist_slot(0), 0);
	cr_assert_eq(bw_hist_slot(999), 0);
	cr_assert_eq(bw_hist_slot(1000), 0); /* 1us */
	cr_assert_eq(bw_hist_slot(2000), 1); /* [2us, 4us) */
	cr_assert_eq(bw_hist_slot(3999), 1);
	cr_assert_eq(bw_hist_slot(4000), 2);
	cr_assert_eq(bw_hist_slot(1000000), 9); /* 1ms = 1000us: 512..1023 */
	cr_assert_eq(bw_hist_slot(1024000), 10);
	cr_assert_eq(bw_hist_slot(~0ULL), BW_HIST_SLOTS - 1);
}
