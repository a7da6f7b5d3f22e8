// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "goreach.h"

#define CHUNK 65536

struct item {
	__u64 addr;
	__u32 len;
	__u32 depth;
};

struct search {
	const struct bw_range *heap;
	size_t nheap;
	const __u64 *targets;
	size_t ntargets;
	const __u64 *stops;
	size_t nstops;
	const struct bw_reach_io *io;
	__u64 *pend; /* pointers of one chunk to push, in order */
	__u64 *pbase, *psize;
	int *perr;
	bool *found;
	size_t nfound;
	const struct bw_reach_limits *lim;
	struct item *queue;
	size_t qhead, qlen, qcap;
	__u64 *seen; /* open addressing, 0 = empty */
	size_t seen_cap, nseen;
	size_t bytes;
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

static long target_index(const struct search *s, __u64 v)
{
	size_t lo = 0, hi = s->ntargets;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->targets[mid] == v)
			return mid;
		if (s->targets[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
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

static bool is_target_or_stop(const struct search *s, __u64 v)
{
	size_t i = lower_bound(s->stops, s->nstops, v);

	return (i < s->nstops && s->stops[i] == v) || target_index(s, v) >= 0;
}

/*
 * How much of an object at addr to read: up to len, but not into the next
 * stop or target, which would lend it their pointers.
 */
static size_t clip(const struct search *s, __u64 addr, size_t len)
{
	size_t i = lower_bound(s->stops, s->nstops, addr + 1);
	size_t j = lower_bound(s->targets, s->ntargets, addr + 1);

	if (i < s->nstops && s->stops[i] < addr + len)
		len = s->stops[i] - addr;
	if (j < s->ntargets && s->targets[j] < addr + len)
		len = s->targets[j] - addr;
	return len;
}

/* Bytes to read of the object at addr (base, size when known, err < 0 when not). */
static size_t object_len(const struct search *s, __u64 addr, __u64 base, __u64 size, int err)
{
	__u64 len = s->lim->object_bytes;

	if (s->io->size_of || s->io->sizev) {
		if (err || addr < base || addr >= base + size)
			return 0;
		if (base + size - addr < len)
			len = base + size - addr;
	}
	return clip(s, addr, len);
}

/* True the first time addr is seen. */
static bool first_visit(struct search *s, __u64 addr)
{
	size_t i = (addr * 0x9e3779b97f4a7c15ULL) & (s->seen_cap - 1);

	while (s->seen[i]) {
		if (s->seen[i] == addr)
			return false;
		i = (i + 1) & (s->seen_cap - 1);
	}
	s->seen[i] = addr;
	s->nseen++;
	return true;
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

static int scan_words(struct search *s, const __u64 *w, size_t n, int depth)
{
	size_t i, np = 0;
	long t;
	int err = 0;

	for (i = 0; i < n; i++) {
		if (!w[i] || (w[i] & 7))
			continue;
		t = target_index(s, w[i]);
		if (t >= 0 && !s->found[t]) {
			s->found[t] = true;
			s->nfound++;
		}
		if (depth >= s->lim->max_depth || !in_ranges(s->heap, s->nheap, w[i]) ||
		    is_target_or_stop(s, w[i]))
			continue;
		if (s->nseen >= s->lim->max_objects)
			return -E2BIG; /* the search ends: what was to be pushed does not matter */
		if (!first_visit(s, w[i]))
			continue;
		s->pend[np++] = w[i];
	}
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

	return x->start < y->start ? -1 : x->start > y->start;
}

int bw_reach(const struct bw_range *roots, size_t nroots, const struct bw_range *heap, size_t nheap,
	     const __u64 *targets, size_t ntargets, bool *found, const struct bw_reach_limits *lim,
	     bw_reach_read_fn read, void *ctx)
{
	return bw_reach_stops(roots, nroots, heap, nheap, targets, ntargets, found, NULL, 0, lim,
			      read, ctx);
}

int bw_reach_stops(const struct bw_range *roots, size_t nroots, const struct bw_range *heap,
		   size_t nheap, const __u64 *targets, size_t ntargets, bool *found,
		   const __u64 *stops, size_t nstops, const struct bw_reach_limits *lim,
		   bw_reach_read_fn read, void *ctx)
{
	return bw_reach_sized(roots, nroots, heap, nheap, targets, ntargets, found, stops, nstops,
			      lim, read, NULL, ctx);
}

static void read_each(void *ctx, struct bw_reach_piece *p, size_t n)
{
	const struct bw_reach_io *io = ctx;
	size_t i;

	for (i = 0; i < n; i++)
		p[i].err = io->read(io->ctx, p[i].addr, p[i].buf, p[i].len);
}

int bw_reach_sized(const struct bw_range *roots, size_t nroots, const struct bw_range *heap,
		   size_t nheap, const __u64 *targets, size_t ntargets, bool *found,
		   const __u64 *stops, size_t nstops, const struct bw_reach_limits *lim,
		   bw_reach_read_fn read, bw_reach_size_fn size_of, void *ctx)
{
	struct bw_reach_io io = { .read = read, .size_of = size_of, .ctx = ctx };

	return bw_reach_io(roots, nroots, heap, nheap, targets, ntargets, found, stops, nstops, lim,
			   &io);
}

/* Items read per round trip, and their bytes at most. */
#define BATCH_ITEMS 256
#define BATCH_BYTES (1 << 20)

int bw_reach_io(const struct bw_range *roots, size_t nroots, const struct bw_range *heap_in,
		size_t nheap, const __u64 *targets, size_t ntargets, bool *found,
		const __u64 *stops, size_t nstops, const struct bw_reach_limits *lim,
		const struct bw_reach_io *io_in)
{
	const struct bw_reach_io *io = io_in;
	bw_reach_readv_fn readv = io->readv ? io->readv : read_each;
	void *rctx = io->readv ? io->ctx : (void *)io;
	struct search s = { .targets = targets,
			    .ntargets = ntargets,
			    .found = found,
			    .lim = lim,
			    .stops = stops,
			    .nstops = nstops,
			    .io = io };
	struct bw_reach_piece piece[BATCH_ITEMS];
	struct bw_range *heap = NULL;
	__u8 *buf = NULL;
	size_t i, k, np;
	int err = 0;

	memset(found, 0, ntargets * sizeof(*found));
	if (!ntargets)
		return 0;
	heap = malloc((nheap ? nheap : 1) * sizeof(*heap));
	buf = malloc(BATCH_BYTES);
	s.pend = malloc(CHUNK / 8 * sizeof(*s.pend));
	s.pbase = calloc(CHUNK / 8, sizeof(*s.pbase));
	s.psize = calloc(CHUNK / 8, sizeof(*s.psize));
	s.perr = calloc(CHUNK / 8, sizeof(*s.perr));
	for (s.seen_cap = 1024; s.seen_cap < 2 * lim->max_objects; s.seen_cap *= 2)
		;
	s.seen = calloc(s.seen_cap, sizeof(*s.seen));
	if (!heap || !buf || !s.seen || !s.pend || !s.pbase || !s.psize || !s.perr) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(heap, heap_in, nheap * sizeof(*heap));
	qsort(heap, nheap, sizeof(*heap), cmp_range);
	s.heap = heap;
	s.nheap = nheap;
	for (i = 0; i < nroots && !err; i++) {
		__u64 a;

		for (a = roots[i].start & ~7ULL; a < roots[i].end && !err; a += CHUNK)
			err = push(&s, a, roots[i].end - a < CHUNK ? roots[i].end - a : CHUNK, 0);
	}
	/*
	 * Breadth first: the nearest references are the likeliest real ones. The
	 * next items are read together, then scanned one by one in queue order
	 * exactly as if each had been read alone.
	 */
	while (!err && s.qhead < s.qlen && s.nfound < ntargets) {
		size_t used = 0;

		for (np = 0; np < BATCH_ITEMS && s.qhead + np < s.qlen; np++) {
			size_t len = s.queue[s.qhead + np].len & ~7u;

			if (len > CHUNK)
				len = CHUNK;
			if (used + len > BATCH_BYTES)
				break;
			piece[np] = (struct bw_reach_piece){ .addr = s.queue[s.qhead + np].addr,
							     .buf = buf + used,
							     .len = len };
			used += len;
		}
		readv(rctx, piece, np);
		for (k = 0; k < np && !err && s.nfound < ntargets; k++) {
			struct item it = s.queue[s.qhead++];
			size_t len = it.len & ~7u;

			if (s.bytes + len > lim->max_bytes) {
				err = -E2BIG;
				break;
			}
			s.bytes += len;
			if (!piece[k].len || piece[k].err)
				continue; /* unmapped or gone: nothing to follow */
			err = scan_words(&s, piece[k].buf, piece[k].len / 8, it.depth);
		}
	}
out:
	free(s.queue);
	free(s.seen);
	free(s.pend);
	free(s.pbase);
	free(s.psize);
	free(s.perr);
	free(heap);
	free(buf);
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
		if (((r[i].start >> 32) & 0xff) == 0xc0)
			r[k++] = r[i];
	return k;
}
