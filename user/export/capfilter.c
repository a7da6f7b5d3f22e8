// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include "export/capfilter.h"
#include "threads/classify.h"

/* What a view owns; strings and stacks stay the source capture's. */
struct view {
	struct bw_thread *threads;
	struct bw_capture_go *gos;
	size_t ngos;
	struct bw_gorec **recs;	    /* per go process */
	struct bw_gogroup **groups; /* per go process */
};

static void view_free(void *p)
{
	struct view *v = p;
	size_t i;

	for (i = 0; i < v->ngos; i++) {
		free(v->recs[i]);
		free(v->groups[i]);
	}
	free(v->recs);
	free(v->groups);
	free(v->gos);
	free(v->threads);
	free(v);
}

int bw_capfilter_parse_verdicts(const char *list, unsigned int *mask)
{
	static const enum bw_verdict known[] = { BW_VERDICT_DEADLOCK, BW_VERDICT_LEAK,
						 BW_VERDICT_STUCK, BW_VERDICT_BLOCKED,
						 BW_VERDICT_IDLE };
	const char *p = list;
	size_t i, len;

	*mask = 0;
	if (!list || !*list)
		return -EINVAL;
	for (;;) {
		len = strcspn(p, ",");
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			const char *name = bw_verdict_name(known[i]);

			if (strlen(name) == len && !strncmp(p, name, len))
				break;
		}
		if (i == sizeof(known) / sizeof(known[0]))
			return -EINVAL;
		*mask |= 1u << known[i];
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

bool bw_capfilter_is_identity(const struct bw_capfilter *f, const struct bw_capture *c)
{
	return (!f->has_threshold || f->threshold_ns == c->threshold_ns) && !f->npids &&
	       !f->verdicts && !f->comm;
}

static bool pid_wanted(const struct bw_capture *in, const struct bw_capfilter *f, __u32 pid)
{
	size_t i;
	bool named;

	for (i = 0; i < f->npids && f->pids[i] != pid; i++)
		;
	if (f->npids && i == f->npids)
		return false;
	if (!f->comm)
		return true;
	named = !fnmatch(f->comm, bw_capture_comm(in, pid), 0);
	for (i = 0; !named && i < in->nthreads; i++)
		named = in->threads[i].pid == pid && !fnmatch(f->comm, in->threads[i].comm, 0);
	return named;
}

static int cmp_u32(const void *pa, const void *pb)
{
	__u32 a = *(const __u32 *)pa, b = *(const __u32 *)pb;

	return a < b ? -1 : a > b;
}

/* The pids of in that f keeps, ascending, into *out: each judged once, not once a thread. */
static int wanted_pids(const struct bw_capture *in, const struct bw_capfilter *f, __u32 **out,
		       size_t *nout)
{
	size_t i, n, w = 0;
	int err;

	err = bw_capture_pids(in, out, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (pid_wanted(in, f, (*out)[i]))
			(*out)[w++] = (*out)[i];
	*nout = w;
	return 0;
}

static bool in_pids(const __u32 *pids, size_t n, __u32 pid)
{
	return n && bsearch(&pid, pids, n, sizeof(*pids), cmp_u32);
}

static bool verdict_kept(const struct bw_capfilter *f, enum bw_verdict v)
{
	return v == BW_VERDICT_NONE || !f->verdicts || (f->verdicts & (1u << v));
}

static void no_verdict(struct bw_thread *t)
{
	t->verdict = BW_VERDICT_NONE;
	t->reason = BW_REASON_NONE;
	t->why[0] = '\0';
}

/*
 * Threads judged at threshold: under the run's, the classifier again on
 * the copy, each verdict the run gave kept (it knew the --ignore patterns
 * and the piles); over it, the younger lose theirs.
 */
static int judge_threads(struct bw_thread *t, size_t n, const struct bw_thread *const *orig,
			 __u64 run_ns, __u64 threshold_ns)
{
	struct bw_classify_opts o = { .threshold_ns = threshold_ns };
	size_t i;
	int err;

	if (threshold_ns > run_ns) {
		for (i = 0; i < n; i++)
			if (t[i].blocked_ns < threshold_ns)
				no_verdict(&t[i]);
		return 0;
	}
	if (threshold_ns == run_ns)
		return 0;
	err = bw_classify_opts(t, n, &o); /* sorts by tid: the copy came sorted */
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (orig[i]->verdict != BW_VERDICT_NONE && orig[i]->tid == t[i].tid)
			t[i] = *orig[i];
	return 0;
}

static int cmp_tid(const void *a, const void *b)
{
	const struct bw_thread *const *x = a, *const *y = b;

	return (*x)->tid < (*y)->tid ? -1 : (*x)->tid > (*y)->tid;
}

static int filter_threads(const struct bw_capture *in, const struct bw_capfilter *f,
			  const __u32 *wanted, size_t nwanted, struct view *v,
			  struct bw_capture *out)
{
	const struct bw_thread **orig = calloc(in->nthreads ? in->nthreads : 1, sizeof(*orig));
	size_t i, n = 0;
	int err = 0;

	v->threads = calloc(in->nthreads ? in->nthreads : 1, sizeof(*v->threads));
	if (!orig || !v->threads) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < in->nthreads; i++)
		if (in_pids(wanted, nwanted, in->threads[i].pid))
			orig[n++] = &in->threads[i];
	qsort(orig, n, sizeof(*orig), cmp_tid);
	for (i = 0; i < n; i++)
		v->threads[i] = *orig[i];
	err = judge_threads(v->threads, n, orig, in->threshold_ns, out->threshold_ns);
	if (err)
		goto cleanup;
	for (i = 0; i < n; i++)
		if (!verdict_kept(f, v->threads[i].verdict))
			no_verdict(&v->threads[i]);
	out->threads = v->threads;
	out->nthreads = n;
cleanup:
	free(orig);
	return err;
}

/* reported, verdict and oldest of each group again, from its members' verdicts. */
static void regroup(struct bw_gorec *recs, size_t n, struct bw_gogroup *groups, size_t ng)
{
	size_t i;

	for (i = 0; i < ng; i++) {
		groups[i].reported = 0;
		groups[i].verdict = BW_VERDICT_NONE;
		groups[i].oldest_ns = 0;
	}
	for (i = 0; i < n; i++)
		if (recs[i].verdict != BW_VERDICT_NONE)
			bw_gogroup_add_reported(&groups[recs[i].group], &recs[i]);
}

/*
 * A leak or deadlock the run reported is one it saw parked in place (past
 * its threshold, or by two reads at any age): a proof needs no age, so it
 * stays at any threshold, as live.
 */
static bool proven_in_place(const struct bw_gorec *r)
{
	return (r->verdict == BW_VERDICT_LEAK || r->verdict == BW_VERDICT_DEADLOCK) &&
	       r->verdict == r->verdict_any;
}

static int filter_go(const struct bw_capture_go *g, const struct bw_capfilter *f, __u64 run_ns,
		     __u64 threshold_ns, struct bw_gorec **recs_out, struct bw_gogroup **groups_out,
		     struct bw_capture_go *out)
{
	struct bw_gorec *recs = calloc(g->nrecs ? g->nrecs : 1, sizeof(*recs));
	struct bw_gogroup *groups = calloc(g->ngroups ? g->ngroups : 1, sizeof(*groups));
	bool judge = threshold_ns != run_ns, changed = judge;
	size_t i;

	*recs_out = recs;
	*groups_out = groups;
	if (!recs || !groups)
		return -ENOMEM;
	if (g->nrecs)
		memcpy(recs, g->recs, g->nrecs * sizeof(*recs));
	if (g->ngroups)
		memcpy(groups, g->groups, g->ngroups * sizeof(*groups));
	for (i = 0; i < g->nrecs; i++) {
		struct bw_gorec *r = &recs[i];

		if (r->group >= g->ngroups)
			return -EINVAL;
		if (judge) {
			r->verdict = r->blocked_ns >= threshold_ns || proven_in_place(r)
					     ? r->verdict_any
					     : BW_VERDICT_NONE;
			if (r->verdict != BW_VERDICT_NONE)
				r->g.why = r->why_any;
		}
		if (!verdict_kept(f, r->verdict)) {
			r->verdict = BW_VERDICT_NONE;
			changed = true;
		}
	}
	if (changed)
		regroup(recs, g->nrecs, groups, g->ngroups);
	*out = *g;
	out->recs = recs;
	out->groups = groups;
	return 0;
}

int bw_capfilter_apply(const struct bw_capture *in, const struct bw_capfilter *f,
		       struct bw_capture *out)
{
	struct view *v = calloc(1, sizeof(*v));
	__u32 *wanted = NULL;
	size_t i, nwanted = 0;
	int err;

	*out = *in;
	out->owned = v;
	out->free_owned = view_free;
	out->threads = NULL;
	out->nthreads = 0;
	out->gos = NULL;
	out->ngos = 0;
	if (!v)
		return -ENOMEM;
	if (f->has_threshold)
		out->threshold_ns = f->threshold_ns;
	v->gos = calloc(in->ngos ? in->ngos : 1, sizeof(*v->gos));
	v->recs = calloc(in->ngos ? in->ngos : 1, sizeof(*v->recs));
	v->groups = calloc(in->ngos ? in->ngos : 1, sizeof(*v->groups));
	if (!v->gos || !v->recs || !v->groups) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = wanted_pids(in, f, &wanted, &nwanted);
	if (err)
		goto cleanup;
	err = filter_threads(in, f, wanted, nwanted, v, out);
	if (err)
		goto cleanup;
	for (i = 0; i < in->ngos; i++) {
		if (!in_pids(wanted, nwanted, in->gos[i].pid))
			continue;
		err = filter_go(&in->gos[i], f, in->threshold_ns, out->threshold_ns,
				&v->recs[v->ngos], &v->groups[v->ngos], &v->gos[v->ngos]);
		v->ngos++; /* what it made is freed with the view, even on failure */
		if (err)
			goto cleanup;
	}
	out->gos = v->gos;
	out->ngos = v->ngos;
	free(wanted);
	return 0;
cleanup:
	free(wanted);
	bw_capture_free(out);
	memset(out, 0, sizeof(*out));
	return err;
}
