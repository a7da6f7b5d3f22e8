// SPDX-License-Identifier: GPL-2.0
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/numfmt.h"

size_t bw_fmt_u64(char *buf, __u64 v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

size_t bw_fmt_hex(char *buf, __u64 v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

size_t bw_fmt_fixed3(char *buf, double x)
{
	long double t, frac;
	__u64 ms;
	size_t n;
	int len;

	/*
	 * x * 1000 is exact in x86's long double (53 + 10 bits into 64), and so
	 * is its fraction: rounded to nearest, ties to even, as printf does.
	 */
	if (LDBL_MANT_DIG >= 64 && x >= 0 && !signbit(x) && x < 1e15) {
		t = (long double)x * 1000;
		ms = (__u64)t;
		frac = t - (long double)ms;
		if (frac > 0.5L || (frac == 0.5L && (ms & 1)))
			ms++;
		n = bw_fmt_u64(buf, ms / 1000);
		buf[n++] = '.';
		buf[n++] = '0' + ms / 100 % 10;
		buf[n++] = '0' + ms / 10 % 10;
		buf[n++] = '0' + ms % 10;
		buf[n] = '\0';
		return n;
	}
	len = snprintf(buf, BW_NUMFMT_MAX_BYTES, "%.3f", x);
	if (len < 0) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)len < BW_NUMFMT_MAX_BYTES ? (size_t)len : BW_NUMFMT_MAX_BYTES - 1;
}
