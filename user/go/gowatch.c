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
#include "go/gobin.h"
#include "go/goreach.h"
#include "go/goscan.h"
#include "go/gosyms.h"
#include "go/goverdict.h"
#include "go/gowait.h"
#include "go/gowatch.h"
#include "core/hashmap.h"
#include "core/waitgraph.h"
#include "platform/memread.h"
#include "go/gcmap.h"

/*
 * Bounds of the liveness search of one scan. No depth bound: a cut search
 * proves nothing, so the bounds are on work only.
 */
static const struct bw_reach_limits live_limits = {
	.max_hops = 1 << 20,
	.object_bytes = 1 << 16, /* objects are read to their end, this much at most */
	.max_objects = 2000000,
	.max_bytes = 1ULL << 30,
};

/* Without object sizes (no DWARF): each object is read this long from the pointer. */
#define UNSIZED_READ_BYTES 256
static const struct bw_reach_limits unsized_limits = {
	.max_hops = 1 << 20,
	.object_bytes = UNSIZED_READ_BYTES,
	.max_objects = 2000000,
	.max_bytes = 1ULL << 30,
};

/* Stack bytes read to map a live waiter's stack precisely. */
#define STACK_MAP_MAX_BYTES 65536

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
	const char *scan_stacks, *scan_heap, *scan_globals; /* how the last search read them */
	struct bw_gcmask gdata, gbss;			    /* the module's pointer masks */
	bool has_masks;
	__u8 *stack_buf, *stack_bits;
	size_t map_calls, map_precise; /* bw_gcmap_stack calls, and the precise ones */
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
	if (!err) {
		gw->stack_buf = malloc(STACK_MAP_MAX_BYTES);
		gw->stack_bits = malloc(STACK_MAP_MAX_BYTES / 64 + 1);
		if (!gw->stack_buf || !gw->stack_bits)
			err = -ENOMEM;
	}
	if (!err)
		gw->has_masks =
			!bw_gcmap_globals(bw_goscan__gobin(gw->scan), &gw->gdata, &gw->gbss);
	gw->scan_stacks = gw->scan_heap = gw->scan_globals = "conservative";
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
	free(gw->stack_buf);
	free(gw->stack_bits);
	if (gw->has_masks) {
		free(gw->gdata.bits);
		free(gw->gbss.bits);
	}
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

/* Distinct objects waited on, indexed in the order first seen. */
struct objset {
	struct bw_hashmap *idx; /* address -> __u32 index */
	__u64 *addr;		/* by index */
	size_t n;
};

/* The index of a, a new one when a is new; -ENOMEM. */
static long obj_index(struct objset *o, __u64 a)
{
	__u32 *v;
	int added = bw_hashmap__insert(o->idx, a, (void **)&v);

	if (added < 0)
		return added;
	if (added) {
		*v = o->n;
		o->addr[o->n++] = a;
	}
	return *v;
}

struct live_ctx {
	struct bw_gowatch *gw;
	const struct bw_gorec *recs;
	const __u64 *words; /* bw_goscan__stack_words of the scan */
};

/* Runs of set bits of a mask over [start, start + 8 * nbits) as roots. */
static int add_runs(struct bw_reach_sink *sink, __u64 start, const __u8 *bits, size_t nbits)
{
	size_t i = 0, j;
	int err = 0;

	while (i < nbits && !err) {
		if (!(bits[i / 8] & (1u << (i % 8)))) {
			i++;
			continue;
		}
		for (j = i; j < nbits && (bits[j / 8] & (1u << (j % 8))); j++)
			;
		err = bw_reach_sink_add(sink, start + 8 * i, start + 8 * j);
		i = j;
	}
	return err;
}

/*
 * A live waiter's stack: its live words by the binary's stack maps (those
 * the scan kept from its own read of the stack, else read and mapped
 * here), or all of it from sp. Until a map says otherwise (the first calls
 * all came back conservative), the stack is taken whole without reading it
 * twice.
 */
