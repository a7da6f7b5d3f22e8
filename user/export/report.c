// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "core/escape.h"
#include "platform/ksyms.h"
#include "core/parse.h"
#include "platform/kfeatures.h"
#include "export/goreport.h"
#include "export/report.h"

#define KSTACK_TEXT_FRAMES 8
#define USTACK_TEXT_FRAMES 12

void bw_report_count(const struct bw_capture *c, size_t out[BW_VERDICT_COUNT])
{
	size_t i;

	memset(out, 0, BW_VERDICT_COUNT * sizeof(out[0]));
	for (i = 0; i < c->nthreads; i++)
		if (c->threads[i].verdict <= BW_VERDICT_DEADLOCK)
			out[c->threads[i].verdict]++;
}

size_t bw_report_found(const struct bw_capture *c)
{
	size_t v[BW_VERDICT_COUNT], found;

	bw_report_count(c, v);
	found = v[BW_VERDICT_LEAK] + v[BW_VERDICT_DEADLOCK];
	bw_goreport_count(c, v);
	return found + v[BW_VERDICT_LEAK] + v[BW_VERDICT_DEADLOCK];
}

size_t bw_report_stuck(const struct bw_capture *c)
{
	size_t v[BW_VERDICT_COUNT], stuck;

	bw_report_count(c, v);
	stuck = v[BW_VERDICT_STUCK];
	bw_goreport_count(c, v);
	return stuck + v[BW_VERDICT_STUCK];
}

static double secs(__u64 ns)
{
	return ns / 1e9;
}

static const char *state_str(char state)
{
	static const char *const names[] = { "R", "S", "D", "T", "Z", "?" };
	const char *p = strchr("RSDTZ", state);

	return state && p ? names[p - "RSDTZ"] : names[5];
}

static void kframe(FILE *f, const struct bw_capture *c, __u64 addr, bool json)
{
	__u64 off = 0;
	const char *name = c->ksyms ? bw_ksyms__find(c->ksyms, addr, &off) : NULL;
	char buf[256];

	if (name) {
		snprintf(buf, sizeof(buf), "%s+0x%llx", name, (unsigned long long)off);
	} else {
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)addr);
	}
	if (json)
		bw_json_str(f, buf);
	else
		bw_text_str(f, buf, 0);
}

/* Where a frame's name came from, as --json says it (enum bw_sym_source). */
static const char *sym_source_name(int source)
{
	switch (source) {
	case BW_SYM_ELF:
		return "elf";
	case BW_SYM_DEBUGFILE:
		return "debugfile";
	case BW_SYM_MINIDEBUG:
		return "minidebuginfo";
	case BW_SYM_GOPCLNTAB:
		return "gopclntab";
	case BW_SYM_PYTHON:
		return "python";
	default:
		return NULL;
	}
}

static void json_frame(FILE *f, const struct bw_frame *fr)
{
	const char *source = sym_source_name(fr->source);

	fprintf(f, "{\"pc\":\"0x%llx\",\"func\":", (unsigned long long)fr->pc);
	bw_json_str(f, fr->func);
	if (fr->func[0] && fr->source != BW_SYM_PYTHON)
		fprintf(f, ",\"offset\":%llu", (unsigned long long)fr->offset);
	if (fr->func[0] && source)
		fprintf(f, ",\"sym_source\":\"%s\"", source);
	if (fr->source == BW_SYM_PYTHON)
		fputs(",\"lang\":\"python\"", f);
	if (fr->module[0]) {
		fputs(",\"module\":", f);
		bw_json_str(f, fr->module);
	}
	if (fr->file[0]) {
		fputs(",\"file\":", f);
		bw_json_str(f, fr->file);
		fprintf(f, ",\"line\":%d", fr->line);
	}
	fputc('}', f);
}

