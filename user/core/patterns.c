// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include "core/patterns.h"

struct bw_patterns {
	char **pats;
	size_t n;
};

int bw_patterns__new(struct bw_patterns **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static int add_pattern(struct bw_patterns *p, const char *s, size_t len)
{
	char **np = realloc(p->pats, (p->n + 1) * sizeof(*np));

	if (!np)
		return -ENOMEM;
	p->pats = np;
	p->pats[p->n] = strndup(s, len);
	if (!p->pats[p->n])
		return -ENOMEM;
	p->n++;
	return 0;
}

int bw_patterns__add(struct bw_patterns *p, const char *pattern)
{
	return add_pattern(p, pattern, strlen(pattern));
}

int bw_patterns__read(struct bw_patterns *p, FILE *f)
{
	char line[1024];
	int err = 0;

	while (!err && fgets(line, sizeof(line), f)) {
		char *s = line, *e;

		if (!strchr(line, '\n') && !feof(f))
			return -EINVAL; /* a line longer than any function name */
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strcspn(s, "#\r\n");
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s)
			err = add_pattern(p, s, e - s);
	}
	return err;
}

bool bw_patterns__match(const struct bw_patterns *p, const char *name)
{
	size_t i;

	for (i = 0; p && name && i < p->n; i++)
		if (!fnmatch(p->pats[i], name, 0))
			return true;
	return false;
}

void bw_patterns__free(struct bw_patterns *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->pats[i]);
	free(p->pats);
	free(p);
}