static int live_stack(void *vctx, size_t i, struct bw_reach_sink *sink)
{
	struct live_ctx *c = vctx;
	struct bw_gowatch *gw = c->gw;
	const struct bw_goroutine *g = &c->recs[i].g;
	__u64 sp = g->sched_sp, len;
	int rc;

	if (g->status == BW_GSTATUS_SYSCALL)
		return 0; /* a root already, whole */
	if (sp < g->stack_lo || sp >= g->stack_hi)
		return bw_reach_sink_add(sink, g->stack_lo, g->stack_hi);
	len = g->stack_hi - sp;
	if (len > STACK_MAP_MAX_BYTES || (gw->map_calls >= 16 && !gw->map_precise))
		return bw_reach_sink_add(sink, sp, g->stack_hi);
	if (g->map) { /* mapped by the scan's own read of the stack */
		gw->map_calls++;
		gw->map_precise += g->map == BW_GOMAP_PRECISE;
		return bw_reach_sink_words(sink, c->words + g->live_at, g->live_n,
					   8 * (size_t)g->live_bits);
	}
	if (bw_mem__read(gw->mem, sp, gw->stack_buf, len))
		return bw_reach_sink_add(sink, sp, g->stack_hi);
	memset(gw->stack_bits, 0, len / 64 + 1);
	rc = bw_gcmap_stack(bw_goscan__gobin(gw->scan), bw_goscan__bias(gw->scan), g->sched_pc, sp,
			    gw->stack_buf, len, gw->stack_bits);
	gw->map_calls++;
	if (rc < 0)
		return bw_reach_sink_add(sink, sp, g->stack_hi);
	gw->map_precise += rc == 0;
	return add_runs(sink, sp, gw->stack_bits, len / 8);
}

/* The globals' roots through the module's pointer masks, where they cover them. */
static int mask_roots(struct bw_gowatch *gw, const struct bw_range *in, size_t n,
		      struct bw_range **out, size_t *nout)
{
	const struct bw_gcmask *mk[2] = { &gw->gdata, &gw->gbss };
	__u64 bias = bw_goscan__bias(gw->scan);
	size_t cap = 64, k = 0, i, m;
	struct bw_range *r = malloc(cap * sizeof(*r));

	if (!r)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		__u64 a = in[i].start & ~7ULL, covered = 0;

		for (; a < in[i].end; a += 8) {
			bool set = true, in_mask = false;

			for (m = 0; m < 2; m++) {
				__u64 s = mk[m]->start + bias, e = mk[m]->end + bias;

				if (a >= s && a < e) {
					size_t b = (a - s) / 8;

					in_mask = true;
					set = mk[m]->bits[b / 8] & (1u << (b % 8));
				}
			}
			covered += in_mask;
			if (!set)
				continue;
			if (k && r[k - 1].end == a) {
				r[k - 1].end = a + 8;
				continue;
			}
			if (k == cap) {
				struct bw_range *nr = realloc(r, 2 * cap * sizeof(*r));

				if (!nr) {
					free(r);
					return -ENOMEM;
				}
				r = nr;
				cap *= 2;
			}
			r[k++] = (struct bw_range){ a, a + 8 };
		}
		(void)covered;
	}
	*out = r;
	*nout = k;
	return 0;
}

static enum bw_gowait_class class_memo(const char **last, enum bw_gowait_class *cls,
				       const char *reason)
{
	if (*last != reason) {
		*last = reason;
		*cls = bw_gowait_class(reason);
	}
	return *cls;
}

/* Lock waits: sleeping on a sema of a mutex (semacquire before Go 1.20). */
static bool lock_wait(const char *reason)
{
	return !strcmp(reason, "sync.Mutex.Lock") || !strncmp(reason, "sync.RWMutex.", 13) ||
	       !strcmp(reason, "semacquire");
}

#define CYCLE_MAX_ENTRIES 64
static const struct bw_reach_limits cycle_limits = {
	.max_hops = 1 << 20,
	.object_bytes = 1 << 16,
	.max_objects = 100000,
	.max_bytes = 16 << 20,
};