static void json_thread(FILE *f, const struct bw_thread *t, const struct bw_capture *c)
{
	int i;

	fprintf(f, "{\"type\":\"thread\",\"pid\":%u,\"tid\":%u,\"comm\":", t->pid, t->tid);
	bw_json_str(f, t->comm);
	fprintf(f, ",\"state\":\"%s\",\"blocked_s\":%.3f,\"wait\":\"%s\",\"verdict\":\"%s\"",
		state_str(t->state), secs(t->blocked_ns), bw_wait_name(t->wait),
		bw_verdict_name(t->verdict));
	fprintf(f, ",\"timed\":%s,\"syscall\":%lld", t->timed ? "true" : "false",
		(long long)t->syscall_nr);
	if (t->wait_addr)
		fprintf(f, ",\"futex\":\"0x%llx\"", (unsigned long long)t->wait_addr);
	if (t->wait_fd >= 0)
		fprintf(f, ",\"fd\":%d", t->wait_fd);
	if (t->owner_tid)
		fprintf(f, ",\"owner_tid\":%u", t->owner_tid);
	if (t->goid)
		fprintf(f, ",\"goid\":%llu", (unsigned long long)t->goid);
	if (t->gone_owner_tid)
		fprintf(f, ",\"gone_owner_tid\":%u", t->gone_owner_tid);
	if (t->reason != BW_REASON_NONE)
		fprintf(f, ",\"reason\":\"%s\"", bw_reason_name(t->reason));
	if (t->why[0]) {
		fputs(",\"why\":", f);
		bw_json_str(f, t->why);
	}
	if (t->reason == BW_REASON_PILE)
		fprintf(f, ",\"pile_threads\":%u,\"pile_growth_per_min\":%.1f", t->pile_threads,
			t->pile_growth_per_min);
	if (t->chain_entries) {
		fputs(",\"waits_for\":[", f);
		for (i = 0; i < t->chain_entries; i++)
			fprintf(f, "%s%u", i ? "," : "", t->chain[i]);
		fputc(']', f);
	}
	fputs(",\"kernel_stack\":[", f);
	for (i = 0; i < t->kstack_entries; i++) {
		if (i)
			fputc(',', f);
		kframe(f, c, t->kstack[i], true);
	}
	fputs("],\"user_stack\":[", f);
	for (i = 0; i < t->ustack_entries; i++) {
		if (i)
			fputc(',', f);
		json_frame(f, &t->ustack[i]);
	}
	fputc(']', f);
	if (t->has_history) {
		const struct bw_history *h = &t->history;
		int last = BW_HIST_SLOTS - 1;

		while (last > 0 && !h->slots[last])
			last--;
		fprintf(f,
			",\"history\":{\"blocks\":%llu,\"futex_blocks\":%u,\"total_s\":%.3f,"
			"\"max_s\":%.3f",
			(unsigned long long)h->blocks, h->futex_blocks, secs(h->total_ns),
			secs(h->max_ns));
		fputs(",\"hist_log2_us\":[", f);
		for (i = 0; i <= last; i++)
			fprintf(f, "%s%u", i ? "," : "", h->slots[i]);
		fputs("]}", f);
	}
	if (t->has_futex)
		fprintf(f, ",\"futex_waits\":%llu", (unsigned long long)t->futex.waits);
	fputs("}\n", f);
}

struct proc_stat {
	__u32 pid;
	const char *comm;
	size_t threads;
	size_t verdicts[BW_VERDICT_COUNT];
};

/* Per-process counts, the processes in the order their first thread comes. */
static struct proc_stat *proc_stats(const struct bw_capture *c, size_t *nprocs)
{
	struct proc_stat *ps = calloc(c->nthreads ? c->nthreads : 1, sizeof(*ps));
	size_t i, j, np = 0;

	if (!ps)
		return NULL;
	for (i = 0; i < c->nthreads; i++) {
		const struct bw_thread *t = &c->threads[i];

		for (j = 0; j < np && ps[j].pid != t->pid; j++)
			;
		if (j == np)
			ps[np++].pid = t->pid;
		ps[j].threads++;
		ps[j].verdicts[t->verdict]++;
	}
	for (j = 0; j < np; j++)
		ps[j].comm = bw_capture_comm(c, ps[j].pid);
	*nprocs = np;
	return ps;
}

