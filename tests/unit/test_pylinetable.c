// SPDX-License-Identifier: GPL-2.0
/*
 * bw_pylinetable__line against real location tables: the code objects of a
 * small module compiled by CPython 3.11, 3.13 and 3.14 (short, one-line,
 * no-column and long forms, lines 5000 apart, backward deltas, no-location
 * entries), each code unit's line as co_positions() gave it
 * (tests/unit/gen-pylinetable.sh), plus malformed tables.
 */
#include <criterion/criterion.h>
#include "python/pylinetable.h"

struct lt_case {
	const char *name;
	const __u8 *table;
	size_t len;
	const int *lines;
	size_t nlines;
	int first;
};

#define CASE(id, firstl, nm)                                                                         \
	{                                                                                            \
		nm,    id##_table, sizeof(id##_table), id##_lines, sizeof(id##_lines) / sizeof(int), \
		firstl                                                                               \
	},
#include "pylinetable_cases.h"

Test(pylinetable, real_tables)
{
	size_t c, i, units = 0, versions_far = 0;

	cr_assert_gt(sizeof(cases) / sizeof(cases[0]), 20);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct lt_case *k = &cases[c];

		for (i = 0; i < k->nlines; i++) {
			int got = bw_pylinetable__line(k->table, k->len, k->first, 2 * i);

			cr_expect_eq(got, k->lines[i],
				     "%s: code unit %zu: line %d, CPython says %d", k->name, i, got,
				     k->lines[i]);
			if (k->lines[i] > 5000)
				versions_far++;
		}
		/* Past the end: no line. */
		cr_expect_eq(bw_pylinetable__line(k->table, k->len, k->first, 2 * k->nlines), -1,
			     "%s", k->name);
		units += k->nlines;
	}
	cr_assert_gt(units, 500);
	cr_assert_gt(versions_far, 0, "the long form (lines 5000 on) was not covered");
}

Test(pylinetable, odd_byte_offset_is_its_unit)
{
	const struct lt_case *k = &cases[1];

	cr_assert_eq(bw_pylinetable__line(k->table, k->len, k->first, 3),
		     bw_pylinetable__line(k->table, k->len, k->first, 2));
}

Test(pylinetable, malformed)
{
	/* Not at an entry (high bit clear), empty, truncated long form. */
	const __u8 bad[] = { 0x01, 0x80 };
	const __u8 trunc[] = { 0xf0 };		      /* long form, 1 unit, its varints cut off */
	const __u8 none[] = { 0xf8 };		      /* no location, 1 unit */
	const __u8 oneline2[] = { 0xe0, 0x01, 0x02 }; /* one-line form, +2 */

	cr_expect_eq(bw_pylinetable__line(bad, sizeof(bad), 10, 0), -1);
	cr_expect_eq(bw_pylinetable__line(bad, 0, 10, 0), -1);
	cr_expect_eq(bw_pylinetable__line(trunc, sizeof(trunc), 10, 0), 10);
	cr_expect_eq(bw_pylinetable__line(none, sizeof(none), 10, 0), -1);
	cr_expect_eq(bw_pylinetable__line(oneline2, sizeof(oneline2), 10, 1), 12);
	cr_expect_eq(bw_pylinetable__line(oneline2, sizeof(oneline2), 10, 2), -1);
}

/* Deltas that add up past an int, or below zero, give no line (found by fuzz_pywalk). */
Test(pylinetable, hostile_deltas)
{
	/* No-columns entries of +(63 << 23) each: varint 63 << 24, zigzag even. */
	const __u8 up[] = { 0xe8, 0x40, 0x40, 0x40, 0x40, 0x3f, 0xe8, 0x40, 0x40,
			    0x40, 0x40, 0x3f, 0xe8, 0x40, 0x40, 0x40, 0x40, 0x3f };
	const __u8 down[] = { 0xe8, 0x15 }; /* -10 */
	int i;

	for (i = 0; i < 3; i++)
		cr_expect_eq(bw_pylinetable__line(up, sizeof(up), 0x7ffffff0, 2 * (__u64)i), -1,
			     "entry %d", i);
	/* From 10^9, the third entry passes INT_MAX; the first two are still lines. */
	cr_expect_eq(bw_pylinetable__line(up, sizeof(up), 1000000000, 0), 1000000000 + (63 << 23));
	cr_expect_eq(bw_pylinetable__line(up, sizeof(up), 1000000000, 4), -1);
	cr_expect_eq(bw_pylinetable__line(down, sizeof(down), 3, 0), -1);
	cr_expect_eq(bw_pylinetable__line(down, sizeof(down), -5, 0), -1);
}
