// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "export/diff.h"
#include "core/escape.h"
#include "core/hash.h"
#include "core/hashmap.h"
#include "core/parse.h"
#include "export/report.h"

/* Goroutines of a site (by its key) in a capture, over all processes. */
static size_t site_count(const struct bw_capture *c, __u64 key, size_t *reported)
{
	size_t i, j, n = 0;

	*reported = 0;
	for (i = 0; i < c->ngos; i++)
		for (j = 0; j < c->gos[i].ngroups; j++)
			if (c->gos[i].groups[j].key == key) {
				n += c->gos[i].groups[j].count;
				*reported += c->gos[i].groups[j].reported;
			}
	return n;
}

static bool site_seen_before(const struct bw_capture *c, size_t gi, size_t gj)
{
	size_t i, j;

	for (i = 0; i <= gi; i++)
		/* cppcheck-suppress arrayIndexThenCheck ; i < gi is no bound, i <= gi is */
		for (j = 0; j < c->gos[i].ngroups && (i < gi || j < gj); j++)
			if (c->gos[i].groups[j].key == c->gos[gi].groups[gj].key)
				return true;
	return false;
}

static const struct bw_thread *thread_in(const struct bw_capture *c, const struct bw_thread *t)
{
	size_t i;

	for (i = 0; i < c->nthreads; i++)
		if (c->threads[i].tid == t->tid && c->threads[i].pid == t->pid)
			return &c->threads[i];
	return NULL;
}

static bool stuck(const struct bw_thread *t)
{
	return t && t->verdict >= BW_VERDICT_BLOCKED;
}

/* Where a site's goroutines wait: "REASON  BLOCKED_AT <- CREATED_BY". */
static void text_site_where(FILE *f, const struct bw_gogroup *g)
{
	bw_text_str(f, g->wait_reason, 40);
	fputs("  ", f);
	bw_text_str(f, g->blocked_at.name, 100);
	fputs(" <- ", f);
	bw_text_str(f, g->created_by.name, 100);
}

/* The same as JSON members: "wait_reason":...,"blocked_at":...,"created_by":... */
static void json_site_where(FILE *f, const struct bw_gogroup *g)
{
	fputs("\"wait_reason\":", f);
	bw_json_str(f, g->wait_reason);
	fputs(",\"blocked_at\":", f);
	bw_json_str(f, g->blocked_at.name);
	fputs(",\"created_by\":", f);
	bw_json_str(f, g->created_by.name);
}

static void text_site(FILE *f, const struct bw_gogroup *g, enum bw_verdict v, size_t before,
		      size_t now)
{
	fprintf(f, "  %+lld goroutines  %-8s ", (long long)now - (long long)before,
		bw_verdict_name(v));
	text_site_where(f, g);
	fprintf(f, "  (%zu -> %zu)\n", before, now);
}

static void json_site(FILE *f, const struct bw_gogroup *g, size_t before, size_t now)
{
	fprintf(f, "{\"type\":\"diff_site\",\"site\":\"%016llx\",\"before\":%zu,\"now\":%zu,",
		(unsigned long long)g->key, before, now);
	fprintf(f, "\"verdict\":\"%s\",", bw_verdict_name(g->verdict));
	json_site_where(f, g);
	fputs("}\n", f);
}

static void thread_line(FILE *f, const struct bw_thread *t, const char *what, bool json)
{
	char dur[32];

	if (json) {
		fprintf(f,
			"{\"type\":\"diff_thread\",\"change\":\"%s\",\"pid\":%u,\"tid\":%u,"
			"\"comm\":",
			what, t->pid, t->tid);
		bw_json_str(f, t->comm);
		fprintf(f, ",\"wait\":\"%s\",\"verdict\":\"%s\",\"blocked_s\":%.3f}\n",
			bw_wait_name(t->wait), bw_verdict_name(t->verdict), t->blocked_ns / 1e9);
		return;
	}
	bw_format_duration(t->blocked_ns, dur, sizeof(dur));
	fprintf(f, "  %-8s thread %u (", what, t->tid);
	bw_text_str(f, t->comm, 16);
	fprintf(f, ") pid %u  %s on %s, blocked %s\n", t->pid, bw_verdict_name(t->verdict),
		bw_wait_name(t->wait), dur);
}