static void json_summary(FILE *f, const struct bw_capture *c)
{
	size_t parked, sum[BW_VERDICT_COUNT];

	fprintf(f,
		"{\"type\":\"summary\",\"processes\":%zu,\"threads\":%zu,\"threshold_s\":%.3f,"
		"\"watched_s\":%.3f,\"dropped\":%llu,\"features\":",
		(size_t)(c->all ? 0 : 1), c->nthreads, secs(c->threshold_ns), secs(c->watched_ns),
		(unsigned long long)c->dropped);
	bw_features_json(f, c->fallbacks);
	if (c->ngos) {
		parked = bw_goreport_count(c, sum);
		fprintf(f, ",\"go_processes\":%zu,", c->ngos);
		bw_goreport_json_counts(f, parked, sum);
	}
	fputs("}\n", f);
}

void bw_report_json(FILE *f, const struct bw_capture *c)
{
	struct proc_stat *ps;
	size_t i, np = 0;

	for (i = 0; i < c->nthreads; i++)
		if (c->threads[i].verdict != BW_VERDICT_NONE)
			json_thread(f, &c->threads[i], c);
	ps = proc_stats(c, &np);
	for (i = 0; ps && i < np; i++) {
		const struct bw_capture_go *go = bw_capture_go_of(c, ps[i].pid);
		size_t gv[BW_VERDICT_COUNT], parked;

		fprintf(f, "{\"type\":\"process\",\"pid\":%u,\"comm\":", ps[i].pid);
		bw_json_str(f, ps[i].comm);
		fprintf(f,
			",\"threads\":%zu,\"deadlock\":%zu,\"leak\":%zu,\"blocked\":%zu,"
			"\"idle\":%zu,\"stuck\":%zu",
			ps[i].threads, ps[i].verdicts[BW_VERDICT_DEADLOCK],
			ps[i].verdicts[BW_VERDICT_LEAK], ps[i].verdicts[BW_VERDICT_BLOCKED],
			ps[i].verdicts[BW_VERDICT_IDLE], ps[i].verdicts[BW_VERDICT_STUCK]);
		if (go) {
			parked = bw_goreport_proc_count(go, gv);
			fputc(',', f);
			bw_goreport_json_counts(f, parked, gv);
		}
		fputs("}\n", f);
	}
	free(ps);
	bw_goreport_json(f, c);
	json_summary(f, c);
}

static int severity_cmp(const void *a, const void *b)
{
	const struct bw_thread *x = *(const struct bw_thread *const *)a;
	const struct bw_thread *y = *(const struct bw_thread *const *)b;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->blocked_ns != y->blocked_ns)
		return x->blocked_ns > y->blocked_ns ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static void wait_target(FILE *f, const struct bw_thread *t)
{
	const char *sep = "";

	if (t->wait_addr) {
		fprintf(f, "0x%llx", (unsigned long long)t->wait_addr);
		sep = " ";
	} else if (t->wait_fd >= 0) {
		fprintf(f, "fd %d", t->wait_fd);
		sep = " ";
	}
	if (t->owner_tid) {
		fprintf(f, "%sheld by %u", sep, t->owner_tid);
		sep = " ";
	}
	if (t->timed)
		fprintf(f, "%s(timed)", sep);
}

static const struct bw_thread *by_tid(const struct bw_thread *threads, size_t n, __u32 tid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (threads[i].tid == tid)
			return &threads[i];
	return NULL;
}

/* A Python frame: no pc; its qualified name and where it runs, in full. */
static void text_pyframe(FILE *f, int i, const struct bw_frame *fr)
{
	fprintf(f, "      #%-2d [python]           ", i);
	bw_text_str(f, fr->func[0] ? fr->func : "?", 80);
	fputs(" (", f);
	bw_text_str(f, fr->file[0] ? fr->file : "?", 120);
	if (fr->line > 0)
		fprintf(f, ":%d", fr->line);
	fputs(")\n", f);
}

