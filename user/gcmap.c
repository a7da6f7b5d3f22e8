// SPDX-License-Identifier: GPL-2.0
/* Conservative until the stack maps and module masks are read: every word may be a pointer. */
#include <errno.h>
#include <string.h>
#include "gcmap.h"

int bw_gcmap_stack(const struct bw_gobin *gb, __u64 bias, __u64 pc, __u64 sp, const __u8 *stack,
		   size_t len, __u8 *bits)
{
	if (!gb || !stack || !bits)
		return -EINVAL;
	memset(bits, 0xff, (len / 8 + 7) / 8);
	return 1;
}

int bw_gcmap_globals(const struct bw_gobin *gb, struct bw_gcmask *data, struct bw_gcmask *bss)
{
	if (!gb || !data || !bss)
		return -EINVAL;
	return -ENOENT;
}
