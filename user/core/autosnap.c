// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/autosnap.h"

enum mark_kind {
	MARK_TID,  /* a deadlocked or leaked thread */
	MARK_PILE, /* threads piled up at a site: counted */
	MARK_GOID, /* a deadlocked goroutine */
	MARK_SITE, /* a goroutine site with the leak verdict: counted */
};

/* One deadlock or leak of a process. */
struct mark {
	__u32 pid;
	__u32 kind;
	__u64 id;
	__u64 count;
};

struct proc {
	__u32 pid;
	bool taken;	   /* a snapshot was written or tried: last_ns holds */
	__u64 last_ns;	   /* of the last snapshot, or failed try */
	struct mark *seen; /* the marks at the last snapshot, sorted */
	size_t nseen;
};

struct bw_autosnap {
	struct proc *procs; /* sorted by pid */
	size_t nprocs;
};

int bw_autosnap__new(struct bw_autosnap **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void bw_autosnap__free(struct bw_autosnap *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->nprocs; i++)
		free(a->procs[i].seen);
	free(a->procs);
	free(a);
}

static int cmp_mark(const void *pa, const void *pb)
{
	const struct mark *a = pa, *b = pb;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

static int cmp_u32(const void *pa, const void *pb)
{
	__u32 a = *(const __u32 *)pa, b = *(const __u32 *)pb;

	return a < b ? -1 : a > b;
}

static int cmp_proc(const void *pa, const void *pb)
{
	return cmp_u32(&((const struct proc *)pa)->pid, &((const struct proc *)pb)->pid);
}

static int push(struct mark **v, size_t *n, size_t *cap, struct mark m)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct mark *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = m;
	return 0;
}

/* The marks of c (only_pid 0: of every process), sorted, piles summed per process. */
static int marks_of(const struct bw_capture *c, __u32 only_pid, struct mark **out, size_t *nout)
{
	struct mark *v = NULL;
	size_t i, j, n = 0, cap = 0, w;
	int err = 0;

	for (i = 0; !err && i < c->nthreads; i++) {
		const struct bw_thread *t = &c->threads[i];

		if (only_pid && t->pid != only_pid)
			continue;
		if (t->verdict == BW_VERDICT_LEAK && t->reason == BW_REASON_PILE)
			err = push(&v, &n, &cap, (struct mark){ t->pid, MARK_PILE, 0, 1 });
		else if (t->verdict == BW_VERDICT_LEAK || t->verdict == BW_VERDICT_DEADLOCK)
			err = push(&v, &n, &cap, (struct mark){ t->pid, MARK_TID, t->tid, 1 });
	}
	for (i = 0; !err && i < c->ngos; i++) {
		const struct bw_capture_go *g = &c->gos[i];

		if (only_pid && g->pid != only_pid)
			continue;
		for (j = 0; !err && j < g->nrecs; j++)
			if (g->recs[j].verdict == BW_VERDICT_DEADLOCK)
				err = push(
					&v, &n, &cap,
					(struct mark){ g->pid, MARK_GOID, g->recs[j].g.goid, 1 });
		for (j = 0; !err && j < g->ngroups; j++)
			if (g->groups[j].verdict == BW_VERDICT_LEAK)
				err = push(&v, &n, &cap,
					   (struct mark){ g->pid, MARK_SITE, g->groups[j].key,
							  g->groups[j].count });
	}
	if (err) {
		free(v);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_mark);
	/* One mark per (pid, kind, id): piled threads and equal site keys add up. */
	for (i = 0, w = 0; i < n; i++) {
		if (w && !cmp_mark(&v[w - 1], &v[i]))
			v[w - 1].count += v[i].count;
		else
			v[w++] = v[i];
	}
	*out = v;
	*nout = w;
	return 0;
}

static struct proc *find_proc(const struct bw_autosnap *a, __u32 pid)
{
	struct proc key = { .pid = pid };

	return a->nprocs ? bsearch(&key, a->procs, a->nprocs, sizeof(key), cmp_proc) : NULL;
}

