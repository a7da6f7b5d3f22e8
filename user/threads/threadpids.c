// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdlib.h>
#include "threads/threadpids.h"

__u32 *bw_thread_pids(const struct bw_thread *threads, size_t n, size_t *npids)
{
	size_t i, j, np = 0, cap = 16;
	__u32 *pids, *seen;
	bool zero = false;

	while (cap < 2 * n)
		cap *= 2;
	pids = malloc((n ? n : 1) * sizeof(*pids));
	/* Open addressing on pid; 0 marks a free slot, so pid 0 has a flag of its own. */
	seen = calloc(cap, sizeof(*seen));
	if (!pids || !seen) {
		free(pids);
		free(seen);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		__u32 pid = threads[i].pid;

		if (!pid) {
			if (!zero)
				pids[np++] = 0;
			zero = true;
			continue;
		}
		for (j = (pid * 2654435761u) & (cap - 1); seen[j] && seen[j] != pid;
		     j = (j + 1) & (cap - 1))
			;
		if (seen[j])
			continue;
		seen[j] = pid;
		pids[np++] = pid;
	}
	free(seen);
	*npids = np;
	return pids;
}