static void text_frame(FILE *f, int i, const struct bw_frame *fr)
{
	if (fr->source == BW_SYM_PYTHON) {
		text_pyframe(f, i, fr);
		return;
	}
	fprintf(f, "      #%-2d 0x%016llx ", i, (unsigned long long)fr->pc);
	if (fr->func[0]) {
		bw_text_str(f, fr->func, 80);
		if (fr->offset)
			fprintf(f, "+0x%llx", (unsigned long long)fr->offset);
	} else {
		fputs("?", f);
	}
	if (fr->file[0]) {
		const char *base = strrchr(fr->file, '/');

		fputs(" (", f);
		bw_text_str(f, base ? base + 1 : fr->file, 80);
		fprintf(f, ":%d)", fr->line);
	} else if (fr->module[0]) {
		fputs(" (", f);
		bw_text_str(f, fr->module, 80);
		fputc(')', f);
	}
	fputc('\n', f);
}

static void text_detail(FILE *f, const struct bw_capture *c, const struct bw_thread *t)
{
	char dur[32];
	int i;

	bw_format_duration(t->blocked_ns, dur, sizeof(dur));
	fprintf(f, "\n[%s] tid %u (", bw_verdict_name(t->verdict), t->tid);
	bw_text_str(f, t->comm, 0);
	fprintf(f, ") pid %u blocked %s on %s ", t->pid, dur, bw_wait_name(t->wait));
	wait_target(f, t);
	if (t->goid)
		fprintf(f, " running goroutine %llu", (unsigned long long)t->goid);
	fputc('\n', f);
	if (t->why[0]) {
		fputs("    why: ", f);
		bw_text_str(f, t->why, 0);
		fputc('\n', f);
	}
	if (t->chain_entries) {
		fprintf(f, "    waits for: %u", t->tid);
		for (i = 0; i < t->chain_entries; i++) {
			const struct bw_thread *w = by_tid(c->threads, c->nthreads, t->chain[i]);

			fprintf(f, " -> %u", t->chain[i]);
			if (w) {
				fputs(" (", f);
				bw_text_str(f, w->comm, 0);
				fprintf(f, ", %s)",
					w->state == 'R' ? "running" : bw_wait_name(w->wait));
			} else {
				fputs(" (gone)", f);
			}
		}
		if (t->in_cycle)
			fputs(" -> cycle", f);
		fputc('\n', f);
	}
	if (t->ustack_entries) {
		fputs("    user stack:\n", f);
		for (i = 0; i < t->ustack_entries && i < USTACK_TEXT_FRAMES; i++)
			text_frame(f, i, &t->ustack[i]);
		if (t->ustack_entries > USTACK_TEXT_FRAMES)
			fprintf(f, "      ... %d more\n", t->ustack_entries - USTACK_TEXT_FRAMES);
	}
	if (t->kstack_entries) {
		fputs("    kernel stack:\n", f);
		for (i = 0; i < t->kstack_entries && i < KSTACK_TEXT_FRAMES; i++) {
			fprintf(f, "      #%-2d ", i);
			kframe(f, c, t->kstack[i], false);
			fputc('\n', f);
		}
	}
	if (t->has_history && t->history.blocks) {
		bw_format_duration(t->history.max_ns, dur, sizeof(dur));
		fprintf(f, "    history while watched: %llu blocks (%u in futex waits",
			(unsigned long long)t->history.blocks, t->history.futex_blocks);
		if (t->has_futex)
			fprintf(f, ", of %llu futex wait calls",
				(unsigned long long)t->futex.waits);
		fprintf(f, "), longest %s\n", dur);
	}
}

/* Threads of one process waiting on the same futex word, listed once. */
static void text_groups(FILE *f, const struct bw_thread **list, size_t m)
{
	size_t i, j, waiters;
	bool first_group = true;

	for (i = 0; i < m; i++) {
		const struct bw_thread *t = list[i];

		if (!t->wait_addr)
			continue;
		for (j = 0; j < i; j++)
			if (list[j]->wait_addr == t->wait_addr && list[j]->pid == t->pid)
				break;
		if (j < i)
			continue;
		for (waiters = 0, j = i; j < m; j++)
			waiters += list[j]->wait_addr == t->wait_addr && list[j]->pid == t->pid;
		if (waiters < 2)
			continue;
		if (first_group)
			fputs("\nshared waits:\n", f);
		first_group = false;
		fprintf(f, "  pid %u %s 0x%llx: %zu threads [", t->pid, bw_wait_name(t->wait),
			(unsigned long long)t->wait_addr, waiters);
		for (j = i; j < m; j++)
			if (list[j]->wait_addr == t->wait_addr && list[j]->pid == t->pid)
				fprintf(f, "%s%u", j == i ? "" : " ", list[j]->tid);
		fputc(']', f);
		if (t->owner_tid)
			fprintf(f, " held by %u", t->owner_tid);
		fputc('\n', f);
	}
}