/* True when cur (the marks of one process) holds a deadlock or leak new since seen. */
static bool has_new(const struct mark *cur, size_t ncur, const struct proc *p)
{
	size_t i;

	for (i = 0; i < ncur; i++) {
		const struct mark *s =
			p && p->nseen ? bsearch(&cur[i], p->seen, p->nseen, sizeof(*s), cmp_mark)
				      : NULL;

		if (!s)
			return true;
		if (cur[i].count >= s->count * BW_AUTOSNAP_GROWTH &&
		    cur[i].count >= s->count + BW_AUTOSNAP_GROWTH_MIN)
			return true;
	}
	return false;
}

bool bw_autosnap__allowed(const struct bw_autosnap *a, __u32 pid, __u64 now_ns, __u64 every_ns)
{
	const struct proc *p = find_proc(a, pid);

	return !p || !p->taken || now_ns >= p->last_ns + every_ns || now_ns < p->last_ns;
}

/* Drops the processes no longer in c: a pid seen again later is a new process. */
static int forget_gone(struct bw_autosnap *a, const struct bw_capture *c)
{
	size_t i, w, npids;
	__u32 *pids;
	int err;

	err = bw_capture_pids(c, &pids, &npids);
	if (err)
		return err;
	for (i = 0, w = 0; i < a->nprocs; i++) {
		if (npids && bsearch(&a->procs[i].pid, pids, npids, sizeof(*pids), cmp_u32))
			a->procs[w++] = a->procs[i];
		else
			free(a->procs[i].seen);
	}
	a->nprocs = w;
	free(pids);
	return 0;
}

int bw_autosnap__due(struct bw_autosnap *a, const struct bw_capture *c, __u64 now_ns,
		     __u64 every_ns, __u32 **pids, size_t *npids)
{
	struct mark *marks = NULL;
	size_t i, j, n = 0, nout = 0;
	__u32 *out = NULL;
	int err;

	*pids = NULL;
	*npids = 0;
	err = forget_gone(a, c);
	if (!err)
		err = marks_of(c, 0, &marks, &n);
	if (err)
		return err;
	for (i = 0; i < n; i = j) {
		__u32 pid = marks[i].pid;

		for (j = i; j < n && marks[j].pid == pid; j++)
			;
		if (!has_new(&marks[i], j - i, find_proc(a, pid)) ||
		    !bw_autosnap__allowed(a, pid, now_ns, every_ns))
			continue;
		if (!out) {
			out = malloc(n * sizeof(*out));
			if (!out) {
				free(marks);
				return -ENOMEM;
			}
		}
		out[nout++] = pid;
	}
	free(marks);
	*pids = out;
	*npids = nout;
	return 0;
}

/* The state of pid, added when missing; NULL when out of memory. */
static struct proc *get_proc(struct bw_autosnap *a, __u32 pid)
{
	struct proc *p = find_proc(a, pid), *np;

	if (p)
		return p;
	np = realloc(a->procs, (a->nprocs + 1) * sizeof(*np));
	if (!np)
		return NULL;
	a->procs = np;
	a->procs[a->nprocs++] = (struct proc){ .pid = pid };
	qsort(a->procs, a->nprocs, sizeof(*np), cmp_proc);
	return find_proc(a, pid);
}

int bw_autosnap__tried(struct bw_autosnap *a, __u32 pid, __u64 now_ns)
{
	struct proc *p = get_proc(a, pid);

	if (!p)
		return -ENOMEM;
	p->taken = true;
	p->last_ns = now_ns;
	return 0;
}

int bw_autosnap__taken(struct bw_autosnap *a, const struct bw_capture *c, __u32 pid, __u64 now_ns)
{
	struct mark *marks;
	struct proc *p;
	size_t n;
	int err;

	err = marks_of(c, pid, &marks, &n);
	if (err)
		return err;
	p = get_proc(a, pid);
	if (!p) {
		free(marks);
		return -ENOMEM;
	}
	free(p->seen);
	p->seen = marks;
	p->nseen = n;
	p->taken = true;
	p->last_ns = now_ns;
	return 0;
}

/* ---- file names and pruning -------------------------------------------------- */

#define SNAP_PREFIX "blockwatch-"
#define SNAP_SUFFIX ".snap"
#define STAMP_CHARS 16 /* YYYYmmddTHHMMSSZ */
#define COMM_MAX_CHARS 16

