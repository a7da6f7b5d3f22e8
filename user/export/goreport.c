// SPDX-License-Identifier: GPL-2.0
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/hash.h"
#include "core/escape.h"
#include "export/goreport.h"
#include "go/gowait.h"
#include "core/parse.h"

#define TEXT_STACK_FRAMES 8

static void count_go(const struct bw_capture_go *r, size_t out[BW_VERDICT_COUNT])
{
	size_t i;

	for (i = 0; i < r->nrecs; i++)
		out[r->recs[i].verdict]++;
}

void bw_goreport_count(const struct bw_capture *c, size_t out[BW_VERDICT_COUNT])
{
	size_t i;

	memset(out, 0, BW_VERDICT_COUNT * sizeof(out[0]));
	for (i = 0; i < c->ngos; i++)
		count_go(&c->gos[i], out);
}

static void json_func(FILE *f, const struct bw_gofunc *fn)
{
	fputs("{\"func\":", f);
	bw_json_str(f, fn->name);
	fputs(",\"file\":", f);
	bw_json_str(f, fn->file);
	fprintf(f, ",\"line\":%d}", fn->line);
}

static const char *status_name(__u32 status)
{
	switch (status) {
	case BW_GSTATUS_WAITING:
		return "waiting";
	case BW_GSTATUS_SYSCALL:
		return "syscall";
	case BW_GSTATUS_LEAKED:
		return "leaked";
	default:
		return "other";
	}
}

/*
 * Goroutines parked alike print the same site, creator and stack: each
 * distinct one is formatted once (the same bytes as formatting it each time)
 * and copied after. A million records print in seconds, not tens of them.
 */
#define MEMO_SLOTS 256

struct memo {
	const void *key[8];
	char *text;
	size_t len;
};

static size_t memo_slot(const void *const *key, size_t n)
{
	__u64 h = BW_FNV_OFFSET;
	size_t i;

	for (i = 0; i < n; i++)
		h = bw_fnv1a_u64(h, (__u64)(uintptr_t)key[i]);
	return (h ^ (h >> 32)) % MEMO_SLOTS;
}

static void memo_free(struct memo *m)
{
	size_t i;

	for (i = 0; i < MEMO_SLOTS; i++)
		free(m[i].text);
}

/* The escaped wait reason, as ,"wait_reason":"...". */
static const struct memo *reason_text(struct memo *m, const char *reason)
{
	const void *key[8] = { reason };
	struct memo *e = m ? &m[memo_slot(key, 1)] : NULL;
	FILE *f;

	if (!e)
		return NULL;
	if (e->text && e->key[0] == reason)
		return e;
	free(e->text);
	memset(e, 0, sizeof(*e));
	f = open_memstream(&e->text, &e->len);
	if (!f)
		return NULL;
	fputs(",\"wait_reason\":", f);
	bw_json_str(f, reason);
	if (fclose(f)) {
		free(e->text);
		e->text = NULL;
		return NULL;
	}
	e->key[0] = reason;
	return e;
}

static void json_tail(FILE *f, const struct bw_capture_go *r, const struct bw_gorec *g)
{
	int j;

	fputs(",\"blocked_at\":", f);
	json_func(f, &g->blocked_at);
	fputs(",\"created_by\":", f);
	json_func(f, &g->created_by);
	fputs(",\"stack\":[", f);
	for (j = 0; j < g->nstack; j++) {
		if (j)
			fputc(',', f);
		json_func(f, &g->stack[j]);
	}
	fprintf(f, "],\"group\":\"%016llx\"}\n", (unsigned long long)r->groups[g->group].key);
}

/* Everything from ,"blocked_at" to the end of the line. */
static const struct memo *tail_text(struct memo *m, const struct bw_capture_go *r,
				    const struct bw_gorec *g)
{
	const void *key[8] = { g->blocked_at.name,
			       g->blocked_at.file,
			       (const void *)(long)g->blocked_at.line,
			       g->created_by.name,
			       g->created_by.file,
			       (const void *)(long)g->created_by.line,
			       g->nstack > 0 ? g->stack : NULL,
			       (const void *)(unsigned long)(g->group * 64 + g->nstack) };
	struct memo *e = m ? &m[memo_slot(key, 8)] : NULL;
	FILE *f;

	if (!e)
		return NULL;
	if (e->text && !memcmp(e->key, key, sizeof(key)))
		return e;
	free(e->text);
	memset(e, 0, sizeof(*e));
	f = open_memstream(&e->text, &e->len);
	if (!f)
		return NULL;
	json_tail(f, r, g);
	if (fclose(f)) {
		free(e->text);
		e->text = NULL;
		return NULL;
	}
	memcpy(e->key, key, sizeof(key));
	return e;
}