/*
 * Leaked lock waiters that hold one another's locks, as far as memory
 * shows: the wait-for graph has an edge G -> H when the mutex G waits on is
 * reached from H's stack (another mutex than H's own). Each stack is
 * searched alone, for the others' mutexes; the members of a cycle of any
 * length are then named a deadlock, each with the next one as evidence.
 */
static void find_cycles(struct bw_gorec *recs, size_t n, const struct bw_reach_waiter *w,
			const __u32 *obj_idx, const struct bw_range *objs,
			const struct bw_reach_in *all, const struct bw_reach_io *io)
{
	size_t cand[CYCLE_MAX_ENTRIES], nc = 0, i, j;
	struct bw_range cobjs[CYCLE_MAX_ENTRIES], root;
	bool reach[CYCLE_MAX_ENTRIES][CYCLE_MAX_ENTRIES],
		adj[CYCLE_MAX_ENTRIES * CYCLE_MAX_ENTRIES], dummy = false;
	long next[CYCLE_MAX_ENTRIES];

	for (i = 0; i < n && nc < CYCLE_MAX_ENTRIES; i++)
		if (recs[i].g.reach == BW_REACH_DEAD && recs[i].g.why == BW_WHY_SYNC && w[i].n &&
		    lock_wait(recs[i].g.wait_reason))
			cand[nc++] = i;
	if (nc < 2)
		return;
	for (j = 0; j < nc; j++)
		cobjs[j] = objs[obj_idx[w[cand[j]].at]];
	for (i = 0; i < nc; i++) {
		const struct bw_goroutine *g = &recs[cand[i]].g;
		struct bw_reach_in in = *all;
		struct bw_reach_out out = { .live = &dummy, .reached = reach[i] };

		root = (struct bw_range){ g->sched_sp, g->stack_hi };
		if (g->sched_sp < g->stack_lo || g->sched_sp >= g->stack_hi)
			root = (struct bw_range){ g->stack_lo, g->stack_hi };
		in.roots = &root;
		in.nroots = 1;
		in.objs = cobjs;
		in.nobjs = nc;
		in.waiters = NULL;
		in.nwaiters = 0;
		in.stack_roots = NULL;
		if (bw_reach_live(&in, &cycle_limits, io, &out))
			memset(reach[i], 0, sizeof(reach[i])); /* cut: no cycle claimed */
	}
	for (i = 0; i < nc; i++)
		for (j = 0; j < nc; j++)
			adj[i * nc + j] = i != j && reach[j][i] &&
					  recs[cand[i]].g.wait_obj != recs[cand[j]].g.wait_obj;
	if (bw_waitgraph_cycles(adj, nc, next))
		return; /* no cycle claimed */
	for (i = 0; i < nc; i++) {
		if (next[i] < 0)
			continue;
		recs[cand[i]].g.why = BW_WHY_CYCLE;
		recs[cand[i]].g.why_goid = recs[cand[next[i]]].g.goid;
	}
}

/* How heap objects were read: by their pointer bits, word by word, or both. */
static const char *heap_scan(const struct bw_gowatch *gw, bool sized, const struct bw_reach_out *o)
{
	bool all;

	if (!sized)
		return "conservative-unsized";
	if (!o->precise && !o->noscan && !o->conservative)
		return bw_goscan__heap_bits(gw->scan, &all) && all ? "precise" : "conservative";
	if (!o->conservative)
		return "precise";
	return o->precise || o->noscan ? "mixed" : "conservative";
}

/*
 * Decides which goroutines blocked on a channel, select or sync object can
 * still be woken (bw_reach_live), and sets reach, why and wait_obj of each.
 */
