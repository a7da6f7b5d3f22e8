// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/parse.h"

#define NSEC_PER_SEC 1000000000ULL

static const struct {
	const char *suffix;
	__u64 ns;
} units[] = {
	{ "ns", 1ULL },
	{ "us", 1000ULL },
	{ "ms", 1000000ULL },
	{ "s", NSEC_PER_SEC },
	{ "m", 60ULL * NSEC_PER_SEC },
	{ "h", 3600ULL * NSEC_PER_SEC },
};

/* The decimal s starts with into *v, *end past it: 0, -EINVAL (no digit first) or -ERANGE. */
static int leading_uint(const char *s, unsigned long long *v, char **end)
{
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, end, 10);
	return errno == ERANGE ? -ERANGE : 0;
}

int bw_parse_uint(const char *s, __u64 min, __u64 max, __u64 *out)
{
	unsigned long long v;
	char *end;
	int err;

	err = leading_uint(s, &v, &end);
	if (err)
		return err;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int bw_parse_pid(const char *s, __u32 *pid)
{
	__u64 v;

	if (bw_parse_uint(s, 1, BW_PID_MAX, &v))
		return -EINVAL;
	*pid = v;
	return 0;
}

int bw_parse_duration(const char *s, __u64 max_ns, __u64 *ns)
{
	unsigned long long whole, frac = 0, frac_div = 1;
	const char *p;
	char *end;
	__u64 unit = 0, v;
	size_t i;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	whole = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	p = end;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		/* Nine digits of fraction are a nanosecond of a second. */
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_div < NSEC_PER_SEC) {
				frac = frac * 10 + (*p - '0');
				frac_div *= 10;
			}
		}
	}
	if (!*p) {
		unit = NSEC_PER_SEC;
	} else {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (!strcmp(p, units[i].suffix)) {
				unit = units[i].ns;
				break;
			}
		}
	}
	if (!unit)
		return -EINVAL;
	if (whole > max_ns / unit)
		return -ERANGE;
	v = whole * unit + frac * unit / frac_div;
	if (v > max_ns)
		return -ERANGE;
	if (!v)
		return -EINVAL;
	*ns = v;
	return 0;
}

int bw_parse_size(const char *s, __u64 min, __u64 max, __u64 *bytes)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;
	int err;

	err = leading_uint(s, &v, &end);
	if (err)
		return err;
	if (*end) {
		const char *p = strchr("kmgt", tolower((unsigned char)*end));

		if (!p || end[1])
			return -EINVAL;
		shift = 10 * (p - "kmgt" + 1);
	}
	if (v > (~0ULL >> shift))
		return -ERANGE;
	v <<= shift;
	if (v < min || v > max)
		return -ERANGE;
	*bytes = v;
	return 0;
}

void bw_format_duration(__u64 ns, char *buf, int len)
{
	__u64 ms = ns / 1000000, s = ns / NSEC_PER_SEC;

	if (ns < NSEC_PER_SEC)
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	else if (s < 60)
		snprintf(buf, len, "%llu.%llus", (unsigned long long)s,
			 (unsigned long long)(ms % 1000) / 100);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)s / 60,
			 (unsigned long long)s % 60);
	else
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)s / 3600,
			 (unsigned long long)(s % 3600) / 60);
}
