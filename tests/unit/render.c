// SPDX-License-Identifier: GPL-2.0
/* The report of a capture as a string, for the tests that compare renderings. */
#include <stdio.h>
#include <criterion/criterion.h>
#include "export/report.h"
#include "fixture.h"

char *fx_report(const struct bw_capture *c, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	if (json)
		bw_report_json(f, c);
	else
		bw_report_text(f, c);
	fclose(f);
	return buf;
}
