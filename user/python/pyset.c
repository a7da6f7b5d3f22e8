// SPDX-License-Identifier: GPL-2.0
/* The Python frames of every watched process, merged into its threads (see pyset.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/hash.h"
#include "core/hashmap.h"
#include "platform/memread.h"
#include "python/pymerge.h"
#include "python/pyproc.h"
#include "python/pyset.h"

enum proc_state {
	PROC_NEW = 0,
	PROC_OPEN,	 /* pp reads its threads */
	PROC_NOT_PYTHON, /* no CPython runtime in it */
	PROC_NO_LAYOUT,	 /* its version has no layout */
};

struct proc {
	__u32 pid;
	enum proc_state state;
	bool seen;   /* in this scan */
	bool wanted; /* an unwound thread of it runs the eval loop */
	bool told;   /* its notice was said */
	struct bw_mem *mem;
	struct bw_pyproc *pp;
};

/* One merged stack, shared by the threads with the same native stack and Python frames. */
struct merged {
	const struct bw_frame *native;
	int nnative;
	size_t npy;
	__u64 *key; /* code address, line << 1 | entry, per Python frame */
	struct bw_frame *frames;
	int n;
};

struct bw_pyset {
	FILE *notices;
	struct bw_hashmap *procs;  /* pid -> struct proc */
	struct bw_hashmap *stacks; /* content hash -> struct merged * (this scan's) */
	struct bw_hashmap *bytid;  /* native tid -> index in the threads read, per process */
	size_t merged;
};

int bw_pyset__new(FILE *notices, struct bw_pyset **out)
{
	struct bw_pyset *ps = calloc(1, sizeof(*ps));

	*out = NULL;
	if (!ps)
		return -ENOMEM;
	ps->notices = notices;
	if (bw_hashmap__new(sizeof(struct proc), &ps->procs) ||
	    bw_hashmap__new(sizeof(struct merged *), &ps->stacks) ||
	    bw_hashmap__new(sizeof(size_t), &ps->bytid)) {
		bw_pyset__free(ps);
		return -ENOMEM;
	}
	*out = ps;
	return 0;
}

static void proc_close(struct proc *p)
{
	bw_pyproc__free(p->pp);
	bw_mem__free(p->mem);
	p->pp = NULL;
	p->mem = NULL;
}

static void note(struct bw_pyset *ps, struct proc *p, const char *why)
{
	if (p->told || !ps->notices)
		return;
	p->told = true;
	fprintf(ps->notices,
		"blockwatch: failed to read the python frames of %u: %s (C frames only)\n", p->pid,
		why);
}

/* Opens p's interpreter once; false while its frames cannot be read. */
static bool proc_ready(struct bw_pyset *ps, struct proc *p)
{
	const struct bw_pyproc_info *info;
	char why[64];
	int err;

	if (p->state == PROC_OPEN)
		return true;
	if (p->state != PROC_NEW)
		return false;
	err = bw_mem__open((pid_t)p->pid, &p->mem);
	if (!err)
		err = bw_pyproc__open((pid_t)p->pid, p->mem, NULL, &p->pp);
	if (!err) {
		p->state = PROC_OPEN;
		return true;
	}
	if (err == -ENOTSUP && p->pp) {
		info = bw_pyproc__info(p->pp);
		snprintf(why, sizeof(why), "python %u.%u has no known layout",
			 info->version_hex >> 24, (info->version_hex >> 16) & 0xff);
		p->state = PROC_NO_LAYOUT;
		note(ps, p, why);
	} else if (err == -ENOENT) {
		p->state = PROC_NOT_PYTHON;
		note(ps, p, "no CPython runtime found in it");
	} else {
		/* Tried again next scan (a process still starting): said once. */
		note(ps, p, strerror(-err));
	}
	proc_close(p);
	return false;
}

static void free_merged(struct merged *m)
{
	if (!m)
		return;
	free(m->key);
	free(m->frames);
	free(m);
}

/* Drops the previous scan's merged stacks. */
static void clear_stacks(struct bw_pyset *ps)
{
	struct merged **m;
	size_t it = 0;
	__u64 key;

	while (bw_hashmap__next(ps->stacks, &it, &key, (void **)&m))
		free_merged(*m);
	bw_hashmap__clear(ps->stacks);
}

struct probe {
	const struct bw_frame *native;
	int nnative;
	const struct bw_pyframe *py;
	size_t npy;
};

static bool is_unfilled(const void *val, const void *probe)
{
	(void)probe;
	return !*(struct merged *const *)val;
}

static __u64 py_key(const struct bw_pyframe *f)
{
	return (__u64)(__u32)f->line << 1 | (f->entry != 0);
}

static bool same_merge(const void *val, const void *probe)
{
	const struct merged *m = *(struct merged *const *)val;
	const struct probe *p = probe;
	size_t i;

	if (!m)
		return false;
	if (m->native != p->native || m->nnative != p->nnative || m->npy != p->npy)
		return false;
	for (i = 0; i < p->npy; i++)
		if (m->key[2 * i] != p->py[i].code || m->key[2 * i + 1] != py_key(&p->py[i]))
			return false;
	return true;
}