static int mark_reachable(struct bw_gowatch *gw, struct bw_gorec *recs, size_t n)
{
	size_t i, j, nt, nroots, nheap, nstops, nstacks, nsegroots = 0;
	const __u64 *chans = bw_goscan__chans(gw->scan, &nt);
	const struct bw_range *roots = bw_goscan__roots(gw->scan, &nroots);
	const struct bw_reach_io io = { .read = read_scan_mem,
					.readv = readv_scan_mem,
					.size_of = bw_goscan__object,
					.sizev = bw_goscan__objects,
					.ptrs = bw_goscan__pointers,
					.ctx = gw->scan };
	struct bw_reach_waiter *w = calloc(n ? n : 1, sizeof(*w));
	__u32 *obj_idx = malloc((nt + n + 1) * sizeof(*obj_idx));
	struct objset os = { 0 };
	struct bw_range *objs = NULL, *mroots = NULL;
	__u64 *base = NULL, *size = NULL, *first = NULL, *second = NULL;
	int *serr = NULL;
	bool *live = calloc(n ? n : 1, sizeof(*live)), *reached = NULL, *is_chan = NULL;
	const char *last = NULL;
	enum bw_gowait_class cls = BW_GOWAIT_OTHER;
	size_t nwords;
	struct live_ctx lctx = { gw, recs, bw_goscan__stack_words(gw->scan, &nwords) };
	const struct bw_reach_io unsized_io = { .read = read_scan_mem,
						.readv = readv_scan_mem,
						.ctx = gw->scan };
	struct bw_reach_in in = { 0 };
	struct bw_reach_out out = { 0 };
	size_t nidx = 0;
	long idx = 0;
	bool sized;
	int err = -ENOMEM;

	os.addr = malloc((nt + n + 1) * sizeof(*os.addr));
	if (!w || !obj_idx || !live || !os.addr || bw_hashmap__new(sizeof(__u32), &os.idx))
		goto out;
	for (i = 0; i < n && idx >= 0; i++) {
		struct bw_goroutine *g = &recs[i].g;
		enum bw_gowait_class c = class_memo(&last, &cls, g->wait_reason);

		g->reach = BW_REACH_UNKNOWN;
		g->why = BW_WHY_NONE;
		g->wait_obj = g->why_goid = 0;
		w[i].at = nidx;
		if (g->status == BW_GSTATUS_SYSCALL)
			continue;
		if (c == BW_GOWAIT_NILCHAN) {
			w[i].never = true;
		} else if (c == BW_GOWAIT_CHAN) {
			for (j = 0; j < g->nchans && idx >= 0; j++) {
				if (!chans[g->chans_at + j])
					continue;
				idx = obj_index(&os, chans[g->chans_at + j]);
				if (idx >= 0)
					obj_idx[nidx++] = idx;
			}
			w[i].n = nidx - w[i].at;
			g->wait_obj = g->chan;
			g->reach = w[i].n ? BW_REACH_UNKNOWN : BW_REACH_NOOBJ;
		} else if (c == BW_GOWAIT_SYNC) {
			if (g->sync_obj) {
				idx = obj_index(&os, g->sync_obj);
				if (idx >= 0) {
					obj_idx[nidx++] = idx;
					w[i].n = 1;
				}
			}
			g->wait_obj = g->sync_obj;
			g->reach = w[i].n ? BW_REACH_UNKNOWN : BW_REACH_NOOBJ;
		}
	}
	if (idx < 0)
		goto out;
	/* Each object's extent: the heap object it is in, else its address (or what precedes it). */
	objs = malloc((os.n ? os.n : 1) * sizeof(*objs));
	base = calloc(os.n + 1, sizeof(*base));
	size = calloc(os.n + 1, sizeof(*size));
	serr = calloc(os.n + 1, sizeof(*serr));
	reached = calloc(os.n + 1, sizeof(*reached));
	is_chan = calloc(os.n + 1, sizeof(*is_chan));
	if (!objs || !base || !size || !serr || !reached || !is_chan)
		goto out;
	/* Only the objects indexed above: one more now would have no room in these arrays. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < recs[i].g.nchans; j++) {
			const __u32 *v = bw_hashmap__find(os.idx, chans[recs[i].g.chans_at + j]);

			if (v)
				is_chan[*v] = true;
		}
	}
	bw_goscan__objects(gw->scan, os.addr, os.n, base, size, serr);
	sized = false;
	for (i = 0; i < os.n; i++)
		sized = sized ||
			(!serr[i] && os.addr[i] >= base[i] && os.addr[i] < base[i] + size[i]);
	for (i = 0; i < os.n; i++) {
		__u64 a = os.addr[i];

		if (sized && !serr[i] && a >= base[i] && a < base[i] + size[i])
			objs[i] = (struct bw_range){ base[i], base[i] + size[i] };
		else if (is_chan[i])
			objs[i] = (struct bw_range){ a, a + 1 }; /* pointed to at its start */
		else
			/* A sync field: reached by a pointer to its struct up to a read length before. */
			objs[i] = (struct bw_range){ a > UNSIZED_READ_BYTES
							     ? (a & ~7ULL) - UNSIZED_READ_BYTES + 8
							     : 0,
						     a + 1 };
	}
	if (gw->has_masks) {
		err = mask_roots(gw, roots, nroots, &mroots, &nsegroots);
		if (err)
			goto out;
		roots = mroots;
		nroots = nsegroots;
		gw->scan_globals = "precise";
	}
	in.roots = roots;
	in.nroots = nroots;
	in.heap = bw_goscan__heap(gw->scan, &nheap);
	in.nheap = nheap;
	in.stops = bw_goscan__stops(gw->scan, &nstops);
	in.nstops = nstops;
	in.opaque = bw_goscan__stacks(gw->scan, &nstacks);
	in.nopaque = nstacks;
	in.objs = objs;
	in.nobjs = os.n;
	in.obj_idx = obj_idx;
	in.waiters = w;
	in.nwaiters = n;
	in.stack_roots = live_stack;
	in.stack_ctx = &lctx;
	out.live = live;
	out.reached = reached;
	gw->map_calls = gw->map_precise = 0;
	err = bw_reach_live(&in, sized ? &live_limits : &unsized_limits, sized ? &io : &unsized_io,
			    &out);
	if (err && err != -E2BIG)
		goto out;
	gw->scan_heap = heap_scan(gw, sized, &out);
	gw->scan_stacks = gw->map_calls && gw->map_precise == gw->map_calls ? "precise"
			  : gw->map_precise				    ? "mixed"
									    : "conservative";
	/* Two leaked waiters per object, for the evidence. */
	first = calloc(os.n + 1, sizeof(*first));
	second = calloc(os.n + 1, sizeof(*second));
	for (i = 0; i < n; i++) {
		struct bw_goroutine *g = &recs[i].g;

		if (g->status == BW_GSTATUS_SYSCALL || g->reach == BW_REACH_NOOBJ ||
		    (!w[i].n && !w[i].never))
			continue;
		if (live[i]) {
			g->reach = BW_REACH_LIVE;
			continue;
		}
		g->reach = err ? BW_REACH_CUT : BW_REACH_DEAD;
		if (w[i].never)
			g->reach = BW_REACH_DEAD;
		if (g->reach != BW_REACH_DEAD)
			continue;
		if (w[i].never)
			g->why = !strcmp(g->wait_reason, "select (no cases)") ? BW_WHY_NOCASES
									      : BW_WHY_NILCHAN;
		else
			g->why = g->sync_obj ? BW_WHY_SYNC : BW_WHY_CHAN;
		if (w[i].n && first && second) {
			__u32 k = obj_idx[w[i].at];

			if (!first[k])
				first[k] = g->goid;
			else if (!second[k])
				second[k] = g->goid;
		}
	}
	for (i = 0; i < n && first && second; i++) {
		struct bw_goroutine *g = &recs[i].g;
		__u32 k;

		if (g->reach != BW_REACH_DEAD || !w[i].n)
			continue;
		k = obj_idx[w[i].at];
		g->why_goid = first[k] != g->goid ? first[k] : second[k];
	}
	if (!err)
		find_cycles(recs, n, w, obj_idx, objs, &in, sized ? &io : &unsized_io);
	err = 0;
