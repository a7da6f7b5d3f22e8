// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "go/gowatch.h"
#include "platform/filter.h"
#include "platform/procfs.h"
#include "platform/tracer.h"
#include "python/pyset.h"
#include "threads/classify.h"
#include "threads/inspect.h"
#include "threads/pile.h"
#include "threads/threadpids.h"
#include "cli/scan.h"

__u64 bw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static __u64 park_of(void *ctx, __u64 gaddr, __u64 goid)
{
	struct bw_gopark park;

	if (bw_tracer__go_park(ctx, gaddr, &park) || park.goid != goid)
		return 0;
	return park.park_ns;
}

/* Attaches the opt-in probes once the target is known to be Go. */
static void attach_go_probes(struct watch *w)
{
	struct bw_goprobe_points pts;
	struct bw_gowatch *gw = bw_goset__find(w->goset, w->cfg->pid);
	int err;

	if (!gw || w->probes_tried)
		return;
	w->probes_tried = true;
	err = bw_gowatch__probe_points(gw, &pts);
	if (!err)
		err = bw_tracer__attach_go(w->tr, w->cfg->pid, pts.path, pts.park_off, pts.exit_off,
					   pts.goid_off, pts.waitreason_off);
	if (err)
		fprintf(stderr,
			"blockwatch: failed to attach Go probes to %u: %s; reading memory only\n",
			w->cfg->pid, strerror(-err));
}

static size_t live_recs(const struct bw_task_rec *recs, size_t n)
{
	size_t i, live = 0;

	for (i = 0; i < n; i++)
		live += bw_state_char(recs[i].state) != 'Z';
	return live;
}

/* The tracer's records of this scan, with their histories, into the inspector (not when
 * the target exited: *nthreads 0). */
static int inspect(struct watch *w, size_t *nthreads, __u64 *now)
{
	const struct config *cfg = w->cfg;
	struct bw_task_rec *recs = NULL;
	struct bw_thread_obs *obs;
	size_t i, n = 0;
	int err;

	err = bw_tracer__scan(w->tr, &recs, &n);
	if (err)
		return err;
	if (cfg->all && bw_filter__recs(w->filter, getpid(), bw_proc_cgroup, recs, &n)) {
		free(recs);
		return -ENOMEM;
	}
	/* A zombie leader stays listed until reaped: with no live thread, it exited. */
	if (!cfg->all && !live_recs(recs, n))
		n = 0;
	*nthreads = n;
	/* The target exited: keep what the last scan saw. */
	if (!n && !cfg->all) {
		free(recs);
		return 0;
	}
	obs = calloc(n ? n : 1, sizeof(*obs));
	if (!obs) {
		free(recs);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		obs[i].has_history = !bw_tracer__history(w->tr, recs[i].tid, &obs[i].history);
		obs[i].has_futex = !bw_tracer__futex(w->tr, recs[i].tid, &obs[i].futex);
	}
	*now = bw_now_ns();
	err = bw_inspector__update(w->in, recs, obs, n, *now, cfg->threshold_ns);
	free(obs);
	free(recs);
	return err;
}

static int scan_goroutines(struct watch *w, const struct bw_thread *threads, size_t n)
{
	const struct config *cfg = w->cfg;
	size_t npids = 0;
	__u32 *pids;
	int err;

	pids = bw_thread_pids(threads, n, &npids);
	if (!pids)
		return -ENOMEM;
	err = bw_goset__scan(w->goset, pids, npids, cfg->threshold_ns, w->benign,
			     cfg->go_probes ? park_of : NULL, w->tr);
	free(pids);
	if (err)
		return err;
	if (cfg->go_probes)
		attach_go_probes(w);
	return 0;
}

int bw_scan(struct watch *w, bool go_due, size_t *nthreads)
{
	const struct config *cfg = w->cfg;
	struct bw_classify_opts copts = { .threshold_ns = cfg->threshold_ns, .ignore = w->ignore };
	struct bw_thread *threads;
	size_t n;
	__u64 now = 0;
	int err;

	err = inspect(w, nthreads, &now);
	if (err || (!*nthreads && !cfg->all))
		return err;
	threads = bw_inspector__threads(w->in, &n);
	if (w->goset && go_due) {
		err = scan_goroutines(w, threads, n);
		if (err)
			return err;
	}
	if (w->goset)
		bw_goset__link_threads(w->goset, threads, n);
	err = bw_classify_opts(threads, n, &copts);
	if (!err)
		err = bw_piles__update(w->piles, threads, n, now, cfg->threshold_ns);
	/* Last: waits are classified and piled on the unwinder's frames. */
	if (!err && w->pyset)
		err = bw_pyset__scan(w->pyset, threads, n);
	return err;
}
