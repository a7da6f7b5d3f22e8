/* SPDX-License-Identifier: GPL-2.0 */
/* Which processes -a reports: by comm (include/exclude regexes) and cgroup. Pure. */
#ifndef BW_FILTER_H
#define BW_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "blockwatch.h"

struct bw_filter;

/* NULL for a filter not given. 0, or -EINVAL for a regex that does not compile. */
int bw_filter__new(const char *comm_re, const char *exclude_re, const char *cgroup,
		   struct bw_filter **out);
/* True when a filter on cgroups is set (the caller then reads them). */
bool bw_filter__wants_cgroup(const struct bw_filter *f);
/*
 * cgroup: the process's cgroup v2 path ("/system.slice/x.service"), or NULL.
 * A cgroup filter matches the path and everything below it; it may be given
 * as that path or under /sys/fs/cgroup.
 */
bool bw_filter__match(const struct bw_filter *f, const char *comm, const char *cgroup);
void bw_filter__free(struct bw_filter *f);
/* The cgroup v2 path of pid into buf: 0 or a negative errno (bw_proc_cgroup, or a test's). */
typedef int (*bw_cgroup_fn)(pid_t pid, char *buf, size_t len);
/*
 * Drops from recs the threads of the processes f excludes (f NULL: none) and
 * those of self, blockwatch itself. Decides once per process, by its main
 * thread's name: threads of many processes come interleaved, in tid order.
 * cgroup_of is asked only when f filters on cgroups; a process whose cgroup
 * it cannot tell is excluded. 0 or -ENOMEM.
 */
int bw_filter__recs(const struct bw_filter *f, __u32 self, bw_cgroup_fn cgroup_of,
		    struct bw_task_rec *recs, size_t *n);
/* The cgroup v2 path in a /proc/PID/cgroup text ("0::/a/b"), copied to buf; 0 or -ENOENT. */
int bw_parse_cgroup(const char *text, char *buf, size_t len);

#endif
