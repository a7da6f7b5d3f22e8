// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include "core/hashmap.h"
#include "threads/threadpids.h"

__u32 *bw_thread_pids(const struct bw_thread *threads, size_t n, size_t *npids)
{
	__u32 *pids = malloc((n ? n : 1) * sizeof(*pids));
	struct bw_hashmap *seen = NULL;
	size_t i, np = 0;
	int added = 0;

	if (!pids || bw_hashmap__new(0, &seen)) {
		free(pids);
		bw_hashmap__free(seen);
		return NULL;
	}
	for (i = 0; i < n && added >= 0; i++) {
		added = bw_hashmap__insert(seen, threads[i].pid, NULL);
		if (added > 0)
			pids[np++] = threads[i].pid;
	}
	bw_hashmap__free(seen);
	if (added < 0) {
		free(pids);
		return NULL;
	}
	*npids = np;
	return pids;
}
