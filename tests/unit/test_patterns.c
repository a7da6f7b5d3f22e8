// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include "core/patterns.h"

static int read_str(struct bw_patterns *p, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	cr_assert_not_null(f);
	err = bw_patterns__read(p, f);
	fclose(f);
	return err;
}

Test(patterns, lines_comments_and_blanks)
{
	struct bw_patterns *p;

	cr_assert_eq(bw_patterns__new(&p), 0);
	cr_assert_not(bw_patterns__match(p, "anything"), "empty matches nothing");
	cr_assert_eq(read_str(p, "# a comment\n\t my_idle_*  # trailing\r\n\n   \nexact\nlast"), 0);
	cr_assert(bw_patterns__match(p, "my_idle_loop"));
	cr_assert(bw_patterns__match(p, "exact"));
	cr_assert(bw_patterns__match(p, "last"), "a last line without newline counts");
	cr_assert_not(bw_patterns__match(p, "exactly"));
	cr_assert_not(bw_patterns__match(p, " my_idle_loop"));
	cr_assert_not(bw_patterns__match(p, "# a comment"));
	cr_assert_not(bw_patterns__match(p, ""));
	cr_assert_not(bw_patterns__match(p, NULL));
	cr_assert_not(bw_patterns__match(NULL, "exact"));
	bw_patterns__free(p);
	bw_patterns__free(NULL);
}

Test(patterns, added_one_by_one_with_fnmatch_syntax)
{
	struct bw_patterns *p;

	cr_assert_eq(bw_patterns__new(&p), 0);
	cr_assert_eq(bw_patterns__add(p, "net/http.(*conn).serve"), 0);
	cr_assert_eq(bw_patterns__add(p, "main.worker[0-9]"), 0);
	cr_assert(bw_patterns__match(p, "net/http.(*conn).serve"));
	cr_assert(bw_patterns__match(p, "main.worker7"));
	cr_assert_not(bw_patterns__match(p, "main.workerX"));
	/* Lines read after add to the same set. */
	cr_assert_eq(read_str(p, "foo.*\n"), 0);
	cr_assert(bw_patterns__match(p, "foo.bar"));
	cr_assert(bw_patterns__match(p, "main.worker1"));
	bw_patterns__free(p);
}

Test(patterns, a_line_longer_than_a_name_is_einval)
{
	char text[1100 + 16];
	struct bw_patterns *p;

	memset(text, 'x', 1100);
	strcpy(text + 1100, "\nshort\n");
	cr_assert_eq(bw_patterns__new(&p), 0);
	cr_assert_eq(read_str(p, "before\n"), 0);
	cr_assert_eq(read_str(p, text), -EINVAL);
	cr_assert(bw_patterns__match(p, "before"), "what was read before stays");
	cr_assert_not(bw_patterns__match(p, "short"));
	bw_patterns__free(p);

	/* 1022 bytes and its newline fit the line buffer. */
	memset(text, 'y', 1022);
	strcpy(text + 1022, "\n");
	cr_assert_eq(bw_patterns__new(&p), 0);
	cr_assert_eq(read_str(p, text), 0);
	text[1022] = '\0';
	cr_assert(bw_patterns__match(p, text));
	bw_patterns__free(p);
}
