// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel symbols in the /proc/kallsyms format:
 *
 *	ffffffff81000000 T _stext
 *	ffffffffc0a01000 t nf_hook_slow	[nf_tables]
 *
 * Only text symbols are kept: kernel stacks hold code addresses, and a data
 * symbol between two functions would swallow the end of the first.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "platform/ksyms.h"

struct bw_ksym {
	__u64 addr;
	size_t order; /* line index: among aliases, the first listed wins */
	char *name;
};

struct bw_ksyms {
	struct bw_ksym *syms;
	size_t nr;
	size_t cap;
};

static int ksym_cmp(const void *a, const void *b)
{
	const struct bw_ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int is_text_type(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

/*
 * Splits one line into address, type and name, checking the optional
 * "[module]" tail. Returns 0, or -EINVAL when the line is not kallsyms.
 */
static int parse_line(char *line, __u64 *addr, char *type, char **name)
{
	char *p = line, *end;

	if (!isxdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	*addr = strtoull(p, &end, 16);
	if (errno || end == p || (*end != ' ' && *end != '\t'))
		return -EINVAL;
	p = end + strspn(end, " \t");
	if (!isalpha((unsigned char)p[0]) || (p[1] != ' ' && p[1] != '\t'))
		return -EINVAL;
	*type = p[0];
	p += 1 + strspn(p + 1, " \t");
	if (!*p || *p == '\n')
		return -EINVAL;
	*name = p;
	p += strcspn(p, " \t\n");
	if (*p) {
		*p++ = '\0';
		p += strspn(p, " \t");
	}
	if (*p == '[') {
		p = strchr(p, ']');
		if (!p)
			return -EINVAL;
		p++;
		p += strspn(p, " \t");
	}
	if (*p && *p != '\n')
		return -EINVAL;
	return 0;
}

static int ksyms_add(struct bw_ksyms *ks, __u64 addr, const char *name)
{
	struct bw_ksym *sym;

	if (ks->nr == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 1024;
		struct bw_ksym *syms = realloc(ks->syms, cap * sizeof(*syms));

		if (!syms)
			return -ENOMEM;
		ks->syms = syms;
		ks->cap = cap;
	}
	sym = &ks->syms[ks->nr];
	sym->name = strdup(name);
	if (!sym->name)
		return -ENOMEM;
	sym->addr = addr;
	sym->order = ks->nr++;
	return 0;
}

int bw_ksyms__load(FILE *f, struct bw_ksyms **out)
{
	size_t parsed = 0, nonzero = 0, cap = 0;
	struct bw_ksyms *ks;
	char *line = NULL;
	int err = 0;

	*out = NULL;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	while (getline(&line, &cap, f) >= 0) {
		char type, *name;
		__u64 addr;

		/* Lenient: one odd line must not cost the whole table. */
		if (parse_line(line, &addr, &type, &name))
			continue;
		parsed++;
		if (addr)
			nonzero++;
		if (!is_text_type(type))
			continue;
		err = ksyms_add(ks, addr, name);
		if (err)
			goto cleanup;
	}
	if (ferror(f)) {
		err = -EIO;
		goto cleanup;
	}
	if (!parsed) {
		err = -EINVAL;
		goto cleanup;
	}
	/* kptr_restrict shows every address as zero to those without CAP_SYSLOG. */
	if (!nonzero) {
		err = -EPERM;
		goto cleanup;
	}
	if (ks->nr) /* no text symbols: syms is NULL, which qsort must not get */
		qsort(ks->syms, ks->nr, sizeof(*ks->syms), ksym_cmp);
	*out = ks;
	ks = NULL;
cleanup:
	free(line);
	bw_ksyms__free(ks);
	return err;
}

int bw_ksyms__new(struct bw_ksyms **out)
{
	FILE *f;
	int err;

	*out = NULL;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -errno;
	err = bw_ksyms__load(f, out);
	fclose(f);
	return err;
}

const char *bw_ksyms__find(const struct bw_ksyms *ks, __u64 addr, __u64 *offset)
{
	size_t lo = 0, hi = ks->nr;
	const struct bw_ksym *sym;

	/* The first symbol above addr; the one before it contains addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	sym = &ks->syms[lo - 1];
	while (sym > ks->syms && sym[-1].addr == sym->addr)
		sym--;
	if (offset)
		*offset = addr - sym->addr;
	return sym->name;
}

void bw_ksyms__free(struct bw_ksyms *ks)
{
	size_t i;

	if (!ks)
		return;
	for (i = 0; i < ks->nr; i++)
		free(ks->syms[i].name);
	free(ks->syms);
	free(ks);
}