size_t bw_diff(FILE *f, const struct bw_capture *old, const struct bw_capture *new, bool json)
{
	size_t i, j, before, now, rep_before, rep_now, changes = 0, threads = 0, found_old,
						       found_new;

	if (!json)
		fputs("goroutine sites that grew:\n", f);
	for (i = 0; i < new->ngos; i++) {
		for (j = 0; j < new->gos[i].ngroups; j++) {
			const struct bw_gogroup *g = &new->gos[i].groups[j];

			if (site_seen_before(new, i, j))
				continue;
			before = site_count(old, g->key, &rep_before);
			now = site_count(new, g->key, &rep_now);
			if (now <= before || g->verdict == BW_VERDICT_NONE)
				continue;
			changes++;
			if (json)
				json_site(f, g, before, now);
			else
				text_site(f, g, g->verdict, before, now);
		}
	}
	if (!json && !changes)
		fputs("  none\n", f);
	if (!json)
		fputs("stuck threads:\n", f);
	for (i = 0; i < new->nthreads; i++) {
		const struct bw_thread *t = &new->threads[i];

		if (stuck(t) && !stuck(thread_in(old, t))) {
			thread_line(f, t, "new", json);
			threads++;
		}
	}
	for (i = 0; i < old->nthreads; i++) {
		const struct bw_thread *t = &old->threads[i];

		if (stuck(t) && !stuck(thread_in(new, t))) {
			thread_line(f, t, "resolved", json);
			threads++;
		}
	}
	if (!json && !threads)
		fputs("  none\n", f);
	found_old = bw_report_found(old);
	found_new = bw_report_found(new);
	return found_new > found_old ? found_new - found_old : 0;
}

/* ---- a series of three or more ------------------------------------------------ */

#define SERIES_TOP_FRAMES 3

/* The place a thread waits: its wait and top frames (user frames, else kernel ones). */
static __u64 place_of(const struct bw_thread *t)
{
	__u64 h = bw_fnv1a(BW_FNV_OFFSET, &t->wait, sizeof(t->wait));
	int i;

	for (i = 0; i < t->ustack_entries && i < SERIES_TOP_FRAMES; i++)
		h = bw_fnv1a(h, t->ustack[i].func, strlen(t->ustack[i].func) + 1);
	for (i = 0; !t->ustack_entries && i < t->kstack_entries && i < SERIES_TOP_FRAMES; i++)
		h = bw_fnv1a(h, &t->kstack[i], sizeof(t->kstack[i]));
	return h;
}

/* Its top frames, innermost first, as "a <- b <- c" (text) or ["a","b","c"] (JSON). */
static void top_frames(FILE *f, const struct bw_thread *t, bool json)
{
	int i, n = t->ustack_entries < SERIES_TOP_FRAMES ? t->ustack_entries : SERIES_TOP_FRAMES;

	fputs(json ? "[" : "", f);
	for (i = 0; i < n; i++) {
		const char *name = t->ustack[i].func[0] ? t->ustack[i].func : "?";

		fputs(!i ? "" : json ? "," : " <- ", f);
		if (json)
			bw_json_str(f, name);
		else
			bw_text_str(f, name, 60);
	}
	fputs(json ? "]" : !n ? "?" : "", f);
}

/* The same thread stuck at the same place in c: same tid, else same pid and place. */
static const struct bw_thread *same_stuck(const struct bw_capture *c, const struct bw_thread *t,
					  __u64 place)
{
	const struct bw_thread *x = thread_in(c, t);
	size_t i;

	if (stuck(x) && place_of(x) == place)
		return x;
	for (i = 0; i < c->nthreads; i++) {
		x = &c->threads[i];
		if (x->pid == t->pid && stuck(x) && place_of(x) == place)
			return x;
	}
	return NULL;
}

