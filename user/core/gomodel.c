// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include "core/gomodel.h"

const char *bw_age_source_name(enum bw_age_source s)
{
	switch (s) {
	case BW_AGE_WAITSINCE:
		return "gc";
	case BW_AGE_PROBE:
		return "probe";
	default:
		return "watched";
	}
}

void bw_gorecs_free(struct bw_gorec *recs, size_t n)
{
	size_t i;

	for (i = 0; recs && i < n; i++)
		free(recs[i].stack);
	free(recs);
}
