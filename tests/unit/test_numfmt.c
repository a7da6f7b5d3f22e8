// SPDX-License-Identifier: GPL-2.0
/* Numbers without printf: the same bytes as printf, on edges and many random values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "core/numfmt.h"

static __u64 rnd(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void same_u64(__u64 v)
{
	char want[BW_NUMFMT_MAX_BYTES], got[BW_NUMFMT_MAX_BYTES];
	size_t n;

	snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
	n = bw_fmt_u64(got, v);
	cr_expect_str_eq(got, want);
	cr_expect_eq(n, strlen(want));
	snprintf(want, sizeof(want), "%llx", (unsigned long long)v);
	n = bw_fmt_hex(got, v);
	cr_expect_str_eq(got, want);
	cr_expect_eq(n, strlen(want));
}

static void same_fixed3(double x)
{
	char want[BW_NUMFMT_MAX_BYTES], got[BW_NUMFMT_MAX_BYTES];
	size_t n;

	snprintf(want, sizeof(want), "%.3f", x);
	n = bw_fmt_fixed3(got, x);
	cr_expect_str_eq(got, want, "%.17g: %s, printf %s", x, got, want);
	cr_expect_eq(n, strlen(want), "%.17g", x);
}

Test(numfmt, integers_as_printf)
{
	__u64 s = 88172645463325252ULL, v;
	int i;

	for (v = 0; v < 300; v++)
		same_u64(v);
	for (i = 0; i < 64; i++) {
		same_u64(1ULL << i);
		same_u64((1ULL << i) - 1);
	}
	same_u64(~0ULL);
	for (i = 0; i < 100000; i++)
		same_u64(rnd(&s) >> (rnd(&s) % 64));
}

/*
 * Durations in ns as the reports divide them (ns / 1e9), with the ties and
 * near-ties of the third decimal, and values past the fast path.
 */
Test(numfmt, fixed3_as_printf)
{
	static const double edges[] = { 0,	  0.0005, 0.0015,   0.0025, 1.2345, 1.2355,
					0.9995,	  9.9995, 999.9995, 1e-300, 5e-324, 1e15,
					1e15 - 1, 2.5e-4, 1e300,    -0.0,   -1.5,   1e14 + 0.0625 };
	__u64 s = 2463534242ULL, ns;
	size_t i;

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		same_fixed3(edges[i]);
	for (ns = 0; ns < 3000000; ns += 499999)
		same_fixed3(ns / 1e9);
	for (i = 0; i < 200000; i++) {
		ns = rnd(&s) % (1ULL << (rnd(&s) % 56));
		same_fixed3(ns / 1e9);
		/* an exact tie at the third decimal, and its neighbours */
		ns = (rnd(&s) % 100000000) * 1000000 + 500000;
		same_fixed3(ns / 1e9);
		same_fixed3((ns + 1) / 1e9);
		same_fixed3((ns - 1) / 1e9);
		same_fixed3((double)(rnd(&s) % 4096) / 2048 + (rnd(&s) % 1000000));
	}
}