static bool same_site(const struct bw_thread *a, const struct bw_thread *b)
{
	int i;

	if (a->pid != b->pid || a->wait != b->wait || a->verdict != b->verdict ||
	    a->ustack_entries != b->ustack_entries || !a->ustack_entries)
		return false;
	for (i = 0; i < a->ustack_entries; i++)
		if (a->ustack[i].pc != b->ustack[i].pc || a->ustack[i].line != b->ustack[i].line ||
		    strcmp(a->ustack[i].func, b->ustack[i].func))
			return false;
	return true;
}

/* Stuck and leaked threads of one process at one site (wait kind and user stack). */
static void text_sites(FILE *f, const struct bw_thread **list, size_t m)
{
	size_t i, j, members;
	bool first = true;

	for (i = 0; i < m; i++) {
		const struct bw_thread *t = list[i];

		if (t->verdict != BW_VERDICT_STUCK && t->verdict != BW_VERDICT_LEAK)
			continue;
		for (j = 0; j < i && !same_site(list[j], t); j++)
			;
		if (j < i)
			continue;
		for (members = 0, j = i; j < m; j++)
			members += same_site(list[j], t);
		if (members < 2)
			continue;
		if (first)
			fputs("\nsites:\n", f);
		first = false;
		fprintf(f, "  pid %u %s %zu threads on %s at ", t->pid, bw_verdict_name(t->verdict),
			members, bw_wait_name(t->wait));
		for (j = 0; j < (size_t)t->ustack_entries && !t->ustack[j].func[0]; j++)
			;
		for (; j < (size_t)t->ustack_entries && j < 3; j++) {
			bw_text_str(f, t->ustack[j].func[0] ? t->ustack[j].func : "?", 60);
			fputs(j + 1 < (size_t)t->ustack_entries && j < 2 ? " <- " : "", f);
		}
		if (t->reason == BW_REASON_PILE)
			fprintf(f, " (pile, %.1f/min)", t->pile_growth_per_min);
		fputc('\n', f);
	}
}

static void text_proc_row(FILE *f, const char *first, const char *comm, size_t n,
			  const size_t v[BW_VERDICT_COUNT])
{
	int len = strlen(comm);

	fprintf(f, "%7s ", first);
	bw_text_str(f, comm, 16);
	fprintf(f, "%*s %7zu %8zu %6zu %6zu %7zu %6zu\n", len < 16 ? 16 - len : 0, "", n,
		v[BW_VERDICT_DEADLOCK], v[BW_VERDICT_LEAK], v[BW_VERDICT_STUCK],
		v[BW_VERDICT_BLOCKED], v[BW_VERDICT_IDLE]);
}

/* A process's row of the table; a Go process's goroutines in a row under it. */
static void text_proc_rows(FILE *f, const struct bw_capture *c, const struct proc_stat *p)
{
	const struct bw_capture_go *go = bw_capture_go_of(c, p->pid);
	size_t gv[BW_VERDICT_COUNT], parked = go ? bw_goreport_proc_count(go, gv) : 0;
	char pid[16];

	/* Nothing blocked long: not worth a line. */
	if (p->verdicts[BW_VERDICT_NONE] == p->threads && (!go || gv[BW_VERDICT_NONE] == go->nrecs))
		return;
	snprintf(pid, sizeof(pid), "%u", p->pid);
	text_proc_row(f, pid, p->comm, p->threads, p->verdicts);
	if (go)
		text_proc_row(f, "", "goroutines", parked, gv);
}