/* The characters a file name of ours holds: [A-Za-z0-9._-]. */
static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '-';
}

int bw_snapname_make(char *buf, size_t len, __u32 pid, const char *comm, time_t t, unsigned int seq)
{
	char safe[COMM_MAX_CHARS + 1], stamp[STAMP_CHARS + 1], nth[16] = "";
	struct tm tm;
	size_t i;
	int n;

	for (i = 0; comm && comm[i] && i < COMM_MAX_CHARS; i++)
		safe[i] = name_char(comm[i]) ? comm[i] : '_';
	safe[i] = '\0';
	if (!i)
		snprintf(safe, sizeof(safe), "unknown");
	if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm))
		return -EINVAL;
	if (seq)
		snprintf(nth, sizeof(nth), "-%u", seq);
	n = snprintf(buf, len, SNAP_PREFIX "%u-%s-%s%s" SNAP_SUFFIX, pid, safe, stamp, nth);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* "YYYYmmddTHHMMSSZ" into a time (UTC); false when it is not one. */
static bool parse_stamp(const char *s, time_t *t)
{
	struct tm tm = { 0 };
	char buf[STAMP_CHARS + 1];

	if (!all_digits(s, 8) || s[8] != 'T' || !all_digits(s + 9, 6) || s[15] != 'Z')
		return false;
	memcpy(buf, s, STAMP_CHARS);
	buf[STAMP_CHARS] = '\0';
	if (!strptime(buf, "%Y%m%dT%H%M%SZ", &tm))
		return false;
	*t = timegm(&tm);
	return true;
}

bool bw_snapname_parse(const char *name, __u32 *pid, time_t *t, unsigned int *seq)
{
	size_t len = strlen(name), plen = strlen(SNAP_PREFIX), slen = strlen(SNAP_SUFFIX);
	const char *p, *end, *dash;
	unsigned long long v;
	unsigned int nth = 0;
	time_t when;
	size_t i;

	if (len <= plen + slen || strncmp(name, SNAP_PREFIX, plen) ||
	    strcmp(name + len - slen, SNAP_SUFFIX))
		return false;
	for (i = 0; name[i]; i++)
		if (!name_char(name[i]))
			return false;
	p = name + plen;
	end = name + len - slen; /* one past the stamp, or past -N */
	dash = strchr(p, '-');
	if (!dash || !all_digits(p, dash - p) || dash - p > 10)
		return false;
	v = strtoull(p, NULL, 10);
	if (!v || v > 0xffffffffULL)
		return false;
	if (end[-1] != 'Z') {
		const char *q = end;

		while (q > dash && q[-1] >= '0' && q[-1] <= '9')
			q--;
		if (q == end || q[-1] != '-' || end - q > 9)
			return false;
		nth = strtoul(q, NULL, 10);
		end = q - 1;
	}
	/* PID-COMM-STAMP: at least one comm character between the dashes. */
	if (end - dash < 1 + 1 + 1 + STAMP_CHARS || end[-STAMP_CHARS - 1] != '-' ||
	    !parse_stamp(end - STAMP_CHARS, &when))
		return false;
	if (pid)
		*pid = v;
	if (t)
		*t = when;
	if (seq)
		*seq = nth;
	return true;
}

static int cmp_file(const void *pa, const void *pb)
{
	const struct bw_snapfile *a = pa, *b = pb;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return strcmp(a->name, b->name);
}

size_t bw_snapfiles_prune(struct bw_snapfile *files, size_t n, size_t keep, __u64 max_bytes)
{
	__u64 total = 0;
	size_t i, left = n, marked = 0;

	if (!n)
		return 0;
	qsort(files, n, sizeof(*files), cmp_file);
	for (i = 0; i < n; i++) {
		files[i].remove = false;
		total += files[i].bytes;
	}
	/* Oldest first, never the newest. */
	for (i = 0; i + 1 < n && (left > keep || total > max_bytes); i++) {
		files[i].remove = true;
		total -= files[i].bytes;
		left--;
		marked++;
	}
	return marked;
}