out:
	free(w);
	free(obj_idx);
	bw_hashmap__free(os.idx);
	free(os.addr);
	free(objs);
	free(mroots);
	free(base);
	free(size);
	free(serr);
	free(live);
	free(reached);
	free(is_chan);
	free(first);
	free(second);
	return err;
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

/*
 * The young proven ones (a leak or deadlock proven, not yet the threshold
 * old by the GC's waitsince) that the tracker's previous update did not
 * see parked as they are: read them again, so that a proof of goroutines
 * two reads agree on needs no age (bw_gotracker__update).
 */
static int confirm_in_place(struct bw_gowatch *gw, struct bw_gorec *recs, size_t n, __u64 now,
			    __u64 threshold_ns)
{
	size_t i, k = 0, *idx = NULL;
	int err;

	for (i = 0; i < n; i++) {
		struct bw_goroutine *g = &recs[i].g;

		g->in_place = 0;
		if (g->reach != BW_REACH_DEAD && g->status != BW_GSTATUS_LEAKED)
			continue;
		if (g->waitsince_ns > 0 && (__u64)g->waitsince_ns < now &&
		    now - g->waitsince_ns >= threshold_ns)
			continue;
		if (bw_gotracker__in_place(gw->tracker, g))
			continue;
		if (!idx) {
			idx = malloc((n - i) * sizeof(*idx));
			if (!idx)
				return -ENOMEM;
		}
		idx[k++] = i;
	}
	err = k ? bw_goscan__reread(gw->scan, recs, sizeof(*recs), idx, k) : 0;
	free(idx);
	return err;
}

