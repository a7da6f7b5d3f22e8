// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "core/capture.h"

void bw_capture_stamp(struct bw_capture *c)
{
	struct utsname u;

	snprintf(c->tool, sizeof(c->tool), "blockwatch %s", BW_VERSION);
	if (!uname(&u))
		snprintf(c->kernel, sizeof(c->kernel), "%s", u.release);
	if (gethostname(c->host, sizeof(c->host)))
		c->host[0] = '\0';
	c->host[sizeof(c->host) - 1] = '\0';
	c->created_unix_s = time(NULL);
}

const struct bw_capture_go *bw_capture_go_of(const struct bw_capture *c, __u32 pid)
{
	size_t i;

	for (i = 0; i < c->ngos; i++)
		if (c->gos[i].pid == pid)
			return &c->gos[i];
	return NULL;
}

static int cmp_tid(const void *key, const void *elem)
{
	__u32 tid = *(const __u32 *)key;
	const struct bw_thread *t = elem;

	return tid < t->tid ? -1 : tid > t->tid;
}

const char *bw_capture_comm(const struct bw_capture *c, __u32 pid)
{
	const struct bw_capture_go *go = bw_capture_go_of(c, pid);
	const struct bw_thread *t, *lowest = NULL;
	size_t i;

	if (go && go->comm && go->comm[0])
		return go->comm;
	t = c->nthreads ? bsearch(&pid, c->threads, c->nthreads, sizeof(*t), cmp_tid) : NULL;
	if (t && t->pid == pid)
		return t->comm;
	/* No main thread found (it is not in c, or the threads are not sorted). */
	for (i = 0; i < c->nthreads; i++) {
		t = &c->threads[i];
		if (t->pid != pid)
			continue;
		if (t->tid == pid)
			return t->comm;
		if (!lowest || t->tid < lowest->tid)
			lowest = t;
	}
	return lowest ? lowest->comm : "";
}

static int cmp_u32(const void *pa, const void *pb)
{
	__u32 a = *(const __u32 *)pa, b = *(const __u32 *)pb;

	return a < b ? -1 : a > b;
}

int bw_capture_pids(const struct bw_capture *c, __u32 **pids, size_t *npids)
{
	__u32 *v = malloc((c->nthreads + c->ngos + 1) * sizeof(*v));
	size_t i, n = 0, w;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < c->nthreads; i++)
		v[n++] = c->threads[i].pid;
	for (i = 0; i < c->ngos; i++)
		v[n++] = c->gos[i].pid;
	if (n)
		qsort(v, n, sizeof(*v), cmp_u32);
	for (i = 0, w = 0; i < n; i++)
		if (!w || v[w - 1] != v[i])
			v[w++] = v[i];
	*pids = v;
	*npids = w;
	return 0;
}

void bw_capture_free(struct bw_capture *c)
{
	if (!c || !c->owned)
		return;
	if (c->free_owned)
		c->free_owned(c->owned);
	c->owned = NULL;
}
