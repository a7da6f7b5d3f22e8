// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "go/goreach.h"
#include "core/hashmap.h"

#define CHUNK_BYTES 65536
/* Objects waited on that one word may fall in when extents overlap (no sizes). */
#define OVERLAP_MAX_ENTRIES 256

struct item {
	__u64 addr;
	__u32 len;
	__u32 depth; /* or LENT | n: addr is n words already read, len the bytes they count */
};

/* Items stay 16 bytes: a search of a million goroutines holds millions of them. */
#define LENT 0x80000000u
#define LENT_MAX_WORDS 0x40000000u

struct bw_reach_sink {
	struct search *s;
};

struct search {
	const struct bw_reach_in *in;
	const struct bw_reach_io *io;
	const struct bw_reach_limits *lim;
	struct bw_reach_out *out;
	const struct bw_range *heap;
	size_t nheap;
	struct bw_range *objs; /* sorted by start */
	__u32 *obj_orig;       /* sorted index -> caller's index */
	size_t nobjs;
	__u64 max_width_bytes;
	bool disjoint;
	__u32 *wait_at, *waits; /* sorted object -> its waiters (CSR) */
	size_t nlivable, nlive;
	__u64 *pend; /* pointers of one chunk to push, in order */
	__u64 *pbase, *psize;
	int *perr;
	struct item *queue;
	size_t qhead, qlen, qcap;
	struct bw_hashmap *seen; /* addresses pushed, a set */
	size_t bytes;
	bool sized;
};

