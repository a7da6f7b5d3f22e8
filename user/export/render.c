// SPDX-License-Identifier: GPL-2.0
#include "export/goreport.h"
#include "export/render.h"
#include "export/report.h"

static void report_opts(const struct bw_capture *c, struct bw_report_opts *o)
{
	o->threshold_ns = c->threshold_ns;
	o->watched_ns = c->watched_ns;
	o->ksyms = c->ksyms;
	o->dropped = c->dropped;
	o->fallbacks = c->fallbacks;
	o->all = c->all;
}

static void go_report(const struct bw_capture *c, size_t i, struct bw_goreport *r)
{
	r->pid = c->gos[i].pid;
	r->go_version = c->gos[i].go_version;
	r->scan_stacks = c->gos[i].scan_stacks;
	r->scan_heap = c->gos[i].scan_heap;
	r->scan_globals = c->gos[i].scan_globals;
	r->recs = c->gos[i].recs;
	r->nrecs = c->gos[i].nrecs;
	r->groups = c->gos[i].groups;
	r->ngroups = c->gos[i].ngroups;
	r->threshold_ns = c->threshold_ns;
}

void bw_render_text(FILE *f, const struct bw_capture *c)
{
	struct bw_report_opts o = {};
	struct bw_goreport r;
	size_t i;

	report_opts(c, &o);
	bw_report_text(f, c->threads, c->nthreads, &o);
	for (i = 0; i < c->ngos; i++) {
		go_report(c, i, &r);
		bw_goreport_text(f, &r);
	}
}

void bw_render_json(FILE *f, const struct bw_capture *c)
{
	struct bw_report_opts o = {};
	struct bw_goreport r;
	size_t i;

	report_opts(c, &o);
	bw_report_json(f, c->threads, c->nthreads, &o);
	for (i = 0; i < c->ngos; i++) {
		go_report(c, i, &r);
		bw_goreport_json(f, &r);
	}
	bw_report_json_summary(f, c->all ? 0 : 1, c->nthreads, &o);
}

size_t bw_render_found(const struct bw_capture *c)
{
	struct bw_goreport r;
	size_t i, v[BW_VERDICT_COUNT], found;

	bw_report_count(c->threads, c->nthreads, v);
	found = v[BW_VERDICT_LEAK] + v[BW_VERDICT_DEADLOCK];
	for (i = 0; i < c->ngos; i++) {
		go_report(c, i, &r);
		bw_goreport_count(&r, v);
		found += v[BW_VERDICT_LEAK] + v[BW_VERDICT_DEADLOCK];
	}
	return found;
}

size_t bw_render_stuck(const struct bw_capture *c)
{
	struct bw_goreport r;
	size_t i, v[BW_VERDICT_COUNT], stuck;

	bw_report_count(c->threads, c->nthreads, v);
	stuck = v[BW_VERDICT_STUCK];
	for (i = 0; i < c->ngos; i++) {
		go_report(c, i, &r);
		bw_goreport_count(&r, v);
		stuck += v[BW_VERDICT_STUCK];
	}
	return stuck;
}
