/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Patterns of function names (fnmatch(3) syntax): the lines of an ignore
 * file (--ignore, --go-ignore), one a line, blanks around it dropped, '#'
 * to the end of a line a comment; a name matches when any pattern does.
 * Pure.
 */
#ifndef BW_PATTERNS_H
#define BW_PATTERNS_H

#include <stdbool.h>
#include <stdio.h>

struct bw_patterns;

int bw_patterns__new(struct bw_patterns **out);
/* Adds one pattern. 0 or -ENOMEM. */
int bw_patterns__add(struct bw_patterns *p, const char *pattern);
/*
 * Adds the patterns of f's lines. 0, -EINVAL for a line longer than any
 * function name (1023 bytes), or -ENOMEM; the lines before it stay added.
 */
int bw_patterns__read(struct bw_patterns *p, FILE *f);
/* False for a NULL p or name. */
bool bw_patterns__match(const struct bw_patterns *p, const char *name);
void bw_patterns__free(struct bw_patterns *p);

#endif
