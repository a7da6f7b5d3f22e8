// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include "core/waitgraph.h"

enum { UNSEEN = 0, ON_PATH, DONE };

static int cmp_tid(const void *a, const void *b)
{
	const struct bw_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

long bw_waitgraph_find(const struct bw_thread *threads, size_t n, __u32 tid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (threads[mid].tid == tid)
			return mid;
		if (threads[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static long next_of(const struct bw_thread *threads, size_t n, size_t i)
{
	long j;

	if (!threads[i].owner_tid)
		return -1;
	j = bw_waitgraph_find(threads, n, threads[i].owner_tid);
	/* Edges stay inside one process: tids are global, locks are not. */
	if (j < 0 || threads[j].pid != threads[i].pid)
		return -1;
	return j;
}

int bw_waitgraph_resolve(struct bw_thread *threads, size_t n)
{
	unsigned char *mark;
	size_t *path;
	size_t i, len, k;
	long j;

	qsort(threads, n, sizeof(*threads), cmp_tid);
	mark = calloc(n ? n : 1, 1);
	path = calloc(n ? n : 1, sizeof(*path));
	if (!mark || !path) {
		free(mark);
		free(path);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		threads[i].in_cycle = false;
		threads[i].chain_entries = 0;
	}
	/* Each walk marks its path; meeting the path again closes a cycle. */
	for (i = 0; i < n; i++) {
		if (mark[i] != UNSEEN)
			continue;
		len = 0;
		for (j = i; j >= 0 && mark[j] == UNSEEN; j = next_of(threads, n, j)) {
			mark[j] = ON_PATH;
			path[len++] = j;
		}
		if (j >= 0 && mark[j] == ON_PATH) {
			for (k = 0; k < len && path[k] != (size_t)j; k++)
				;
			for (; k < len; k++)
				threads[path[k]].in_cycle = true;
		}
		for (k = 0; k < len; k++)
			mark[path[k]] = DONE;
	}
	/* The chain lists each owner once: it ends where it meets itself. */
	for (i = 0; i < n; i++) {
		struct bw_thread *t = &threads[i];
		bool seen;

		if (!t->owner_tid)
			continue;
		t->chain[t->chain_entries++] = t->owner_tid;
		for (j = next_of(threads, n, i); j >= 0 && t->chain_entries < BW_CHAIN_MAX_ENTRIES;
		     j = next_of(threads, n, j)) {
			__u32 tid = threads[j].owner_tid;

			if (!tid || tid == t->tid)
				break;
			for (seen = false, k = 0; k < (size_t)t->chain_entries; k++)
				seen |= t->chain[k] == tid;
			if (seen)
				break;
			t->chain[t->chain_entries++] = tid;
		}
	}
	free(mark);
	free(path);
	return 0;
}

int bw_waitgraph_cycles(const bool *adj, size_t n, long *next)
{
	bool *reach = malloc(n ? n * n : 1);
	size_t i, j, k;

	if (!reach)
		return -ENOMEM;
	/* Transitive closure (Warshall): reach[i][j] when a path of edges goes from i to j. */
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			reach[i * n + j] = i != j && adj[i * n + j];
	for (k = 0; k < n; k++)
		for (i = 0; i < n; i++) {
			if (!reach[i * n + k])
				continue;
			for (j = 0; j < n; j++)
				reach[i * n + j] |= reach[k * n + j];
		}
	/* An edge i -> j is on a cycle when j leads back to i. */
	for (i = 0; i < n; i++) {
		next[i] = -1;
		for (j = 0; j < n && next[i] < 0; j++)
			if (i != j && adj[i * n + j] && reach[j * n + i])
				next[i] = (long)j;
	}
	free(reach);
	return 0;
}
