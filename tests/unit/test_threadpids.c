// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <criterion/criterion.h>
#include "threads/threadpids.h"

static struct bw_thread *threads_of(const __u32 *pids, size_t n)
{
	struct bw_thread *t = calloc(n ? n : 1, sizeof(*t));
	size_t i;

	cr_assert(t);
	for (i = 0; i < n; i++) {
		t[i].pid = pids[i];
		t[i].tid = 1000 + i;
	}
	return t;
}

Test(threadpids, distinct_in_order_of_first_appearance)
{
	static const __u32 in[] = { 5, 5, 0, 7, 5, 0, 9, 7, 5 };
	static const __u32 want[] = { 5, 0, 7, 9 };
	struct bw_thread *t = threads_of(in, sizeof(in) / sizeof(in[0]));
	size_t i, n = 99;
	__u32 *pids = bw_thread_pids(t, sizeof(in) / sizeof(in[0]), &n);

	cr_assert(pids);
	cr_assert_eq(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++)
		cr_assert_eq(pids[i], want[i], "pids[%zu] = %u, want %u", i, pids[i], want[i]);
	free(pids);
	free(t);
}

Test(threadpids, none)
{
	size_t n = 99;
	__u32 *pids = bw_thread_pids(NULL, 0, &n);

	cr_assert(pids, "an empty scan still gives an array to free");
	cr_assert_eq(n, 0);
	free(pids);
}

/* Pids that share slots of the table (multiples of its size) are all kept, each once. */
Test(threadpids, colliding_pids)
{
	enum { NPROCS = 3000, PER_PROC = 3 };
	__u32 *in = calloc(NPROCS * PER_PROC, sizeof(*in));
	struct bw_thread *t;
	size_t i, n = 0;
	__u32 *pids;

	cr_assert(in);
	/* Threads of a process come interleaved with those of others. */
	for (i = 0; i < NPROCS * PER_PROC; i++)
		in[i] = 1 + (i % NPROCS) * 16384;
	t = threads_of(in, NPROCS * PER_PROC);
	pids = bw_thread_pids(t, NPROCS * PER_PROC, &n);
	cr_assert(pids);
	cr_assert_eq(n, NPROCS);
	for (i = 0; i < n; i++)
		cr_assert_eq(pids[i], 1 + i * 16384);
	free(pids);
	free(t);
	free(in);
}
