// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "goreach.h"
#include "gowatch.h"
#include "memread.h"

/* Bounds of the reachability search of one scan. */
static const struct bw_reach_limits precise_limits = {
	.max_depth = 3,
	.object_bytes = 1024, /* objects are read to their end, this much at most */
	.max_objects = 200000,
	.max_bytes = 64 << 20,
};

/*
 * Without symbols the runtime's globals cannot be told from the program's,
 * and following their pointers reaches everything: look at direct
 * references only (a global or a live stack word holding the channel).
 */
static const struct bw_reach_limits direct_limits = {
	.max_depth = 0,
	.object_bytes = 64,
	.max_objects = 1,
	.max_bytes = 64 << 20,
};

struct bw_gowatch {
	pid_t pid;
	struct bw_mem *mem;
	struct bw_goscan *scan;
	struct bw_gotracker *tracker;
	struct bw_gosyms *syms;
	struct bw_gorec *recs; /* stacks shared with syms: free() them */
	size_t nrecs, cap_recs;
	struct bw_gogroup *groups;
	size_t ngroups;
	size_t skipped;
};

int bw_gowatch__new(pid_t pid, struct bw_gowatch **out)
{
	struct bw_gowatch *gw = calloc(1, sizeof(*gw));
	int err;

	*out = NULL;
	if (!gw)
		return -ENOMEM;
	gw->pid = pid;
	err = bw_mem__open(pid, &gw->mem);
	if (!err)
		err = bw_goscan__new(pid, gw->mem, &gw->scan);
	if (!err)
		err = bw_gotracker__new(&gw->tracker);
	if (!err)
		err = bw_gosyms__new(bw_goscan__gobin(gw->scan), &gw->syms);
	if (err) {
		bw_gowatch__free(gw);
		return err;
	}
	*out = gw;
	return 0;
}