static void json_goroutine(FILE *f, const struct bw_capture_go *r, const struct bw_gorec *g,
			   struct memo *reasons, struct memo *tails)
{
	const struct memo *wr = reason_text(reasons, g->g.wait_reason);
	const struct memo *tail = tail_text(tails, r, g);
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "{\"type\":\"goroutine\",\"pid\":%u,\"goid\":%llu,\"status\":\"%s\"", r->pid,
		     (unsigned long long)g->g.goid, status_name(g->g.status));
	fwrite(buf, 1, n, f);
	if (wr) {
		fwrite(wr->text, 1, wr->len, f);
	} else {
		fputs(",\"wait_reason\":", f);
		bw_json_str(f, g->g.wait_reason);
	}
	n = snprintf(buf, sizeof(buf), ",\"blocked_s\":%.3f,\"age_from\":\"%s\",\"verdict\":\"%s\"",
		     g->blocked_ns / 1e9, bw_age_source_name(g->age_source),
		     bw_verdict_name(g->verdict));
	if (g->g.parent_goid)
		n += snprintf(buf + n, sizeof(buf) - n, ",\"parent_goid\":%llu",
			      (unsigned long long)g->g.parent_goid);
	if (g->g.tid)
		n += snprintf(buf + n, sizeof(buf) - n, ",\"tid\":%u", g->g.tid);
	if (g->g.chan)
		n += snprintf(buf + n, sizeof(buf) - n, ",\"chan\":\"0x%llx\"",
			      (unsigned long long)g->g.chan);
	fwrite(buf, 1, n, f);
	if (g->g.why && g->verdict >= BW_VERDICT_LEAK) {
		bw_gowhy_text(&g->g, buf, sizeof(buf));
		fputs(",\"why\":", f);
		bw_json_str(f, buf);
	}
	if (tail)
		fwrite(tail->text, 1, tail->len, f);
	else
		json_tail(f, r, g);
}

static void json_go(FILE *f, const struct bw_capture_go *r)
{
	struct memo *reasons = calloc(2 * MEMO_SLOTS, sizeof(*reasons));
	struct memo *tails = reasons ? reasons + MEMO_SLOTS : NULL;
	size_t i;

	if (r->scan_stacks && r->scan_heap && r->scan_globals) {
		fprintf(f, "{\"type\":\"go_process\",\"pid\":%u,\"version\":", r->pid);
		bw_json_str(f, r->go_version ? r->go_version : "");
		fputs(",\"scan\":{\"stacks\":", f);
		bw_json_str(f, r->scan_stacks);
		fputs(",\"heap\":", f);
		bw_json_str(f, r->scan_heap);
		fputs(",\"globals\":", f);
		bw_json_str(f, r->scan_globals);
		fputs("}}\n", f);
	}
	for (i = 0; i < r->nrecs; i++) {
		const struct bw_gorec *g = &r->recs[i];

		if (g->verdict == BW_VERDICT_NONE)
			continue;
		json_goroutine(f, r, g, reasons, tails);
	}
	if (reasons) {
		memo_free(reasons);
		memo_free(tails);
		free(reasons);
	}
	for (i = 0; i < r->ngroups; i++) {
		const struct bw_gogroup *gr = &r->groups[i];

		if (!gr->reported)
			continue;
		fprintf(f,
			"{\"type\":\"goroutine_group\",\"pid\":%u,\"group\":\"%016llx\","
			"\"verdict\":\"%s\",\"count\":%zu,\"reported\":%zu,\"wait_reason\":",
			r->pid, (unsigned long long)gr->key, bw_verdict_name(gr->verdict),
			gr->count, gr->reported);
		bw_json_str(f, gr->wait_reason);
		fprintf(f, ",\"oldest_s\":%.3f,\"growth_per_min\":%.1f,\"blocked_at\":",
			gr->oldest_ns / 1e9, gr->growth_per_min);
		json_func(f, &gr->blocked_at);
		fputs(",\"created_by\":", f);
		json_func(f, &gr->created_by);
		fputs("}\n", f);
	}
}

static void text_func(FILE *f, const struct bw_gofunc *fn)
{
	const char *base = strrchr(fn->file, '/');

	bw_text_str(f, fn->name[0] ? fn->name : "?", 120);
	if (fn->file[0]) {
		fputs(" (", f);
		bw_text_str(f, base ? base + 1 : fn->file, 80);
		fprintf(f, ":%d)", fn->line);
	}
}

