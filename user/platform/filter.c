// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/hashmap.h"
#include "platform/filter.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

struct bw_filter {
	bool has_comm, has_exclude;
	regex_t comm;
	regex_t exclude;
	char *cgroup; /* normalized: starts with '/', no trailing '/' */
};

int bw_filter__new(const char *comm_re, const char *exclude_re, const char *cgroup,
		   struct bw_filter **out)
{
	struct bw_filter *f = calloc(1, sizeof(*f));
	size_t len;

	if (!f)
		return -ENOMEM;
	if (comm_re) {
		if (regcomp(&f->comm, comm_re, REG_EXTENDED | REG_NOSUB))
			goto invalid;
		f->has_comm = true;
	}
	if (exclude_re) {
		if (regcomp(&f->exclude, exclude_re, REG_EXTENDED | REG_NOSUB))
			goto invalid;
		f->has_exclude = true;
	}
	if (cgroup) {
		if (!strncmp(cgroup, CGROUP_ROOT, strlen(CGROUP_ROOT)))
			cgroup += strlen(CGROUP_ROOT);
		f->cgroup = malloc(strlen(cgroup) + 2);
		if (!f->cgroup) {
			bw_filter__free(f);
			return -ENOMEM;
		}
		snprintf(f->cgroup, strlen(cgroup) + 2, "%s%s", cgroup[0] == '/' ? "" : "/",
			 cgroup);
		len = strlen(f->cgroup);
		while (len > 1 && f->cgroup[len - 1] == '/')
			f->cgroup[--len] = '\0';
	}
	*out = f;
	return 0;
invalid:
	bw_filter__free(f);
	return -EINVAL;
}

bool bw_filter__wants_cgroup(const struct bw_filter *f)
{
	return f && f->cgroup;
}

bool bw_filter__match(const struct bw_filter *f, const char *comm, const char *cgroup)
{
	size_t len;

	if (!f)
		return true;
	if (f->has_comm && regexec(&f->comm, comm ? comm : "", 0, NULL, 0))
		return false;
	if (f->has_exclude && !regexec(&f->exclude, comm ? comm : "", 0, NULL, 0))
		return false;
	if (f->cgroup) {
		if (!cgroup)
			return false;
		len = strlen(f->cgroup);
		if (len == 1) /* "/": everything */
			return true;
		if (strncmp(cgroup, f->cgroup, len) || (cgroup[len] && cgroup[len] != '/'))
			return false;
	}
	return true;
}

void bw_filter__free(struct bw_filter *f)
{
	if (!f)
		return;
	if (f->has_comm)
		regfree(&f->comm);
	if (f->has_exclude)
		regfree(&f->exclude);
	free(f->cgroup);
	free(f);
}

int bw_parse_cgroup(const char *text, char *buf, size_t len)
{
	const char *p = text;

	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n > 3 && !strncmp(p, "0::", 3) && n - 3 < len) {
			memcpy(buf, p + 3, n - 3);
			buf[n - 3] = '\0';
			return 0;
		}
		p = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

/* What -a decides of one process, once: by its main thread's name (threads come in tid order). */
struct proc_pick {
	bool keep;
	char comm[BW_COMM_BYTES + 1];
};

int bw_filter__recs(const struct bw_filter *f, __u32 self, bw_cgroup_fn cgroup_of,
		    struct bw_task_rec *recs, size_t *n)
{
	struct bw_hashmap *picks = NULL;
	struct proc_pick *p;
	size_t i, it = 0, kept = 0;
	char cgroup[512];
	__u64 pid;
	int err;

	err = bw_hashmap__new(sizeof(*p), &picks);
	for (i = 0; !err && i < *n; i++) {
		err = bw_hashmap__insert(picks, recs[i].tgid, (void **)&p);
		if (err < 0)
			break;
		if (err || recs[i].tid == recs[i].tgid)
			snprintf(p->comm, sizeof(p->comm), "%.*s", BW_COMM_BYTES, recs[i].comm);
		err = 0;
	}
	if (err)
		goto cleanup;
	while (bw_hashmap__next(picks, &it, &pid, (void **)&p)) {
		p->keep = pid != self;
		if (p->keep && f)
			p->keep = bw_filter__match(
				f, p->comm,
				bw_filter__wants_cgroup(f) &&
						!cgroup_of((pid_t)pid, cgroup, sizeof(cgroup))
					? cgroup
					: NULL);
	}
	for (i = 0; i < *n; i++) {
		p = bw_hashmap__find(picks, recs[i].tgid);
		if (p && p->keep)
			recs[kept++] = recs[i];
	}
	*n = kept;
cleanup:
	bw_hashmap__free(picks);
	return err;
}
