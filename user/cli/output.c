// SPDX-License-Identifier: GPL-2.0
/* What a run writes besides its report: the capture, /metrics, snapshot and profiles. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/atomicfile.h"
#include "export/folded.h"
#include "export/httpd.h"
#include "export/pprof.h"
#include "export/prom.h"
#include "export/snapshot.h"
#include "go/gowatch.h"
#include "platform/tracer.h"
#include "threads/inspect.h"
#include "cli/output.h"

void bw_buffer_stdout(FILE *f)
{
	/* Outlives main: exit's flush writes from it. */
	static char buf[STDOUT_BUFFER_BYTES];

	/* With no buffer given, glibc ignores the size and keeps st_blksize (4 KiB on a pipe). */
	if (!isatty(fileno(f)))
		setvbuf(f, buf, _IOFBF, sizeof(buf));
}

/* The capture of a live run: points into the watch's state. */
struct bw_capture_go *live_capture(struct watch *w, struct bw_capture *c,
				   const struct bw_ksyms *ksyms, __u64 watched_ns)
{
	size_t i, n = w->goset ? bw_goset__count(w->goset) : 0;
	struct bw_capture_go *gos = calloc(n ? n : 1, sizeof(*gos));

	memset(c, 0, sizeof(*c));
	bw_capture_stamp(c);
	c->threshold_ns = w->cfg->threshold_ns;
	c->watched_ns = watched_ns;
	c->dropped = bw_tracer__dropped(w->tr);
	c->fallbacks = bw_tracer__fallbacks(w->tr);
	c->all = w->cfg->all;
	c->threads = bw_inspector__threads(w->in, &c->nthreads);
	c->ksyms = ksyms;
	for (i = 0; gos && i < n; i++) {
		struct bw_gowatch *gw = bw_goset__get(w->goset, i);
		struct bw_capture_go *g = &gos[c->ngos];

		if (!gw)
			continue;
		g->pid = bw_gowatch__pid(gw);
		g->go_version = bw_gowatch__version(gw);
		bw_gowatch__scan_kinds(gw, &g->scan_stacks, &g->scan_heap, &g->scan_globals);
		g->recs = bw_gowatch__records(gw, &g->nrecs);
		g->groups = bw_gowatch__groups(gw, &g->ngroups);
		c->ngos++;
	}
	c->gos = gos;
	return gos;
}

int write_snapshot(const char *path, const struct bw_capture *c)
{
	struct bw_atomic a;
	int err;

	err = bw_atomic_open(&a, path);
	if (err)
		goto fail;
	err = bw_snapshot_write(a.f, c);
	if (err) {
		bw_atomic_abort(&a);
		goto fail;
	}
	err = bw_atomic_commit(&a);
	if (err)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "blockwatch: failed to write snapshot %s: %s\n", path, strerror(-err));
	return err;
}

/* The exposition of the last scan's capture, handed to the /metrics server. */
void publish_metrics(struct watch *w, const struct bw_capture *c)
{
	struct bw_prom_opts o = { .max_sites = w->cfg->max_sites,
				  .no_histograms = w->cfg->no_histograms };
	size_t i, n = w->goset ? bw_goset__count(w->goset) : 0, len = 0;
	__u64 skipped = 0;
	char *text = NULL;
	FILE *f;
	int err;

	for (i = 0; i < n; i++) {
		struct bw_gowatch *gw = bw_goset__get(w->goset, i);

		if (gw)
			skipped += bw_gowatch__skipped(gw);
	}
	/* A counter never goes down, even when a process takes its tally away. */
	if (skipped > w->health.skipped_goroutine_reads)
		w->health.skipped_goroutine_reads = skipped;
	o.health = w->health;
	f = open_memstream(&text, &len);
	if (f) {
		err = bw_prom_write(f, c, &o);
		/* Closed once whatever the write gave; fclose sets text and len. */
		if (!fclose(f) && !err)
			bw_httpd__publish(w->httpd, text, len);
	}
	free(text);
}

/* Writes path whole or not at all with writer(f, c). */
static int write_atomic(const char *path, const char *what,
			int (*writer)(FILE *f, const struct bw_capture *c),
			const struct bw_capture *c)
{
	struct bw_atomic a;
	int err;

	err = bw_atomic_open(&a, path);
	if (!err) {
		err = writer(a.f, c);
		if (err)
			bw_atomic_abort(&a);
		else
			err = bw_atomic_commit(&a);
	}
	if (err)
		fprintf(stderr, "blockwatch: failed to write %s %s: %s\n", what, path,
			strerror(-err));
	return err;
}

/* The profiles of a capture: pprof and folded stacks, where asked for. */
int write_profiles(const struct bw_capture *c, const char *pprof, const char *folded)
{
	int err = 0;

	if (pprof)
		err = write_atomic(pprof, "pprof profile", bw_pprof_write, c);
	if (!err && folded)
		err = write_atomic(folded, "folded stacks", bw_folded_write, c);
	return err;
}