struct site_stat {
	size_t count, stuck;
	__u64 oldest_ns;
	enum bw_verdict verdict;
};

static void site_stat(const struct bw_capture *c, __u64 key, struct site_stat *s)
{
	size_t i, j;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < c->ngos; i++)
		for (j = 0; j < c->gos[i].ngroups; j++) {
			const struct bw_gogroup *g = &c->gos[i].groups[j];

			if (g->key != key)
				continue;
			s->count += g->count;
			if (g->verdict > s->verdict)
				s->verdict = g->verdict;
			if (g->verdict < BW_VERDICT_BLOCKED)
				continue;
			s->stuck += g->reported;
			if (g->oldest_ns > s->oldest_ns)
				s->oldest_ns = g->oldest_ns;
		}
}

static const struct bw_gorec *goroutine_in(const struct bw_capture_go *g, __u64 goid)
{
	size_t lo = 0, hi = g->nrecs, i;

	while (lo < hi) { /* recs are sorted by goid */
		size_t mid = lo + (hi - lo) / 2;

		if (g->recs[mid].g.goid == goid)
			return &g->recs[mid];
		if (g->recs[mid].g.goid < goid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = 0; i < g->nrecs; i++) /* a capture not sorted after all */
		if (g->recs[i].g.goid == goid)
			return &g->recs[i];
	return NULL;
}

/* Goroutines of site key stuck in the first capture that stay stuck there in all. */
static size_t same_goroutines(const struct bw_capture *const *caps, size_t n, __u64 key)
{
	const struct bw_capture *first = caps[0];
	size_t i, j, k, same = 0;

	for (i = 0; i < first->ngos; i++) {
		const struct bw_capture_go *g = &first->gos[i];

		for (j = 0; j < g->nrecs; j++) {
			const struct bw_gorec *r = &g->recs[j];

			if (r->verdict < BW_VERDICT_BLOCKED || g->groups[r->group].key != key)
				continue;
			for (k = 1; k < n; k++) {
				const struct bw_capture_go *h = bw_capture_go_of(caps[k], g->pid);
				const struct bw_gorec *x = h ? goroutine_in(h, r->g.goid) : NULL;

				if (!x || x->verdict < BW_VERDICT_BLOCKED ||
				    x->group >= h->ngroups || h->groups[x->group].key != key)
					break;
			}
			same += k == n;
		}
	}
	return same;
}

static void json_series(FILE *f, const char *key, const __u64 *v, size_t n, bool secs)
{
	size_t k;

	fprintf(f, ",\"%s\":[", key);
	for (k = 0; k < n; k++)
		if (secs)
			fprintf(f, "%s%.3f", k ? "," : "", v[k] / 1e9);
		else
			fprintf(f, "%s%llu", k ? "," : "", (unsigned long long)v[k]);
	fputc(']', f);
}

static void text_durations(FILE *f, const __u64 *v, size_t n)
{
	char dur[32];
	size_t k;

	for (k = 0; k < n; k++) {
		bw_format_duration(v[k], dur, sizeof(dur));
		fprintf(f, "%s%s", k ? ", " : "", dur);
	}
}

static size_t series_threads(FILE *f, const struct bw_capture *const *caps, size_t n, bool json,
			     __u64 *blocked)
{
	const struct bw_capture *first = caps[0];
	size_t i, k, found = 0;

	for (i = 0; i < first->nthreads; i++) {
		const struct bw_thread *t = &first->threads[i], *last = t;
		__u64 place = place_of(t);

		if (!stuck(t))
			continue;
		blocked[0] = t->blocked_ns;
		for (k = 1; k < n; k++) {
			last = same_stuck(caps[k], t, place);
			if (!last)
				break;
			blocked[k] = last->blocked_ns;
		}
		if (k < n)
			continue;
		found++;
		if (json) {
			fprintf(f, "{\"type\":\"series_thread\",\"pid\":%u,\"tid\":%u,\"comm\":",
				t->pid, t->tid);
			bw_json_str(f, t->comm);
			fprintf(f, ",\"wait\":\"%s\",\"verdict\":\"%s\",\"at\":",
				bw_wait_name(t->wait), bw_verdict_name(last->verdict));
			top_frames(f, t, true);
			json_series(f, "blocked_s", blocked, n, true);
			fputs("}\n", f);
			continue;
		}
		fprintf(f, "  thread %u (", t->tid);
		bw_text_str(f, t->comm, 16);
		fprintf(f, ") pid %u  %s on %s at ", t->pid, bw_verdict_name(last->verdict),
			bw_wait_name(t->wait));
		top_frames(f, t, false);
		fputs("\n              blocked ", f);
		text_durations(f, blocked, n);
		fputc('\n', f);
	}
	return found;
}

/* Every site key of the captures, once, each with a group that names it. */
static size_t all_sites(const struct bw_capture *const *caps, size_t n,
			const struct bw_gogroup ***out)
{
	const struct bw_gogroup **list = NULL, **nl;
	size_t k, i, j, m = 0, cap = 0;
	struct bw_hashmap *seen;

	if (bw_hashmap__new(0, &seen))
		goto out;
	for (k = 0; k < n; k++)
		for (i = 0; i < caps[k]->ngos; i++)
			for (j = 0; j < caps[k]->gos[i].ngroups; j++) {
				const struct bw_gogroup *g = &caps[k]->gos[i].groups[j];
				int added = bw_hashmap__insert(seen, g->key, NULL);

				if (added < 0)
					goto out;
				if (!added)
					continue;
				if (m == cap) {
					cap = cap ? 2 * cap : 16;
					nl = realloc(list, cap * sizeof(*nl));
					if (!nl)
						goto out;
					list = nl;
				}
				list[m++] = g;
			}
out:
	bw_hashmap__free(seen);
	*out = list;
	return m;
}

static size_t series_sites(FILE *f, const struct bw_capture *const *caps, size_t n, bool json,
			   const struct bw_gogroup **sites, size_t nsites, __u64 *stuckv,
			   __u64 *oldest)
{
	size_t i, k, found = 0, same;
	struct site_stat s;
	enum bw_verdict v = BW_VERDICT_NONE;

	for (i = 0; i < nsites; i++) {
		const struct bw_gogroup *g = sites[i];

		for (k = 0; k < n; k++) {
			site_stat(caps[k], g->key, &s);
			if (!s.stuck)
				break;
			stuckv[k] = s.stuck;
			oldest[k] = s.oldest_ns;
			v = s.verdict;
		}
		if (k < n)
			continue;
		found++;
		same = same_goroutines(caps, n, g->key);
		if (json) {
			fprintf(f,
				"{\"type\":\"series_site\",\"site\":\"%016llx\","
				"\"verdict\":\"%s\",",
				(unsigned long long)g->key, bw_verdict_name(v));
			json_site_where(f, g);
			json_series(f, "goroutines", stuckv, n, false);
			json_series(f, "oldest_s", oldest, n, true);
			fprintf(f, ",\"same_goroutines\":%zu}\n", same);
			continue;
		}
		fprintf(f, "  goroutines  %-8s ", bw_verdict_name(v));
		text_site_where(f, g);
		fputs("\n              ", f);
		for (k = 0; k < n; k++)
			fprintf(f, "%s%llu", k ? ", " : "", (unsigned long long)stuckv[k]);
		fputs(" goroutines, oldest ", f);
		text_durations(f, oldest, n);
		fprintf(f, "; %zu the same in every snapshot\n", same);
	}
	return found;
}

/* Stuck threads of a process at one place in c. */
static size_t pile_count(const struct bw_capture *c, __u32 pid, __u64 place)
{
	size_t i, n = 0;

	for (i = 0; i < c->nthreads; i++)
		n += c->threads[i].pid == pid && stuck(&c->threads[i]) &&
		     place_of(&c->threads[i]) == place;
	return n;
}

/* Did an earlier stuck thread of new (index < i) already stand for this pile? */
static bool pile_seen(const struct bw_capture *c, size_t i, __u64 place)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (c->threads[j].pid == c->threads[i].pid && stuck(&c->threads[j]) &&
		    place_of(&c->threads[j]) == place)
			return true;
	return false;
}

