// SPDX-License-Identifier: GPL-2.0
/*
 * Each entry: a first byte 1CCCCLLL (C the kind, L+1 the code units it
 * covers), then the kind's varints (6 bits a byte, 0x40 continues, low bit
 * first) with the high bit clear. Kinds: 0-9 short form (same line), 10-12 one
 * line form (line + kind - 10), 13 no columns (signed line delta), 14 long
 * form (signed line delta, end line, columns), 15 no location.
 */
#include <limits.h>
#include "python/pylinetable.h"

#define KIND_ONE_LINE0 10
#define KIND_NO_COLUMNS 13
#define KIND_LONG 14
#define KIND_NONE 15

/* A varint at *pos; 0 past the end (a truncated entry), as CPython never reads there. */
static __u32 varint(const __u8 *t, size_t len, size_t pos)
{
	__u32 val, shift = 0;
	__u8 b;

	if (pos >= len)
		return 0;
	b = t[pos++];
	val = b & 63;
	while ((b & 64) && pos < len && shift < 24) {
		b = t[pos++];
		shift += 6;
		val |= (__u32)(b & 63) << shift;
	}
	return val;
}

static int line_delta(const __u8 *t, size_t len, size_t pos)
{
	int kind = (t[pos] >> 3) & 15;
	__u32 u;

	switch (kind) {
	case KIND_NO_COLUMNS:
	case KIND_LONG:
		u = varint(t, len, pos + 1);
		return (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
	case KIND_ONE_LINE0:
	case KIND_ONE_LINE0 + 1:
	case KIND_ONE_LINE0 + 2:
		return kind - KIND_ONE_LINE0;
	default:
		return 0;
	}
}

int bw_pylinetable__line(const __u8 *table, size_t len, int firstlineno, __u64 addr_bytes)
{
	__u64 start = 0;
	__s64 line = firstlineno; /* a hostile table's deltas add up past an int */
	size_t pos = 0;

	while (pos < len) {
		__u8 first = table[pos];
		__u64 end;

		if (!(first & 0x80))
			return -1; /* not at an entry: malformed */
		end = start + 2 * ((__u64)(first & 7) + 1);
		line += line_delta(table, len, pos);
		if (line < 0 || line > INT_MAX)
			return -1;
		if (addr_bytes < end)
			return ((first >> 3) & 15) == KIND_NONE ? -1 : (int)line;
		start = end;
		for (pos++; pos < len && !(table[pos] & 0x80); pos++)
			;
	}
	return -1;
}
