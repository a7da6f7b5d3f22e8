// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <criterion/criterion.h>
#include "core/gomodel.h"

/* The names snapshots and --json write: changing one breaks every reader. */
Test(gomodel, age_source_names)
{
	cr_assert_str_eq(bw_age_source_name(BW_AGE_WATCHED), "watched");
	cr_assert_str_eq(bw_age_source_name(BW_AGE_WAITSINCE), "gc");
	cr_assert_str_eq(bw_age_source_name(BW_AGE_PROBE), "probe");
	cr_assert_str_eq(bw_age_source_name((enum bw_age_source)42), "watched");
}

Test(gomodel, records_free_with_their_stacks)
{
	struct bw_gorec *recs = calloc(3, sizeof(*recs));

	cr_assert_not_null(recs);
	recs[0].stack = calloc(BW_GO_FRAMES_MAX_ENTRIES, sizeof(*recs[0].stack));
	recs[2].stack = calloc(1, sizeof(*recs[2].stack));
	bw_gorecs_free(recs, 3); /* under ASan or valgrind: nothing leaks */
	bw_gorecs_free(NULL, 5);
}