static size_t series_step(FILE *f, const struct bw_capture *old, const struct bw_capture *new,
			  size_t step, bool json, const struct bw_gogroup **sites, size_t nsites)
{
	size_t i, grew = 0, before, now, rep;
	struct site_stat s;

	for (i = 0; i < nsites; i++) {
		const struct bw_gogroup *g = sites[i];

		before = site_count(old, g->key, &rep);
		now = site_count(new, g->key, &rep);
		site_stat(new, g->key, &s);
		if (now <= before || !rep) /* as a diff of two: grown, and reported */
			continue;
		grew++;
		if (json) {
			fprintf(f,
				"{\"type\":\"series_grew\",\"step\":%zu,\"kind\":\"goroutines\","
				"\"site\":\"%016llx\",\"before\":%zu,\"now\":%zu,"
				"\"verdict\":\"%s\",",
				step, (unsigned long long)g->key, before, now,
				bw_verdict_name(s.verdict));
			json_site_where(f, g);
			fputs("}\n", f);
			continue;
		}
		text_site(f, g, s.verdict, before, now);
	}
	for (i = 0; i < new->nthreads; i++) {
		const struct bw_thread *t = &new->threads[i];
		__u64 place;

		if (!stuck(t))
			continue;
		place = place_of(t);
		if (pile_seen(new, i, place))
			continue;
		before = pile_count(old, t->pid, place);
		now = pile_count(new, t->pid, place);
		if (now <= before || now < 2)
			continue;
		grew++;
		if (json) {
			fprintf(f,
				"{\"type\":\"series_grew\",\"step\":%zu,\"kind\":\"threads\","
				"\"pid\":%u,\"wait\":\"%s\",\"verdict\":\"%s\",\"at\":",
				step, t->pid, bw_wait_name(t->wait), bw_verdict_name(t->verdict));
			top_frames(f, t, true);
			fprintf(f, ",\"before\":%zu,\"now\":%zu}\n", before, now);
			continue;
		}
		fprintf(f, "  %+lld threads     pid %u %s on %s at ",
			(long long)now - (long long)before, t->pid, bw_verdict_name(t->verdict),
			bw_wait_name(t->wait));
		top_frames(f, t, false);
		fprintf(f, "  (%zu -> %zu)\n", before, now);
	}
	return grew;
}

