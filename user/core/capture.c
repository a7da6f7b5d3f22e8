// SPDX-License-Identifier: GPL-2.0
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

void bw_capture_free(struct bw_capture *c)
{
	if (!c || !c->owned)
		return;
	if (c->free_owned)
		c->free_owned(c->owned);
	c->owned = NULL;
}