int bw_gowatch__scan(struct bw_gowatch *gw, __u64 threshold_ns, const struct bw_patterns *benign,
		     bw_gopark_fn park, void *park_ctx)
{
	struct bw_gogroup *groups = NULL;
	struct bw_gorec *recs;
	size_t i, len, n = 0, ng = 0, skipped = 0;
	__u64 now;
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
	bw_goscan__drop_stack_words(gw->scan); /* not kept through the report's peak */
	for (i = 0; i < n && !err; i++) {
		if (park)
			recs[i].g.park_ns = park(park_ctx, recs[i].g.gaddr, recs[i].g.goid);
		err = bw_gosyms__fill(gw->syms, &recs[i]);
	}
	now = now_ns();
	if (!err)
		err = confirm_in_place(gw, recs, n, now, threshold_ns);
	if (!err)
		err = bw_gotracker__update(gw->tracker, recs, n, now, threshold_ns, benign, &groups,
					   &ng);
	/*
	 * The reported, and for the snapshots those a lower threshold would
	 * call blocked or worse (shared frames: a lookup each); idle waits
	 * under the threshold keep their site only.
	 */
	for (i = 0; i < n && !err; i++)
		if (recs[i].verdict != BW_VERDICT_NONE || recs[i].verdict_any >= BW_VERDICT_BLOCKED)
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

void bw_gowatch__scan_kinds(const struct bw_gowatch *gw, const char **stacks, const char **heap,
			    const char **globals)
{
	*stacks = gw->scan_stacks;
	*heap = gw->scan_heap;
	*globals = gw->scan_globals;
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
		   const struct bw_patterns *benign, bw_gopark_fn park, void *park_ctx)
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

void bw_goset__link_threads(const struct bw_goset *set, struct bw_thread *threads, size_t n)
{
	struct bw_gowatch *gw;
	size_t i;

	for (i = 0; i < n; i++) {
		struct bw_thread *t = &threads[i];

		gw = bw_goset__find(set, t->pid);
		if (!gw)
			continue;
		t->goid = bw_gowatch__goid_of_tid(gw, t->tid);
		if (t->wait == BW_WAIT_FUTEX)
			t->wait = BW_WAIT_RUNTIME;
	}
}