size_t bw_diff_series(FILE *f, const struct bw_capture *const *caps, size_t n, bool json)
{
	const struct bw_gogroup **sites = NULL;
	__u64 *a = calloc(n ? n : 1, sizeof(*a)), *b = calloc(n ? n : 1, sizeof(*b));
	size_t nsites, threads = 0, stuck_sites = 0, k, found_first, found_last;

	if (!a || !b || n < 2)
		goto out;
	nsites = all_sites(caps, n, &sites);
	if (!json)
		fprintf(f, "stuck at the same place in all %zu snapshots:\n", n);
	threads = series_threads(f, caps, n, json, a);
	stuck_sites = series_sites(f, caps, n, json, sites, nsites, a, b);
	if (!json && !threads && !stuck_sites)
		fputs("  none\n", f);
	for (k = 1; k < n; k++) {
		if (!json)
			fprintf(f, "grew from snapshot %zu to %zu:\n", k, k + 1);
		if (!series_step(f, caps[k - 1], caps[k], k, json, sites, nsites) && !json)
			fputs("  none\n", f);
	}
out:
	free(sites);
	free(a);
	free(b);
	found_first = n ? bw_report_found(caps[0]) : 0;
	found_last = n ? bw_report_found(caps[n - 1]) : 0;
	if (json)
		fprintf(f,
			"{\"type\":\"series_summary\",\"snapshots\":%zu,\"stuck_threads\":%zu,"
			"\"stuck_sites\":%zu,\"leaks_first\":%zu,\"leaks_last\":%zu}\n",
			n, threads, stuck_sites, found_first, found_last);
	return found_last > found_first ? found_last - found_first : 0;
}
