// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/escape.h"
#include "export/prom.h"

#define NVERDICTS BW_VERDICT_COUNT

/* One series of the site families; at == NULL is the folded "other". */
struct site {
	const char *at, *by, *reason;
	enum bw_verdict verdict;
	__u64 count;
	double growth;
};

struct proc {
	__u32 pid;
	size_t first, n; /* its threads in the sorted array */
	const struct bw_capture_go *go;
	const char *comm;
	bool reported, has_hist;
	__u64 deadlocks, leaks;
	__u64 slots[BW_HIST_SLOTS];
	__u64 sum_ns;
	struct site *sites;
	size_t nsites;
};

struct goline {
	const char *reason;
	enum bw_verdict verdict;
};

static const char *func_name(const char *s)
{
	return s && *s ? s : "[unknown]";
}

static const char *known(const char *s)
{
	return s && *s ? s : "unknown";
}

static enum bw_verdict verdict_of(enum bw_verdict v)
{
	return v >= BW_VERDICT_NONE && v <= BW_VERDICT_DEADLOCK ? v : BW_VERDICT_NONE;
}

/* v / 10^digits, exactly, without trailing zeros: 1500, 9 -> "0.0000015". */
static void decimal(FILE *f, __u64 v, int digits)
{
	__u64 scale = 1;
	char frac[24];
	int i;

	for (i = 0; i < digits; i++)
		scale *= 10;
	fprintf(f, "%llu", (unsigned long long)(v / scale));
	if (!(v % scale))
		return;
	snprintf(frac, sizeof(frac), "%0*llu", digits, (unsigned long long)(v % scale));
	for (i = digits - 1; i > 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	fprintf(f, ".%s", frac);
}

static void number(FILE *f, double v)
{
	if (isnan(v))
		fputs("NaN", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else
		fprintf(f, "%.15g", v);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label(FILE *f, const char *name, const char *value, size_t max)
{
	fprintf(f, ",%s=\"", name);
	bw_prom_label_str(f, value, max);
	fputc('"', f);
}

/* name{pid="..",comm=".." -- the caller adds its labels and the closing brace. */
static void series(FILE *f, const char *name, const struct proc *p)
{
	fprintf(f, "%s{pid=\"%u\",comm=\"", name, p->pid);
	bw_prom_label_str(f, p->comm, BW_PROM_COMM_MAX_BYTES);
	fputc('"', f);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct bw_thread *x = *(const struct bw_thread *const *)a;
	const struct bw_thread *y = *(const struct bw_thread *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int cmp_proc(const void *key, const void *elem)
{
	__u32 pid = *(const __u32 *)key;
	const struct proc *p = elem;

	return pid < p->pid ? -1 : pid > p->pid;
}

static int cmp_goline(const void *a, const void *b)
{
	const struct goline *x = a, *y = b;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	return strncmp(x->reason, y->reason, BW_PROM_REASON_MAX_BYTES);
}

static int cmp_site_labels(const void *a, const void *b)
{
	const struct site *x = a, *y = b;
	int c;

	if ((c = strncmp(x->at, y->at, BW_PROM_FUNC_MAX_BYTES)))
		return c;
	if ((c = strncmp(x->by, y->by, BW_PROM_FUNC_MAX_BYTES)))
		return c;
	if ((c = strncmp(x->reason, y->reason, BW_PROM_REASON_MAX_BYTES)))
		return c;
	return (int)x->verdict - (int)y->verdict;
}

/* The worst first, then the biggest: leaks never fold into "other" before idle sites. */
static int cmp_site_rank(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_site_labels(a, b);
}

static int build_sites(struct proc *p, size_t max_sites)
{
	const struct bw_capture_go *go = p->go;
	struct site *s, other = { .reason = "other" };
	size_t i, n = 0;

	if (!go->ngroups)
		return 0;
	s = calloc(go->ngroups, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (i = 0; i < go->ngroups; i++) {
		const struct bw_gogroup *gr = &go->groups[i];

		s[i].at = func_name(gr->blocked_at.name);
		s[i].by = func_name(gr->created_by.name);
		s[i].reason = known(gr->wait_reason);
		s[i].verdict = verdict_of(gr->verdict);
		s[i].count = gr->count;
		s[i].growth = gr->growth_per_min;
	}
	qsort(s, go->ngroups, sizeof(*s), cmp_site_labels);
	for (i = 0; i < go->ngroups; i++) {
		if (n && !cmp_site_labels(&s[n - 1], &s[i])) {
			s[n - 1].count += s[i].count;
			s[n - 1].growth += s[i].growth;
		} else {
			s[n++] = s[i];
		}
	}
	qsort(s, n, sizeof(*s), cmp_site_rank);
	if (n > max_sites) {
		for (i = max_sites; i < n; i++) {
			other.count += s[i].count;
			other.growth += s[i].growth;
			if (s[i].verdict > other.verdict)
				other.verdict = s[i].verdict;
		}
		s[max_sites] = other;
		n = max_sites + 1;
	}
	p->sites = s;
	p->nsites = n;
	return 0;
}

static void tally_threads(struct proc *p, const struct bw_thread *const *threads)
{
	size_t i, j;

	for (i = p->first; i < p->first + p->n; i++) {
		const struct bw_thread *t = threads[i];
		enum bw_verdict v = verdict_of(t->verdict);

		p->reported |= v != BW_VERDICT_NONE;
		p->deadlocks += v == BW_VERDICT_DEADLOCK;
		p->leaks += v == BW_VERDICT_LEAK;
		if (!t->has_history)
			continue;
		p->has_hist = true;
		p->sum_ns += t->history.total_ns;
		for (j = 0; j < BW_HIST_SLOTS; j++)
			p->slots[j] += t->history.slots[j];
	}
}

static void tally_goroutines(struct proc *p)
{
	size_t i;

	for (i = 0; i < p->go->nrecs; i++) {
		enum bw_verdict v = verdict_of(p->go->recs[i].verdict);

		p->deadlocks += v == BW_VERDICT_DEADLOCK;
		p->leaks += v == BW_VERDICT_LEAK;
	}
}

static void write_threads(FILE *f, const struct proc *p, const struct bw_thread *const *threads)
{
	size_t count[NVERDICTS][BW_WAIT_MAX] = { { 0 } };
	size_t i;
	int v, w;

	for (i = p->first; i < p->first + p->n; i++) {
		const struct bw_thread *t = threads[i];

		w = t->wait >= 0 && t->wait < BW_WAIT_MAX ? (int)t->wait : (int)BW_WAIT_OTHER;
		count[verdict_of(t->verdict)][w]++;
	}
	for (v = BW_VERDICT_DEADLOCK; v > BW_VERDICT_NONE; v--) {
		for (w = 0; w < BW_WAIT_MAX; w++) {
			if (!count[v][w])
				continue;
			series(f, "blockwatch_threads", p);
			label(f, "wait", bw_wait_name(w), 0);
			label(f, "verdict", bw_verdict_name(v), 0);
			fprintf(f, "} %zu\n", count[v][w]);
		}
	}
}

/* Deadlocked, leaked and stuck threads by the reason of their verdict. */
static void write_reasons(FILE *f, const struct proc *p, const struct bw_thread *const *threads)
{
	size_t count[NVERDICTS][BW_REASON_COUNT] = { { 0 } };
	size_t i;
	int v, r;

	for (i = p->first; i < p->first + p->n; i++) {
		const struct bw_thread *t = threads[i];

		v = verdict_of(t->verdict);
		r = t->reason >= 0 && t->reason < BW_REASON_COUNT ? (int)t->reason : 0;
		if (v >= BW_VERDICT_STUCK)
			count[v][r]++;
	}
	for (v = BW_VERDICT_DEADLOCK; v >= BW_VERDICT_STUCK; v--) {
		for (r = 0; r < BW_REASON_COUNT; r++) {
			if (!count[v][r])
				continue;
			series(f, "blockwatch_thread_reasons", p);
			label(f, "verdict", bw_verdict_name(v), 0);
			label(f, "reason", bw_reason_name(r), 0);
			fprintf(f, "} %zu\n", count[v][r]);
		}
	}
}

static int write_goroutines(FILE *f, const struct proc *p)
{
	const struct bw_capture_go *go = p->go;
	struct goline *g;
	size_t i, j;

	if (!go->nrecs)
		return 0;
	g = calloc(go->nrecs, sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (i = 0; i < go->nrecs; i++) {
		g[i].reason = known(go->recs[i].g.wait_reason);
		g[i].verdict = verdict_of(go->recs[i].verdict);
	}
	qsort(g, go->nrecs, sizeof(*g), cmp_goline);
	for (i = 0; i < go->nrecs; i = j) {
		for (j = i + 1; j < go->nrecs && !cmp_goline(&g[i], &g[j]); j++)
			;
		series(f, "blockwatch_goroutines", p);
		label(f, "wait_reason", g[i].reason, BW_PROM_REASON_MAX_BYTES);
		label(f, "verdict", bw_verdict_name(g[i].verdict), 0);
		fprintf(f, "} %zu\n", j - i);
	}
	free(g);
	return 0;
}

static void site_series(FILE *f, const char *name, const struct proc *p, const struct site *s)
{
	series(f, name, p);
	fputs(",site=\"", f);
	if (s->at) {
		bw_prom_label_str(f, s->at, BW_PROM_FUNC_MAX_BYTES);
		fputs(" <- ", f);
		bw_prom_label_str(f, s->by, BW_PROM_FUNC_MAX_BYTES);
	} else {
		fputs("other", f);
	}
	fputc('"', f);
	label(f, "wait_reason", s->reason, BW_PROM_REASON_MAX_BYTES);
	label(f, "verdict", bw_verdict_name(s->verdict), 0);
	fputs("} ", f);
}

static void write_histogram(FILE *f, const struct proc *p)
{
	__u64 cum = 0;
	int i;

	for (i = 0; i < BW_HIST_SLOTS - 1; i++) {
		cum += p->slots[i];
		series(f, "blockwatch_block_duration_seconds_bucket", p);
		fputs(",le=\"", f);
		decimal(f, 1ULL << (i + 1), 6);
		fprintf(f, "\"} %llu\n", (unsigned long long)cum);
	}
	cum += p->slots[BW_HIST_SLOTS - 1];
	series(f, "blockwatch_block_duration_seconds_bucket", p);
	fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	series(f, "blockwatch_block_duration_seconds_sum", p);
	fputs("} ", f);
	decimal(f, p->sum_ns, 9);
	fputc('\n', f);
	series(f, "blockwatch_block_duration_seconds_count", p);
	fprintf(f, "} %llu\n", (unsigned long long)cum);
}

static void write_health(FILE *f, const struct bw_prom_health *h)
{
	family(f, "blockwatch_scans_total", "counter", "Scans made since blockwatch started.");
	fprintf(f, "blockwatch_scans_total %llu\n", (unsigned long long)h->scans);
	family(f, "blockwatch_scan_duration_seconds", "gauge", "How long the last scan took.");
	fputs("blockwatch_scan_duration_seconds ", f);
	decimal(f, h->scan_duration_ns, 9);
	fputc('\n', f);
	family(f, "blockwatch_dropped_threads_total", "counter",
	       "Threads left out because a BPF map was full (raise --max-threads).");
	fprintf(f, "blockwatch_dropped_threads_total %llu\n",
		(unsigned long long)h->dropped_threads);
	family(f, "blockwatch_skipped_goroutine_reads_total", "counter",
	       "Goroutines skipped because they changed while read.");
	fprintf(f, "blockwatch_skipped_goroutine_reads_total %llu\n",
		(unsigned long long)h->skipped_goroutine_reads);
	family(f, "blockwatch_watched_processes", "gauge", "Processes watched now.");
	fprintf(f, "blockwatch_watched_processes %llu\n", (unsigned long long)h->watched_processes);
	family(f, "blockwatch_build_info", "gauge", "Always 1; the version of blockwatch.");
	fputs("blockwatch_build_info{version=\"" BW_VERSION "\"} 1\n", f);
}

static int write_all(FILE *f, const struct bw_prom_opts *o, struct proc *procs, size_t nprocs,
		     const struct bw_thread *const *threads)
{
	size_t i, j;
	int err;

	family(f, "blockwatch_threads", "gauge",
	       "Threads blocked at least the threshold, by wait and verdict.");
	for (i = 0; i < nprocs; i++)
		write_threads(f, &procs[i], threads);
	family(f, "blockwatch_thread_reasons", "gauge",
	       "Deadlocked, leaked and stuck threads by the evidence of their verdict "
	       "(cycle, owner_gone, owner_deadlocked, owner_leaked, pile; stuck: owner_stuck, "
	       "no_waker).");
	for (i = 0; i < nprocs; i++)
		write_reasons(f, &procs[i], threads);

	family(f, "blockwatch_goroutines", "gauge",
	       "Parked goroutines by wait reason and verdict (none: parked less than the "
	       "threshold).");
	for (i = 0; i < nprocs; i++) {
		if (procs[i].go && (err = write_goroutines(f, &procs[i])))
			return err;
	}

	family(f, "blockwatch_goroutine_site_goroutines", "gauge",
	       "Goroutines parked at a site (blocked_at <- created_by).");
	for (i = 0; i < nprocs; i++) {
		for (j = 0; j < procs[i].nsites; j++) {
			site_series(f, "blockwatch_goroutine_site_goroutines", &procs[i],
				    &procs[i].sites[j]);
			fprintf(f, "%llu\n", (unsigned long long)procs[i].sites[j].count);
		}
	}
	family(f, "blockwatch_goroutine_site_growth_per_minute", "gauge",
	       "Growth of the goroutines of a site per minute, over the watch.");
	for (i = 0; i < nprocs; i++) {
		for (j = 0; j < procs[i].nsites; j++) {
			site_series(f, "blockwatch_goroutine_site_growth_per_minute", &procs[i],
				    &procs[i].sites[j]);
			number(f, procs[i].sites[j].growth);
			fputc('\n', f);
		}
	}

	family(f, "blockwatch_deadlocks", "gauge", "Threads and goroutines in a deadlock.");
	for (i = 0; i < nprocs; i++) {
		if (!procs[i].reported && !procs[i].go)
			continue;
		series(f, "blockwatch_deadlocks", &procs[i]);
		fprintf(f, "} %llu\n", (unsigned long long)procs[i].deadlocks);
	}
	family(f, "blockwatch_leaks", "gauge", "Leaked threads and goroutines.");
	for (i = 0; i < nprocs; i++) {
		if (!procs[i].reported && !procs[i].go)
			continue;
		series(f, "blockwatch_leaks", &procs[i]);
		fprintf(f, "} %llu\n", (unsigned long long)procs[i].leaks);
	}

	if (!o->no_histograms) {
		family(f, "blockwatch_block_duration_seconds", "histogram",
		       "Completed off-CPU blocks of the live threads, by duration.");
		for (i = 0; i < nprocs; i++) {
			if (procs[i].has_hist)
				write_histogram(f, &procs[i]);
		}
	}

	family(f, "blockwatch_go_info", "gauge", "Always 1; the Go version of a Go process.");
	for (i = 0; i < nprocs; i++) {
		if (!procs[i].go)
			continue;
		series(f, "blockwatch_go_info", &procs[i]);
		label(f, "go_version", known(procs[i].go->go_version), BW_PROM_REASON_MAX_BYTES);
		fputs("} 1\n", f);
	}

	write_health(f, &o->health);
	return 0;
}

int bw_prom_write(FILE *f, const struct bw_capture *c, const struct bw_prom_opts *opts)
{
	static const struct bw_prom_opts defaults;
	const struct bw_prom_opts *o = opts ? opts : &defaults;
	const struct bw_thread **threads = NULL;
	struct proc *procs = NULL;
	__u32 *pids = NULL;
	size_t i, j, npids = 0, nprocs = 0;
	size_t max_sites = o->max_sites ? o->max_sites : BW_PROM_MAX_SITES_DEFAULT;
	int err = 0;

	pids = calloc(c->nthreads + c->ngos + 1, sizeof(*pids));
	threads = calloc(c->nthreads + 1, sizeof(*threads));
	if (!pids || !threads) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < c->nthreads; i++) {
		threads[i] = &c->threads[i];
		pids[npids++] = c->threads[i].pid;
	}
	for (i = 0; i < c->ngos; i++)
		pids[npids++] = c->gos[i].pid;
	qsort(pids, npids, sizeof(*pids), cmp_u32);
	qsort(threads, c->nthreads, sizeof(*threads), cmp_thread);
	for (i = 0, j = 0; i < npids; i++) {
		if (!j || pids[j - 1] != pids[i])
			pids[j++] = pids[i];
	}
	procs = calloc(j + 1, sizeof(*procs));
	if (!procs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (nprocs = 0; nprocs < j; nprocs++)
		procs[nprocs].pid = pids[nprocs];

	for (i = 0, j = 0; i < nprocs; i++) {
		procs[i].first = j;
		while (j < c->nthreads && threads[j]->pid == procs[i].pid)
			j++;
		procs[i].n = j - procs[i].first;
		tally_threads(&procs[i], threads);
	}
	for (i = 0; i < c->ngos; i++) {
		struct proc *p = bsearch(&c->gos[i].pid, procs, nprocs, sizeof(*procs), cmp_proc);

		if (p->go) {
			err = -EINVAL;
			goto cleanup;
		}
		p->go = &c->gos[i];
		tally_goroutines(p);
		err = build_sites(p, max_sites);
		if (err)
			goto cleanup;
	}
	for (i = 0; i < nprocs; i++)
		procs[i].comm = bw_capture_comm(c, procs[i].pid);

	errno = 0;
	err = write_all(f, o, procs, nprocs, threads);
	if (err)
		goto cleanup;
	if (fflush(f) == EOF || ferror(f))
		err = errno ? -errno : -EIO;

cleanup:
	for (i = 0; procs && i < nprocs; i++)
		free(procs[i].sites);
	free(procs);
	free(threads);
	free(pids);
	return err;
}