void bw_gowatch__free(struct bw_gowatch *gw)
{
	if (!gw)
		return;
	free(gw->recs);
	free(gw->groups);
	bw_gosyms__free(gw->syms);
	bw_gotracker__free(gw->tracker);
	bw_goscan__free(gw->scan);
	bw_mem__free(gw->mem);
	free(gw);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int read_mem(void *ctx, __u64 addr, void *buf, size_t len)
{
	return bw_mem__read(ctx, addr, buf, len);
}

static int read_scan_mem(void *ctx, __u64 addr, void *buf, size_t len)
{
	return bw_mem__read(bw_goscan__mem(ctx), addr, buf, len);
}

static void readv_scan_mem(void *ctx, struct bw_reach_piece *p, size_t n)
{
	struct bw_memvec v[256];
	size_t i, k, m;

	for (i = 0; i < n; i += m) {
		m = n - i < 256 ? n - i : 256;
		for (k = 0; k < m; k++)
			v[k] = (struct bw_memvec){ .addr = p[i + k].addr,
						   .buf = p[i + k].buf,
						   .len = p[i + k].len };
		bw_mem__readv(bw_goscan__mem(ctx), v, m);
		for (k = 0; k < m; k++)
			p[i + k].err = v[k].err;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The distinct channels of chans into out (room for n): a million waiters
 * often share a handful of channels, sorted after as a few.
 */
static size_t unique_chans(const __u64 *chans, size_t n, __u64 *out)
{
	size_t cap = 64, i, j, k = 0;
	__u64 *set;

	while (cap < 2 * n)
		cap *= 2;
	set = calloc(cap, sizeof(*set));
	if (!set) { /* no room for the set: copy all, the caller dedups sorted */
		memcpy(out, chans, n * sizeof(*out));
		qsort(out, n, sizeof(*out), cmp_u64);
		for (i = j = 0; i < n; i++)
			if (!j || out[j - 1] != out[i])
				out[j++] = out[i];
		return j;
	}
	for (i = 0; i < n; i++) {
		if (!chans[i])
			continue; /* never a channel: sudogs with c == 0 are not kept */
		for (j = (chans[i] * 0x9e3779b97f4a7c15ULL) >> 20 & (cap - 1);
		     set[j] && set[j] != chans[i]; j = (j + 1) & (cap - 1))
			;
		if (!set[j]) {
			set[j] = chans[i];
			out[k++] = chans[i];
		}
	}
	free(set);
	return k;
}

/* Marks the goroutines whose channels someone not stuck can still reach. */
static int mark_reachable(struct bw_gowatch *gw, struct bw_gorec *recs, size_t n)
{
	const struct bw_range *roots, *heap;
	size_t i, j, nt, nroots, nheap, nstops;
	const __u64 *stops, *chans = bw_goscan__chans(gw->scan, &nt);
	const struct bw_reach_io io = { .read = read_scan_mem,
					.readv = readv_scan_mem,
					.size_of = bw_goscan__object,
					.sizev = bw_goscan__objects,
					.ctx = gw->scan };
	__u64 *targets;
	bool *found;
	int err;

	if (!nt)
		return 0;
	targets = malloc(nt * sizeof(*targets));
	found = calloc(nt, sizeof(*found));
	if (!targets || !found) {
		free(targets);
		free(found);
		return -ENOMEM;
	}
	nt = unique_chans(chans, nt, targets);
	qsort(targets, nt, sizeof(*targets), cmp_u64);
	roots = bw_goscan__roots(gw->scan, &nroots);
	heap = bw_goscan__heap(gw->scan, &nheap);
	stops = bw_goscan__stops(gw->scan, &nstops);
	if (bw_goscan__precise_roots(gw->scan))
		err = bw_reach_io(roots, nroots, heap, nheap, targets, nt, found, stops, nstops,
				  &precise_limits, &io);
	else
		err = bw_reach_stops(roots, nroots, heap, nheap, targets, nt, found, stops, nstops,
				     &direct_limits, read_mem, bw_goscan__mem(gw->scan));
	for (i = 0; i < n; i++) {
		struct bw_goroutine *g = &recs[i].g;

		for (j = 0; j < g->nchans && !g->chan_reachable; j++) {
			__u64 *t = bsearch(&chans[g->chans_at + j], targets, nt, sizeof(*targets),
					   cmp_u64);

			g->chan_reachable = t && found[t - targets];
		}
	}
	free(targets);
	free(found);
	return err == -E2BIG ? 0 : err; /* a cut search leaves verdicts conservative */
}

struct goid_at {
	__u64 goid;
	size_t at;
};

static int cmp_goid_at(const void *a, const void *b)
{
	const struct goid_at *x = a, *y = b;

	if (x->goid != y->goid)
		return x->goid < y->goid ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* Sorts by goid, as the tracker wants, without a sort buffer of whole records. */
static int sort_by_goid(struct bw_gorec *recs, size_t n)
{
	struct goid_at *o = malloc((n ? n : 1) * sizeof(*o));
	struct bw_gorec tmp;
	size_t i, j, k;

	for (i = 1; i < n && recs[i - 1].g.goid <= recs[i].g.goid; i++)
		;
	if (i >= n) {
		free(o);
		return 0; /* allgs order is often goid order already */
	}
	if (!o)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		o[i] = (struct goid_at){ recs[i].g.goid, i };
	qsort(o, n, sizeof(*o), cmp_goid_at);
	/* recs[i] takes recs[o[i].at]: follow each cycle of the permutation once. */
	for (i = 0; i < n; i++) {
		if (o[i].at == i)
			continue;
		tmp = recs[i];
		for (j = i; (k = o[j].at) != i; j = k) {
			recs[j] = recs[k];
			o[j].at = j;
		}
		recs[j] = tmp;
		o[j].at = j;
	}
	free(o);
	return 0;
}

int bw_gowatch__scan(struct bw_gowatch *gw, __u64 threshold_ns, const struct bw_gopatterns *benign,
		     bw_gopark_fn park, void *park_ctx)
{
	struct bw_gogroup *groups = NULL;
	struct bw_gorec *recs;
	size_t i, len, n = 0, ng = 0, skipped = 0;
	int err;

	err = bw_goscan__begin(gw->scan, &len);
	if (err)
		return err; /* gone, or torn: what was seen stays */
	/*
	 * The new records overwrite the previous ones: with a million
	 * goroutines two generations would double the peak memory.
	 */
	free(gw->groups);
	gw->groups = NULL;
	gw->nrecs = gw->ngroups = 0;
	if (len > gw->cap_recs) {
		free(gw->recs);
		gw->cap_recs = 0;
		gw->recs = malloc(len * sizeof(*recs));
		if (!gw->recs) {
			err = -ENOMEM;
			goto cleanup;
		}
		gw->cap_recs = len;
	}
	recs = gw->recs;
	err = bw_goscan__read(gw->scan, recs, sizeof(*recs), &n, &skipped);
	gw->skipped += skipped;
	if (!err)
		err = sort_by_goid(recs, n);
	if (!err)
		err = mark_reachable(gw, recs, n);
	for (i = 0; i < n && !err; i++) {
		if (park)
			recs[i].g.park_ns = park(park_ctx, recs[i].g.gaddr, recs[i].g.goid);
		err = bw_gosyms__fill(gw->syms, &recs[i]);
	}
	if (!err)
		err = bw_gotracker__update(gw->tracker, recs, n, now_ns(), threshold_ns, benign,
					   &groups, &ng);
	for (i = 0; i < n && !err; i++)
		if (recs[i].verdict != BW_VERDICT_NONE)
			err = bw_gosyms__fill_stack(gw->syms, &recs[i]);
	if (err)
		goto cleanup;
	gw->nrecs = n;
	gw->groups = groups;
	gw->ngroups = ng;
	groups = NULL;
cleanup:
	free(groups);
	bw_gosyms__sweep(gw->syms);
	return err;
}

/* File offset of a function, past its stack-bound check when it has one:
 * a uprobe there is emulated (jbe) instead of single-stepped, 10x cheaper. */
static int probe_offset(int fd, Elf *elf, __u64 vaddr, __u64 *off)
{
	static const __u8 stack_check[] = { 0x49, 0x3b, 0x66, 0x10 }; /* cmp rsp,[r14+16] */
	__u8 code[4];
	GElf_Phdr ph;
	size_t i, nph;

	if (elf_getphdrnum(elf, &nph))
		return -ENOEXEC;
	for (i = 0; i < nph; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || vaddr < ph.p_vaddr ||
		    vaddr >= ph.p_vaddr + ph.p_filesz)
			continue;
		*off = vaddr - ph.p_vaddr + ph.p_offset;
		if (pread(fd, code, sizeof(code), *off) == sizeof(code) &&
		    !memcmp(code, stack_check, sizeof(code)))
			*off += sizeof(code);
		return 0;
	}
	return -ENOENT;
}

int bw_gowatch__probe_points(const struct bw_gowatch *gw, struct bw_goprobe_points *out)
{
	const struct bw_gobin *gb = bw_goscan__gobin(gw->scan);
	struct bw_golayout lay;
	__u64 park, exit, size;
	Elf *elf = NULL;
	int fd, err;

	memset(out, 0, sizeof(*out));
	snprintf(out->path, sizeof(out->path), "/proc/%d/exe", gw->pid);
	err = bw_gobin__layout(gb, &lay);
	if (!err)
		err = bw_gobin__lookup(gb, "runtime.park_m", &park, &size);
	if (!err)
		err = bw_gobin__lookup(gb, "runtime.goexit0", &exit, &size);
	if (err)
		return err;
	out->goid_off = lay.g_goid;
	out->waitreason_off = lay.g_waitreason;
	fd = open(out->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	err = elf ? probe_offset(fd, elf, park, &out->park_off) : -ENOEXEC;
	if (!err)
		err = probe_offset(fd, elf, exit, &out->exit_off);
	elf_end(elf);
	close(fd);
	return err;
}

const struct bw_gorec *bw_gowatch__records(const struct bw_gowatch *gw, size_t *n)
{
	*n = gw->nrecs;
	return gw->recs;
}

const struct bw_gogroup *bw_gowatch__groups(const struct bw_gowatch *gw, size_t *n)
{
	*n = gw->ngroups;
	return gw->groups;
}

__u64 bw_gowatch__goid_of_tid(struct bw_gowatch *gw, __u32 tid)
{
	return bw_goscan__goid_of_tid(gw->scan, tid);
}

const char *bw_gowatch__version(const struct bw_gowatch *gw)
{
	return bw_gobin__info(bw_goscan__gobin(gw->scan))->version;
}

pid_t bw_gowatch__pid(const struct bw_gowatch *gw)
{
	return gw->pid;
}

size_t bw_gowatch__skipped(const struct bw_gowatch *gw)
{
	return gw->skipped;
}

struct probed {
	__u32 pid;
	__u64 start_time;      /* /proc/PID/stat field 22: tells a reused pid */
	struct bw_gowatch *gw; /* NULL: not a Go program, or unreadable */
	bool seen;
};

struct bw_goset {
	struct probed *procs;
	size_t n;
};

int bw_goset__new(struct bw_goset **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void bw_goset__free(struct bw_goset *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++)
		bw_gowatch__free(set->procs[i].gw);
	free(set->procs);
	free(set);
}

static __u64 start_time(__u32 pid)
{
	char path[64], buf[1024], *p;
	unsigned long long st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* Fields after comm: state is 3, starttime is 22. */
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d"
			 " %*d %*d %*d %llu",
			 &st) != 1)
		return 0;
	return st;
}

static struct probed *probe(struct bw_goset *set, __u32 pid)
{
	struct probed *p;
	__u64 st = start_time(pid);
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (set->procs[i].pid != pid)
			continue;
		if (set->procs[i].start_time == st)
			return &set->procs[i];
		/* The pid was reused: probe the new process. */
		bw_gowatch__free(set->procs[i].gw);
		set->procs[i].gw = NULL;
		set->procs[i].start_time = st;
		bw_gowatch__new(pid, &set->procs[i].gw);
		return &set->procs[i];
	}
	p = realloc(set->procs, (set->n + 1) * sizeof(*p));
	if (!p)
		return NULL;
	set->procs = p;
	p = &set->procs[set->n++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->start_time = st;
	bw_gowatch__new(pid, &p->gw);
	return p;
}

int bw_goset__scan(struct bw_goset *set, const __u32 *pids, size_t npids, __u64 threshold_ns,
		   const struct bw_gopatterns *benign, bw_gopark_fn park, void *park_ctx)
{
	size_t i = 0;

	for (i = 0; i < npids; i++) {
		struct probed *p = probe(set, pids[i]);

		if (!p)
			return -ENOMEM;
		p->seen = true;
		if (p->gw)
			bw_gowatch__scan(p->gw, threshold_ns, benign, park, park_ctx);
	}
	for (i = 0; i < set->n;) {
		if (set->procs[i].seen) {
			set->procs[i++].seen = false;
			continue;
		}
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): procs[i] was refilled below */
		bw_gowatch__free(set->procs[i].gw);
		set->procs[i] = set->procs[--set->n];
	}
	return 0;
}

size_t bw_goset__count(const struct bw_goset *set)
{
	return set->n;
}

struct bw_gowatch *bw_goset__get(const struct bw_goset *set, size_t i)
{
	return i < set->n ? set->procs[i].gw : NULL;
}

struct bw_gowatch *bw_goset__find(const struct bw_goset *set, __u32 pid)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->procs[i].pid == pid)
			return set->procs[i].gw;
	return NULL;
}