/* t's stack with pt's Python frames; -EDOM/-ENOENT (kept native) are not errors. */
static int merge_thread(struct bw_pyset *ps, struct bw_thread *t, const struct bw_pythread *pt)
{
	struct probe pr = { t->ustack, t->ustack_entries, pt->frames, pt->nframes };
	__u64 h = bw_fnv1a_u64(BW_FNV_OFFSET, (__u64)(uintptr_t)t->ustack);
	struct merged **slot, *m;
	size_t i;
	int added, err;

	for (i = 0; i < pt->nframes; i++)
		h = bw_fnv1a_u64(bw_fnv1a_u64(h, pt->frames[i].code), py_key(&pt->frames[i]));
	added = bw_hashmap__insert_hashed(ps->stacks, h, same_merge, &pr, (void **)&slot);
	if (added < 0)
		return added;
	if (added) {
		m = calloc(1, sizeof(*m));
		if (m)
			m->key = calloc(2 * (pt->nframes ? pt->nframes : 1), sizeof(*m->key));
		err = m && m->key ? 0 : -ENOMEM;
		if (!err)
			err = bw_pymerge(t->ustack, t->ustack_entries, t->ustack_sp, pt->frames,
					 pt->nframes, pt->flags, &m->frames, &m->n);
		if (err == -ENOMEM) {
			free_merged(m);
			bw_hashmap__delete_hashed(ps->stacks, h, is_unfilled, NULL);
			return err;
		}
		/* A stack that does not merge is kept too (frames NULL): asked once. */
		m->native = t->ustack;
		m->nnative = t->ustack_entries;
		m->npy = pt->nframes;
		for (i = 0; i < pt->nframes; i++) {
			m->key[2 * i] = pt->frames[i].code;
			m->key[2 * i + 1] = py_key(&pt->frames[i]);
		}
		*slot = m;
	}
	m = *slot;
	if (!m->frames)
		return 0;
	t->native_ustack = t->ustack;
	t->native_ustack_entries = t->ustack_entries;
	t->ustack = m->frames;
	t->ustack_entries = m->n;
	ps->merged++;
	return 0;
}

/* The threads of p in threads[0..n) that run the eval loop, merged with its thread states. */
static int scan_proc(struct bw_pyset *ps, struct proc *p, struct bw_thread *threads, size_t n)
{
	struct bw_pythread *pts = NULL;
	size_t npts = 0, i, *idx;
	int err;

	err = bw_pyproc__threads(p->pp, &pts, &npts);
	if (err) {
		/* The process went, or its runtime is torn now: C frames this scan. */
		bw_pywalk__free_threads(pts, npts);
		return err == -ENOMEM ? err : 0;
	}
	bw_hashmap__clear(ps->bytid);
	for (i = 0; i < npts; i++) {
		if (!pts[i].native_tid)
			continue;
		err = bw_hashmap__insert(ps->bytid, pts[i].native_tid, (void **)&idx);
		if (err < 0)
			goto out;
		*idx = i;
	}
	err = 0;
	for (i = 0; i < n && !err; i++) {
		struct bw_thread *t = &threads[i];

		if (t->pid != p->pid || !t->ustack || t->native_ustack)
			continue;
		idx = bw_hashmap__find(ps->bytid, t->tid);
		if (idx)
			err = merge_thread(ps, t, &pts[*idx]);
	}
out:
	bw_pywalk__free_threads(pts, npts);
	return err;
}

static const char *base(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/*
 * A stack worth reading the process's Python frames for: it runs the eval
 * loop, or a frame is in a CPython binary (python3.X, libpython3.X.so:
 * 3.14's cold part of the loop is named in .symtab only). Opening the
 * process says for sure; a process without a runtime is not tried again.
 */
static bool runs_python(const struct bw_frame *frames, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (bw_pymerge__is_eval(&frames[i]) ||
		    strncmp(base(frames[i].module), "python3", 7) == 0 ||
		    strncmp(base(frames[i].module), "libpython3", 10) == 0)
			return true;
	return false;
}

static bool keep_seen(__u64 key, void *val, void *ctx)
{
	struct proc *p = val;

	(void)key;
	(void)ctx;
	if (p->seen)
		return true;
	proc_close(p);
	return false;
}

int bw_pyset__scan(struct bw_pyset *ps, struct bw_thread *threads, size_t n)
{
	struct proc *p;
	size_t i, it = 0;
	__u64 key;
	int err = 0;

	clear_stacks(ps);
	ps->merged = 0;
	while (bw_hashmap__next(ps->procs, &it, &key, (void **)&p))
		p->seen = p->wanted = false;
	for (i = 0; i < n; i++) {
		struct bw_thread *t = &threads[i];
		int added = bw_hashmap__insert(ps->procs, t->pid, (void **)&p);

		if (added < 0)
			return added;
		if (added)
			p->pid = t->pid;
		p->seen = true;
		if (t->ustack && runs_python(t->ustack, t->ustack_entries))
			p->wanted = true;
	}
	bw_hashmap__retain(ps->procs, keep_seen, NULL);
	it = 0;
	while (!err && bw_hashmap__next(ps->procs, &it, &key, (void **)&p))
		if (p->wanted && proc_ready(ps, p))
			err = scan_proc(ps, p, threads, n);
	return err;
}

size_t bw_pyset__merged(const struct bw_pyset *ps)
{
	return ps->merged;
}

void bw_pyset__free(struct bw_pyset *ps)
{
	struct proc *p;
	size_t it = 0;
	__u64 key;

	if (!ps)
		return;
	while (ps->procs && bw_hashmap__next(ps->procs, &it, &key, (void **)&p))
		proc_close(p);
	if (ps->stacks)
		clear_stacks(ps);
	bw_hashmap__free(ps->procs);
	bw_hashmap__free(ps->stacks);
	bw_hashmap__free(ps->bytid);
	free(ps);
}