static bool in_ranges(const struct bw_range *r, size_t n, __u64 addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < r[mid].start)
			hi = mid;
		else if (addr >= r[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* Index of the first value >= v in a sorted array. */
static size_t lower_bound(const __u64 *a, size_t n, __u64 v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the first object starting above v. */
static size_t obj_upper(const struct search *s, __u64 v)
{
	size_t lo = 0, hi = s->nobjs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->objs[mid].start <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_stop(const struct search *s, __u64 v)
{
	size_t i = lower_bound(s->in->stops, s->in->nstops, v);

	return i < s->in->nstops && s->in->stops[i] == v;
}

/*
 * How much of an object at addr to read: up to len, but not into the next
 * stop or object waited on, which would lend it their pointers.
 */
static size_t clip(const struct search *s, __u64 addr, size_t len)
{
	size_t i = lower_bound(s->in->stops, s->in->nstops, addr + 1);
	size_t j = obj_upper(s, addr);

	if (i < s->in->nstops && s->in->stops[i] < addr + len)
		len = s->in->stops[i] - addr;
	if (j < s->nobjs && s->objs[j].start < addr + len)
		len = s->objs[j].start - addr;
	return len;
}

static int push(struct search *s, __u64 addr, size_t len, int depth)
{
	if (s->qlen == s->qcap) {
		size_t cap = s->qcap ? 2 * s->qcap : 1024;
		struct item *q = realloc(s->queue, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		s->queue = q;
		s->qcap = cap;
	}
	s->queue[s->qlen++] = (struct item){ .addr = addr, .len = len, .depth = depth };
	return 0;
}

/* Pushes a root range in chunks. */
static int push_range(struct search *s, __u64 start, __u64 end)
{
	__u64 a;
	int err = 0;

	for (a = start & ~7ULL; a < end && !err; a += CHUNK_BYTES)
		err = push(s, a, end - a < CHUNK_BYTES ? end - a : CHUNK_BYTES, 0);
	return err;
}

int bw_reach_sink_add(struct bw_reach_sink *k, __u64 start, __u64 end)
{
	return start < end ? push_range(k->s, start, end) : 0;
}

int bw_reach_sink_words(struct bw_reach_sink *k, const __u64 *words, size_t n, size_t bytes)
{
	int err;

	if (!n && !bytes)
		return 0;
	if (n >= LENT_MAX_WORDS || bytes > 0xffffffffu)
		return -E2BIG;
	err = push(k->s, (__u64)(uintptr_t)words, bytes, 0);
	if (!err)
		k->s->queue[k->s->qlen - 1].depth = LENT | (__u32)n;
	return err;
}

/* Waiter w is live: its stack is a root now. */
static int make_live(struct search *s, size_t w)
{
	struct bw_reach_sink sink = { s };

	if (s->out->live[w])
		return 0;
	s->out->live[w] = true;
	s->nlive++;
	s->out->rounds++;
	return s->in->stack_roots ? s->in->stack_roots(s->in->stack_ctx, w, &sink) : 0;
}

/* Sorted object k is reached: its waiters live, the object scanned. */
static int reach_obj(struct search *s, size_t k, int depth)
{
	const struct bw_range *o = &s->objs[k];
	size_t j, len;
	int err = 0;

	if (s->out->reached[s->obj_orig[k]])
		return 0;
	s->out->reached[s->obj_orig[k]] = true;
	for (j = s->wait_at[k]; j < s->wait_at[k + 1] && !err; j++)
		if (!s->in->waiters[s->waits[j]].never)
			err = make_live(s, s->waits[j]);
	if (err || depth >= s->lim->max_hops || !in_ranges(s->heap, s->nheap, o->start))
		return err;
	len = s->sized ? o->end - o->start : s->lim->object_bytes;
	if (len > s->lim->object_bytes)
		len = s->lim->object_bytes;
	return push(s, o->start, len, depth + 1);
}

/* Reaches every object w falls in; true when it falls in one. */
static bool hit_objs(struct search *s, __u64 w, int depth, int *err)
{
	size_t k = obj_upper(s, w), steps = 0;
	bool hit = false;

	while (k > 0 && steps++ < OVERLAP_MAX_ENTRIES && !*err) {
		const struct bw_range *o = &s->objs[--k];

		if (w - o->start >= s->max_width_bytes)
			break;
		if (w < o->end) {
			hit = true;
			*err = reach_obj(s, k, depth);
		}
		if (s->disjoint)
			break;
	}
	return hit;
}

/* Bytes to read of the object at addr (base, size when known, err < 0 when not). */
static size_t object_len(const struct search *s, __u64 addr, __u64 base, __u64 size, int err)
{
	__u64 len = s->lim->object_bytes;

	if (s->sized) {
		if (err || addr < base || addr >= base + size)
			return 0;
		if (base + size - addr < len)
			len = base + size - addr;
	}
	return clip(s, addr, len);
}

/* Follows the words of w[0, n), only those whose bit is set in ptrs when given. */
static int scan_words(struct search *s, const __u64 *w, size_t n, const __u8 *ptrs, int depth)
{
	size_t i, np = 0;
	int err = 0, added;

	for (i = 0; i < n && !err; i++) {
		if (!w[i] || (w[i] & 7) || (ptrs && !(ptrs[i / 8] >> (i % 8) & 1)))
			continue;
		if (hit_objs(s, w[i], depth, &err) || err)
			continue;
		if (depth >= s->lim->max_hops || !in_ranges(s->heap, s->nheap, w[i]) ||
		    is_stop(s, w[i]) || in_ranges(s->in->opaque, s->in->nopaque, w[i]))
			continue;
		if (bw_hashmap__count(s->seen) >= s->lim->max_objects)
			return -E2BIG; /* the search ends: what was to be pushed does not matter */
		added = bw_hashmap__insert(s->seen, w[i], NULL);
		if (added < 0)
			return added;
		if (added)
			s->pend[np++] = w[i];
	}
	if (err)
		return err;
	/* Sizes of the chunk's new objects at once, then pushed in the order seen. */
	if (s->io->sizev && np) {
		s->io->sizev(s->io->ctx, s->pend, np, s->pbase, s->psize, s->perr);
	} else if (s->io->size_of) {
		for (i = 0; i < np; i++)
			s->perr[i] =
				s->io->size_of(s->io->ctx, s->pend[i], &s->pbase[i], &s->psize[i]);
	}
	for (i = 0; i < np && !err; i++)
		err = push(s, s->pend[i],
			   object_len(s, s->pend[i], s->pbase[i], s->psize[i], s->perr[i]),
			   depth + 1);
	return err;
}

static int cmp_range(const void *a, const void *b)
{
	const struct bw_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

static void read_each(void *ctx, struct bw_reach_piece *p, size_t n)
{
	const struct bw_reach_io *io = ctx;
	size_t i;

	for (i = 0; i < n; i++)
		p[i].err = io->read(io->ctx, p[i].addr, p[i].buf, p[i].len);
}

struct obj_key {
	struct bw_range r;
	__u32 orig;
};

static int cmp_obj_key(const void *a, const void *b)
{
	const struct obj_key *x = a, *y = b;

	return cmp_range(&x->r, &y->r);
}

/* Sorts the objects and indexes their waiters. */
static int index_objects(struct search *s)
{
	const struct bw_reach_in *in = s->in;
	struct obj_key *k = malloc((in->nobjs ? in->nobjs : 1) * sizeof(*k));
	__u32 *rank = malloc((in->nobjs ? in->nobjs : 1) * sizeof(*rank));
	size_t i, j, total = 0;

	s->objs = malloc((in->nobjs ? in->nobjs : 1) * sizeof(*s->objs));
	s->obj_orig = malloc((in->nobjs ? in->nobjs : 1) * sizeof(*s->obj_orig));
	s->wait_at = calloc(in->nobjs + 1, sizeof(*s->wait_at));
	if (!k || !rank || !s->objs || !s->obj_orig || !s->wait_at) {
		free(k);
		free(rank);
		return -ENOMEM;
	}
	for (i = 0; i < in->nobjs; i++)
		k[i] = (struct obj_key){ in->objs[i], i };
	qsort(k, in->nobjs, sizeof(*k), cmp_obj_key);
	s->disjoint = true;
	for (i = 0; i < in->nobjs; i++) {
		__u64 w = k[i].r.end > k[i].r.start ? k[i].r.end - k[i].r.start : 1;

		s->objs[i] = k[i].r;
		if (s->objs[i].end <= s->objs[i].start)
			s->objs[i].end = s->objs[i].start + 1;
		s->obj_orig[i] = k[i].orig;
		rank[k[i].orig] = i;
		if (w > s->max_width_bytes)
			s->max_width_bytes = w;
		if (i && s->objs[i - 1].end > s->objs[i].start)
			s->disjoint = false;
	}
	free(k);
	for (i = 0; i < in->nwaiters; i++)
		for (j = 0; j < in->waiters[i].n; j++)
			s->wait_at[rank[in->obj_idx[in->waiters[i].at + j]] + 1]++;
	for (i = 0; i < in->nobjs; i++)
		s->wait_at[i + 1] += s->wait_at[i];
	total = s->wait_at[in->nobjs];
	s->waits = malloc((total ? total : 1) * sizeof(*s->waits));
	if (!s->waits) {
		free(rank);
		return -ENOMEM;
	}
	{
		__u32 *fill = calloc(in->nobjs + 1, sizeof(*fill));

		if (!fill) {
			free(rank);
			return -ENOMEM;
		}
		for (i = 0; i < in->nwaiters; i++)
			for (j = 0; j < in->waiters[i].n; j++) {
				size_t r = rank[in->obj_idx[in->waiters[i].at + j]];

				s->waits[s->wait_at[r] + fill[r]++] = i;
			}
		free(fill);
	}
	free(rank);
	s->nobjs = in->nobjs;
	return 0;
}

/* Items read per round trip, and their bytes at most. */
#define BATCH_ITEMS 256
#define BATCH_BYTES (1 << 20)
#define MASK_BYTES (CHUNK_BYTES / 64)

/* Sets *mask to the pointer bits of a heap item, NULL when unknown; false when it has none. */
static bool item_ptrs(struct search *s, const struct item *it, size_t len, __u8 *bits,
		      const __u8 **mask)
{
	size_t i;

	*mask = NULL;
	if (!s->io->ptrs || !bits || !it->depth || !len)
		return true;
	memset(bits, 0, MASK_BYTES);
	if (s->io->ptrs(s->io->ctx, it->addr, len, bits)) {
		s->out->conservative++;
		return true;
	}
	*mask = bits;
	for (i = 0; i < (len / 8 + 7) / 8; i++)
		if (bits[i]) {
			s->out->precise++;
			return true;
		}
	s->out->noscan++;
	return false;
}

int bw_reach_live(const struct bw_reach_in *in, const struct bw_reach_limits *lim,
		  const struct bw_reach_io *io, struct bw_reach_out *out)
{
	bw_reach_readv_fn readv = io->readv ? io->readv : read_each;
	void *rctx = io->readv ? io->ctx : (void *)io;
	struct search s = { .in = in, .io = io, .lim = lim, .out = out };
	struct bw_reach_piece piece[BATCH_ITEMS];
	const __u8 *mask[BATCH_ITEMS];
	struct bw_range *heap = NULL;
	__u8 *buf = NULL, *masks = NULL;
	size_t i, k, np, ni;
	int err = 0;

	s.sized = io->size_of || io->sizev;
	memset(out->live, 0, in->nwaiters * sizeof(*out->live));
	memset(out->reached, 0, in->nobjs * sizeof(*out->reached));
	out->rounds = out->objects = out->bytes = 0;
	out->precise = out->noscan = out->conservative = 0;
	heap = malloc((in->nheap ? in->nheap : 1) * sizeof(*heap));
	buf = malloc(BATCH_BYTES);
	masks = io->ptrs ? malloc(BATCH_ITEMS * MASK_BYTES) : NULL;
	s.pend = malloc(CHUNK_BYTES / 8 * sizeof(*s.pend));
	s.pbase = calloc(CHUNK_BYTES / 8, sizeof(*s.pbase));
	s.psize = calloc(CHUNK_BYTES / 8, sizeof(*s.psize));
	s.perr = calloc(CHUNK_BYTES / 8, sizeof(*s.perr));
	if (bw_hashmap__new(0, &s.seen) || !heap || !buf || (io->ptrs && !masks) || !s.pend ||
	    !s.pbase || !s.psize || !s.perr) {
		err = -ENOMEM;
		goto out;
	}
	err = index_objects(&s);
	if (err)
		goto out;
	memcpy(heap, in->heap, in->nheap * sizeof(*heap));
	qsort(heap, in->nheap, sizeof(*heap), cmp_range);
	s.heap = heap;
	s.nheap = in->nheap;
	for (i = 0; i < in->nwaiters; i++)
		s.nlivable += !in->waiters[i].never;
	for (i = 0; i < in->nroots && !err; i++)
		err = push_range(&s, in->roots[i].start, in->roots[i].end);
	/* Objects outside the heap (globals) are live, as the GC's isMarkedOrNotInHeap says. */
	for (i = 0; i < s.nobjs && !err; i++)
		if (!in_ranges(s.heap, s.nheap, s.objs[i].end - 1))
			err = reach_obj(&s, i, lim->max_hops);
	/* Waiting on something unknown: never proven leaked, so live. */
	for (i = 0; i < in->nwaiters && !err; i++)
		if (!in->waiters[i].n && !in->waiters[i].never)
			err = make_live(&s, i);
	/*
	 * Breadth first. The next items are read together, then scanned one by
	 * one in queue order exactly as if each had been read alone; a waiter
	 * made live appends its stack to the queue. Done when the queue is
	 * empty, or when every waiter that can be is live.
	 */
	while (!err && s.qhead < s.qlen && !(s.nlivable && s.nlive == s.nlivable)) {
		size_t used = 0;

		/* ni items, np of them read (words of their own are not read again) */
		for (ni = np = 0; ni < BATCH_ITEMS && s.qhead + ni < s.qlen; ni++) {
			const struct item *it = &s.queue[s.qhead + ni];
			size_t len = it->len & ~7u;

			if (it->depth & LENT)
				continue;
			if (len > CHUNK_BYTES)
				len = CHUNK_BYTES;
			if (used + len > BATCH_BYTES)
				break;
			/* A heap object without pointers (noscan) is not read at all. */
			if (!item_ptrs(&s, it, len, masks ? masks + np * MASK_BYTES : NULL,
				       &mask[np]))
				len = 0;
			piece[np++] = (struct bw_reach_piece){ .addr = it->addr,
							       .buf = buf + used,
							       .len = len };
			used += len;
		}
		if (np)
			readv(rctx, piece, np);
		for (k = np = 0; k < ni && !err && !(s.nlivable && s.nlive == s.nlivable); k++) {
			struct item it = s.queue[s.qhead++];
			size_t len = it.len & ~7u;

			if (s.bytes + len > lim->max_bytes) {
				err = -E2BIG;
				break;
			}
			s.bytes += len;
			if (it.depth & LENT) {
				err = scan_words(&s, (const __u64 *)(uintptr_t)it.addr,
						 it.depth & ~LENT, NULL, 0);
				continue;
			}
			if (!piece[np].len || piece[np].err) {
				np++;
				continue; /* unmapped or gone: nothing to follow */
			}
			err = scan_words(&s, piece[np].buf, piece[np].len / 8, mask[np], it.depth);
			np++;
		}
	}
	out->objects = bw_hashmap__count(s.seen);
	out->bytes = s.bytes;
out:
	free(s.queue);
	bw_hashmap__free(s.seen);
	free(s.pend);
	free(s.pbase);
	free(s.psize);
	free(s.perr);
	free(s.objs);
	free(s.obj_orig);
	free(s.wait_at);
	free(s.waits);
	free(heap);
	free(buf);
	free(masks);
	return err;
}

int bw_parse_anon_rw(FILE *maps, struct bw_range **out, size_t *n)
{
	unsigned long long start, end, inode;
	char line[4096], perms[8];
	struct bw_range *r = NULL;
	size_t cap = 0, len = 0;
	int name_at = 0;

	while (fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%llx-%llx %7s %*s %*s %llu %n", &start, &end, perms, &inode,
			   &name_at) < 4)
			continue;
		/* Anonymous: no inode and no name but maybe [heap]; read-write, private. */
		if (inode || perms[0] != 'r' || perms[1] != 'w' ||
		    (line[name_at] && line[name_at] != '\n' &&
		     strncmp(line + name_at, "[heap]", 6)))
			continue;
		if (len == cap) {
			struct bw_range *nr;

			cap = cap ? 2 * cap : 64;
			nr = realloc(r, cap * sizeof(*r));
			if (!nr) {
				free(r);
				return -ENOMEM;
			}
			r = nr;
		}
		r[len++] = (struct bw_range){ .start = start, .end = end };
	}
	*out = r;
	*n = len;
	return 0;
}

size_t bw_go_arenas(struct bw_range *r, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (r[i].end <= BW_GO_HEAP_END)
			r[k++] = r[i];
	return k;
}