/* The threads' part of the text report. */
static void text_threads(FILE *f, const struct bw_capture *c)
{
	const struct bw_thread *threads = c->threads;
	const struct bw_thread **list;
	struct proc_stat *ps;
	size_t i, n = c->nthreads, m = 0, np = 0, v[BW_VERDICT_COUNT];
	char dur[32], thr[32];

	bw_report_count(c, v);
	bw_format_duration(c->watched_ns, dur, sizeof(dur));
	bw_format_duration(c->threshold_ns, thr, sizeof(thr));
	ps = proc_stats(c, &np);
	if (!c->all && np == 1) {
		fprintf(f, "pid %u (", ps[0].pid);
		bw_text_str(f, ps[0].comm, 0);
		fprintf(f, "), %zu thread%s, ", n, n == 1 ? "" : "s");
	} else {
		fprintf(f, "%zu processes, %zu threads, ", np, n);
	}
	fprintf(f,
		"watched %s, threshold %s: %zu deadlocked, %zu leaked, %zu stuck, %zu blocked, "
		"%zu idle\n",
		dur, thr, v[BW_VERDICT_DEADLOCK], v[BW_VERDICT_LEAK], v[BW_VERDICT_STUCK],
		v[BW_VERDICT_BLOCKED], v[BW_VERDICT_IDLE]);
	bw_goreport_headline(f, c, c->all || np > 1);
	if (c->dropped)
		fprintf(f, "warning: %llu threads untracked: BPF map full (raise --max-threads)\n",
			(unsigned long long)c->dropped);

	list = calloc(n ? n : 1, sizeof(*list));
	if (!list)
		goto out;
	for (i = 0; i < n; i++)
		if (threads[i].verdict != BW_VERDICT_NONE)
			list[m++] = &threads[i];
	qsort(list, m, sizeof(*list), severity_cmp);
	if (!m) {
		fprintf(f, "no thread blocked for %s or more\n", thr);
		goto out;
	}
	if (np > 1) {
		fprintf(f, "\n%7s %-16s %7s %8s %6s %6s %7s %6s\n", "PID", "COMM", "THREADS",
			"DEADLOCK", "LEAK", "STUCK", "BLOCKED", "IDLE");
		for (i = 0; i < np; i++)
			text_proc_rows(f, c, &ps[i]);
	}
	fprintf(f, "\n%-8s %7s %7s %-16s %-2s %8s %-11s %s\n", "VERDICT", "PID", "TID", "COMM",
		"ST", "BLOCKED", "WAIT", "ON");
	for (i = 0; i < m; i++) {
		const struct bw_thread *t = list[i];
		int len = strlen(t->comm);

		bw_format_duration(t->blocked_ns, dur, sizeof(dur));
		fprintf(f, "%-8s %7u %7u ", bw_verdict_name(t->verdict), t->pid, t->tid);
		bw_text_str(f, t->comm, 16);
		fprintf(f, "%*s %-2s %8s %-11s ", len < 16 ? 16 - len : 0, "", state_str(t->state),
			dur, bw_wait_name(t->wait));
		wait_target(f, t);
		fputc('\n', f);
	}
	text_groups(f, list, m);
	text_sites(f, list, m);
	for (i = 0; i < m; i++)
		if (list[i]->verdict >= BW_VERDICT_BLOCKED)
			text_detail(f, c, list[i]);
out:
	free(list);
	free(ps);
}

void bw_report_text(FILE *f, const struct bw_capture *c)
{
	text_threads(f, c);
	bw_goreport_text(f, c);
}

void bw_report_progress(FILE *f, const struct bw_capture *c)
{
	size_t v[BW_VERDICT_COUNT];
	char dur[32];

	bw_report_count(c, v);
	bw_format_duration(c->watched_ns, dur, sizeof(dur));
	fprintf(f,
		"\r[%s] %zu threads: %zu deadlocked, %zu leaked, %zu stuck, %zu blocked, %zu idle"
		"\033[K",
		dur, c->nthreads, v[BW_VERDICT_DEADLOCK], v[BW_VERDICT_LEAK], v[BW_VERDICT_STUCK],
		v[BW_VERDICT_BLOCKED], v[BW_VERDICT_IDLE]);
	fflush(f);
}
