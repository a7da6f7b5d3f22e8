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
	struct bw_gorec *recs;
	size_t nrecs;
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
	bw_gorecs_free(gw->recs, gw->nrecs);
	free(gw->groups);
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

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Marks the goroutines whose channels someone not stuck can still reach. */
static int mark_reachable(struct bw_gowatch *gw, struct bw_goroutine *gs, size_t n)
{
	const struct bw_range *roots, *heap;
	const __u64 *stops;
	size_t i, j, nt = 0, nroots, nheap, nstops;
	__u64 *targets;
	bool *found;
	int err;

	for (i = 0; i < n; i++)
		nt += gs[i].nchans;
	if (!nt)
		return 0;
	targets = malloc(nt * sizeof(*targets));
	found = calloc(nt, sizeof(*found));
	if (!targets || !found) {
		free(targets);
		free(found);
		return -ENOMEM;
	}
	for (nt = 0, i = 0; i < n; i++)
		for (j = 0; j < gs[i].nchans; j++)
			targets[nt++] = gs[i].chans[j];
	qsort(targets, nt, sizeof(*targets), cmp_u64);
	for (i = j = 0; i < nt; i++) /* unique: one index per channel */
		if (!j || targets[j - 1] != targets[i])
			targets[j++] = targets[i];
	nt = j;
	roots = bw_goscan__roots(gw->scan, &nroots);
	heap = bw_goscan__heap(gw->scan, &nheap);
	stops = bw_goscan__stops(gw->scan, &nstops);
	if (bw_goscan__precise_roots(gw->scan))
		err = bw_reach_sized(roots, nroots, heap, nheap, targets, nt, found, stops, nstops,
				     &precise_limits, read_scan_mem, bw_goscan__object, gw->scan);
	else
		err = bw_reach_stops(roots, nroots, heap, nheap, targets, nt, found, stops, nstops,
				     &direct_limits, read_mem, bw_goscan__mem(gw->scan));
	for (i = 0; i < n; i++) {
		for (j = 0; j < gs[i].nchans && !gs[i].chan_reachable; j++) {
			__u64 *t = bsearch(&gs[i].chans[j], targets, nt, sizeof(*targets), cmp_u64);

			gs[i].chan_reachable = t && found[t - targets];
		}
	}
	free(targets);
	free(found);
	return err == -E2BIG ? 0 : err; /* a cut search leaves verdicts conservative */
}

int bw_gowatch__scan(struct bw_gowatch *gw, __u64 threshold_ns, const struct bw_gopatterns *benign,
		     bw_gopark_fn park, void *park_ctx)
{
	const struct bw_gobin *gb = bw_goscan__gobin(gw->scan);
	struct bw_goroutine *gs = NULL;
	struct bw_gogroup *groups = NULL;
	struct bw_gorec *recs = NULL;
	size_t i, n = 0, ng = 0, skipped = 0;
	int err;

	err = bw_goscan__scan(gw->scan, &gs, &n, &skipped);
	if (err)
		return err;
	gw->skipped += skipped;
	err = mark_reachable(gw, gs, n);
	if (err)
		goto cleanup;
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		if (park)
			gs[i].park_ns = park(park_ctx, gs[i].gaddr, gs[i].goid);
		bw_gorec_fill(&recs[i], gb, &gs[i]);
	}
	err = bw_gotracker__update(gw->tracker, recs, n, now_ns(), threshold_ns, benign, &groups,
				   &ng);
	if (err)
		goto cleanup;
	for (i = 0; i < n; i++)
		if (recs[i].verdict != BW_VERDICT_NONE && bw_gorec_fill_stack(&recs[i], gb)) {
			err = -ENOMEM;
			goto cleanup;
		}
	bw_gorecs_free(gw->recs, gw->nrecs);
	free(gw->groups);
	gw->recs = recs;
	gw->nrecs = n;
	gw->groups = groups;
	gw->ngroups = ng;
	recs = NULL;
	groups = NULL;
cleanup:
	bw_gorecs_free(recs, n);
	free(groups);
	free(gs);
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
