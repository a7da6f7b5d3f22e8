// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "core/escape.h"

static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	bw_json_str(f, s);
	fclose(f);
	return buf;
}

Test(escape, json_strings)
{
	char *out;

	out = json_of("a\"b\\c\n\t\x1b[31m");
	cr_assert_str_eq(out, "\"a\\\"b\\\\c\\n\\t\\u001b[31m\"");
	free(out);
	out = json_of("caf\xc3\xa9");
	cr_assert_str_eq(out, "\"caf\xc3\xa9\"");
	free(out);
	/* Invalid UTF-8: a lone continuation byte, an overlong, a surrogate. */
	out = json_of("\xff\x80\xc0\xaf\xed\xa0\x80");
	cr_assert_str_eq(out, "\"\\u00ff\\u0080\\u00c0\\u00af\\u00ed\\u00a0\\u0080\"");
	free(out);
	out = json_of(NULL);
	cr_assert_str_eq(out, "\"\"");
	free(out);
}

Test(escape, text_strings)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	bw_text_str(f, "ok\x1b]0;pwned\x07\\x", 0);
	bw_text_str(f, "abcdef", 3);
	fclose(f);
	cr_assert_str_eq(buf, "ok\\x1b]0;pwned\\x07\\\\xabc");
	free(buf);
}

static char *label_value(const char *s, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	bw_prom_label_str(f, s, max);
	fclose(f);
	return buf;
}

Test(escape, prom_label_values)
{
	static const struct {
		const char *in, *out;
		size_t max;
	} cases[] = {
		{ "a\"b\\c\nd", "a\\\"b\\\\c\\nd", 0 },
		{ "tab\there", "tab\\\\x09here", 0 },
		{ "\x1b[31mred", "\\\\x1b[31mred", 0 },
		{ "del\x7f", "del\\\\x7f", 0 },
		{ "bad\xff\xfe", "bad\\\\xff\\\\xfe", 0 },
		{ "caf\xc3\xa9", "caf\xc3\xa9", 0 },		      /* valid UTF-8 stays */
		{ "csi\xc2\x9b", "csi\\\\xc2\\\\x9b", 0 },	      /* C1 control */
		{ "over\xc0\xaf", "over\\\\xc0\\\\xaf", 0 },	      /* overlong '/' */
		{ "sur\xed\xa0\x80", "sur\\\\xed\\\\xa0\\\\x80", 0 }, /* surrogate */
		{ "0123456789abcdefXYZ", "0123456789abcde", 15 },
		{ "caf\xc3\xa9", "caf\\\\xc3", 4 }, /* a sequence cut by the cap */
		{ NULL, "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = label_value(cases[i].in, cases[i].max);

		cr_expect_str_eq(out, cases[i].out, "case %zu", i);
		free(out);
	}
}

static char *folded_of(const char *s, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	bw_folded_str(f, s, max);
	fclose(f);
	return buf;
}

/* The text form, but ';' is a frame separator: escaped like a control. */
Test(escape, folded_frames)
{
	char *out;

	out = folded_of("a;b\n\\c\xc3\xa9 d", 0);
	cr_assert_str_eq(out, "a\\x3bb\\x0a\\\\c\\xc3\\xa9 d");
	free(out);
	/* A comm array full to its last byte: max stops before what follows it. */
	out = folded_of("0123456789abcdefNOT", 16);
	cr_assert_str_eq(out, "0123456789abcdef");
	free(out);
	out = folded_of(NULL, 0);
	cr_assert_str_eq(out, "");
	free(out);
}

/* pprof's strings: the text form of all of the string, in memory. */
Test(escape, text_dup)
{
	static const char *const cases[] = { "ok\x1b]0;pwned\x07\\x", "semi;colon", "\xff", "" };
	char *dup, *buf;
	size_t i, len;
	FILE *f;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf = NULL;
		f = open_memstream(&buf, &len);
		cr_assert_not_null(f);
		bw_text_str(f, cases[i], 0);
		fclose(f);
		dup = bw_text_dup(cases[i]);
		cr_assert_not_null(dup);
		cr_expect_str_eq(dup, buf, "case %zu", i);
		free(dup);
		free(buf);
	}
	dup = bw_text_dup("ev\x1b]0;x\x07\n");
	cr_assert_str_eq(dup, "ev\\x1b]0;x\\x07\\x0a");
	free(dup);
	dup = bw_text_dup(NULL);
	cr_assert_str_eq(dup, "");
	free(dup);
}