/* The evidence of a leak or deadlock group: its first member's, and goroutine ids. */
static void text_why(FILE *f, const struct bw_capture_go *r, const struct bw_gogroup *gr)
{
	size_t gi = gr - r->groups, i, shown = 0;
	char buf[256];

	if (gr->verdict < BW_VERDICT_LEAK)
		return;
	for (i = 0; i < r->nrecs; i++) {
		const struct bw_gorec *g = &r->recs[i];

		if (g->group != gi || g->verdict < BW_VERDICT_LEAK)
			continue;
		if (!shown) {
			bw_gowhy_text(&g->g, buf, sizeof(buf));
			if (buf[0]) {
				fputs("         why         ", f);
				bw_text_str(f, buf, 200);
				fputc('\n', f);
			}
			fputs("         goroutines ", f);
		}
		if (shown < 8)
			fprintf(f, " %llu", (unsigned long long)g->g.goid);
		shown++;
	}
	if (shown > 8)
		fprintf(f, " (+%zu more)", shown - 8);
	if (shown)
		fputc('\n', f);
}

static int group_cmp(const void *a, const void *b)
{
	const struct bw_gogroup *x = *(const struct bw_gogroup *const *)a;
	const struct bw_gogroup *y = *(const struct bw_gogroup *const *)b;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	if (x->reported != y->reported)
		return x->reported > y->reported ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static void text_go(FILE *f, const struct bw_capture_go *r, __u64 threshold_ns)
{
	const struct bw_gogroup **list = calloc(r->ngroups ? r->ngroups : 1, sizeof(*list));
	size_t i, m = 0, v[BW_VERDICT_COUNT], parked = 0;
	char dur[32], thr[32];

	if (!list)
		return;
	memset(v, 0, sizeof(v));
	count_go(r, v);
	for (i = 0; i < r->ngroups; i++) {
		parked += r->groups[i].count;
		if (r->groups[i].reported)
			list[m++] = &r->groups[i];
	}
	bw_format_duration(threshold_ns, thr, sizeof(thr));
	fprintf(f, "\ngoroutines of pid %u (", r->pid);
	bw_text_str(f, r->go_version && *r->go_version ? r->go_version : "go", 32);
	fprintf(f,
		"): %zu parked, %zu for %s or more: %zu leaked, %zu stuck, %zu blocked, %zu idle\n",
		parked, r->nrecs - v[BW_VERDICT_NONE], thr,
		v[BW_VERDICT_LEAK] + v[BW_VERDICT_DEADLOCK], v[BW_VERDICT_STUCK],
		v[BW_VERDICT_BLOCKED], v[BW_VERDICT_IDLE]);
	qsort(list, m, sizeof(*list), group_cmp);
	for (i = 0; i < m; i++) {
		const struct bw_gogroup *gr = list[i];

		bw_format_duration(gr->oldest_ns, dur, sizeof(dur));
		/* Normal long waits get one line: the point is what is stuck. */
		if (gr->verdict == BW_VERDICT_IDLE) {
			const bool runtime = !strncmp(gr->blocked_at.name, "runtime.", 8) ||
					     !gr->blocked_at.name[0];

			fprintf(f, "%s%-8s %zu goroutine%s  ",
				!i || list[i - 1]->verdict != BW_VERDICT_IDLE ? "\n" : "", "idle",
				gr->reported, gr->reported == 1 ? "" : "s");
			bw_text_str(f, gr->wait_reason, 40);
			fputs(runtime ? "  created by " : "  at ", f);
			text_func(f, runtime ? &gr->created_by : &gr->blocked_at);
			fputc('\n', f);
			continue;
		}
		fprintf(f, "\n%-8s %zu goroutine%s  ", bw_verdict_name(gr->verdict), gr->reported,
			gr->reported == 1 ? "" : "s");
		bw_text_str(f, gr->wait_reason, 40);
		fprintf(f, "  oldest %s", dur);
		if (gr->growth_per_min >= 0.5)
			fprintf(f, "  growing %+.0f/min", gr->growth_per_min);
		fputs("\n         blocked at  ", f);
		text_func(f, &gr->blocked_at);
		fputs("\n         created by  ", f);
		text_func(f, &gr->created_by);
		fputc('\n', f);
		text_why(f, r, gr);
	}
	free(list);
}

void bw_goreport_json(FILE *f, const struct bw_capture *c)
{
	size_t i;

	for (i = 0; i < c->ngos; i++)
		json_go(f, &c->gos[i]);
}

void bw_goreport_text(FILE *f, const struct bw_capture *c)
{
	size_t i;

	for (i = 0; i < c->ngos; i++)
		text_go(f, &c->gos[i], c->threshold_ns);
}
