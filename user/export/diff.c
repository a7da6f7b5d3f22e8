// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "export/diff.h"
#include "core/escape.h"
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

static void text_site(FILE *f, const struct bw_gogroup *g, size_t before, size_t now)
{
	fprintf(f, "  %+lld goroutines  %-8s ", (long long)now - (long long)before,
		bw_verdict_name(g->verdict));
	bw_text_str(f, g->wait_reason, 40);
	fputs("  ", f);
	bw_text_str(f, g->blocked_at.name, 100);
	fputs(" <- ", f);
	bw_text_str(f, g->created_by.name, 100);
	fprintf(f, "  (%zu -> %zu)\n", before, now);
}

static void json_site(FILE *f, const struct bw_gogroup *g, size_t before, size_t now)
{
	fprintf(f, "{\"type\":\"diff_site\",\"site\":\"%016llx\",\"before\":%zu,\"now\":%zu,",
		(unsigned long long)g->key, before, now);
	fprintf(f, "\"verdict\":\"%s\",\"wait_reason\":", bw_verdict_name(g->verdict));
	bw_json_str(f, g->wait_reason);
	fputs(",\"blocked_at\":", f);
	bw_json_str(f, g->blocked_at.name);
	fputs(",\"created_by\":", f);
	bw_json_str(f, g->created_by.name);
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
				text_site(f, g, before, now);
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
