// SPDX-License-Identifier: GPL-2.0
/* Command-line numbers: bw_parse_duration, bw_parse_uint, bw_format_duration. */
#include <errno.h>
#include "fuzz_util.h"
#include "core/parse.h"

static const __u64 maxes[] = { 0, 1, 1000000000ULL, 3600ULL * 1000000000ULL, ~0ULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size), buf[32];
	__u64 v, ns = 0;
	size_t i;
	int err;

	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		v = 0;
		err = bw_parse_duration(s, maxes[i], &v);
		if (err != 0 && err != -EINVAL && err != -ERANGE)
			abort();
		if (!err && (!v || v > maxes[i]))
			abort(); /* accepted a zero or an out-of-range duration */
		err = bw_parse_uint(s, 1, maxes[i], &v);
		if (err != 0 && err != -EINVAL && err != -ERANGE)
			abort();
		if (!err && (v < 1 || v > maxes[i]))
			abort();
	}
	/* The formatter on a value taken from the input, into buffers of every size. */
	memcpy(&ns, data, size < sizeof(ns) ? size : sizeof(ns));
	for (i = 1; i <= sizeof(buf); i++) {
		memset(buf, 'x', sizeof(buf));
		bw_format_duration(ns, buf, (int)i);
		if (!memchr(buf, '\0', i))
			abort();
	}
	free(s);
	return 0;
}
