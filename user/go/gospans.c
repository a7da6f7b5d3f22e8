// SPDX-License-Identifier: GPL-2.0
/*
 * The heap object containing an address, from the span of its page
 * (mheap_.arenas -> heapArena.spans -> mspan), cached per scan and looked up
 * in batches; its pointer words through goheap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "go/gobin.h"
#include "go/goheap.h"
#include "go/goscan_internal.h"
#include "platform/memread.h"

#define SPAN_FIELDS_BYTES 256 /* bytes of an mspan read to get startAddr and elemsize */
static struct span_slot *span_slot(struct bw_goscan *gs, __u64 addr)
{
	return &gs->spans[(addr >> PAGE_SHIFT) % (sizeof(gs->spans) / sizeof(gs->spans[0]))];
}

/* The object of addr from a cached span (slot filled for addr's page). */
static int object_in(const struct span_slot *slot, __u64 addr, __u64 *base, __u64 *size)
{
	if (!slot->elemsize || addr < slot->start)
		return -ENOENT;
	*base = slot->start + (addr - slot->start) / slot->elemsize * slot->elemsize;
	*size = slot->elemsize;
	return 0;
}

/* The heapArena of addr (its spans index), 0 when unknown; a few per scan. */
__u64 bw_goscan_arena_of(struct bw_goscan *gs, __u64 addr)
{
	const struct bw_golayout *l = &gs->lay;
	__u64 idx = (addr - ARENA_BASE_OFFSET) >> LOG_ARENA_BYTES, arena = 0;
	size_t slot = idx % ARENA_CACHE_ENTRIES;

	if (idx >= ARENA_L2_ENTRIES)
		return 0;
	if (gs->arena_idx[slot] == idx + 1)
		return gs->arena_ptr[slot];
	if (!gs->l2 && bw_mem__read_u64(gs->mem, gs->mheap + l->mheap_arenas, &gs->l2))
		gs->l2 = 0;
	if (!gs->l2 || bw_mem__read_u64(gs->mem, gs->l2 + idx * 8, &arena) || !arena)
		return 0;
	gs->arena_idx[slot] = idx + 1;
	gs->arena_ptr[slot] = arena;
	return arena;
}

static int object_slow(struct bw_goscan *gs, __u64 addr, __u64 *base, __u64 *size)
{
	const struct bw_golayout *l = &gs->lay;
	__u64 page = addr >> PAGE_SHIFT, span = 0, start, elem,
	      arena = bw_goscan_arena_of(gs, addr);
	struct span_slot *slot = span_slot(gs, addr);

	if (slot->page != page + 1) {
		if (!arena ||
		    bw_mem__read_u64(gs->mem,
				     arena + l->heaparena_spans + (page % PAGES_PER_ARENA) * 8,
				     &span) ||
		    !span || bw_mem__read_u64(gs->mem, span + l->mspan_startaddr, &start) ||
		    bw_mem__read_u64(gs->mem, span + l->mspan_elemsize, &elem))
			return -ENOENT;
		slot->page = page + 1;
		slot->start = start;
		slot->elemsize = elem;
		slot->span_class = false;
	}
	return object_in(slot, addr, base, size);
}

int bw_goscan__object(void *ctx, __u64 addr, __u64 *base, __u64 *size)
{
	int err;

	bw_goscan__objects(ctx, &addr, 1, base, size, &err);
	return err;
}

/* Pages whose span is looked up per round trip. */
#define SPAN_BATCH 256

/*
 * The bytes [*lo, *hi) of an mspan read for each span: startAddr and
 * elemsize, and the pointer bits' fields when they fit. True with those.
 */
static bool span_fields(const struct bw_goscan *gs, __s32 *lo, __s32 *hi)
{
	const struct bw_golayout *l = &gs->lay;
	const __s32 f[] = { l->mspan_npages, l->mspan_spanclass, l->mspan_largetype };
	__s32 a = l->mspan_startaddr < l->mspan_elemsize ? l->mspan_startaddr : l->mspan_elemsize;
	__s32 b =
		(l->mspan_startaddr > l->mspan_elemsize ? l->mspan_startaddr : l->mspan_elemsize) +
		8;
	size_t i;

	*lo = a;
	*hi = b;
	if (!gs->heapbits)
		return false;
	for (i = 0; i < 3; i++) {
		if (f[i] < 0)
			continue;
		if (f[i] < a)
			a = f[i];
		if (f[i] + 8 > b)
			b = f[i] + 8;
	}
	if (b - a > SPAN_FIELDS_BYTES)
		return false;
	*lo = a;
	*hi = b;
	return true;
}

static void objects_batch(struct bw_goscan *gs, const __u64 *addr, size_t n, __u64 *base,
			  __u64 *size, int *err)
{
	const struct bw_golayout *l = &gs->lay;
	__s32 lo, hi;
	bool cls = span_fields(gs, &lo, &hi);
	struct bw_memvec v[SPAN_BATCH];
	__u64 span[SPAN_BATCH], fields[SPAN_BATCH][SPAN_FIELDS_BYTES / 8], arena;
	size_t miss[SPAN_BATCH], i, k, nm = 0, nv;

	for (i = 0; i < n; i++) {
		struct span_slot *slot = span_slot(gs, addr[i]);

		err[i] = -ENOENT;
		if (slot->page == (addr[i] >> PAGE_SHIFT) + 1)
			err[i] = object_in(slot, addr[i], &base[i], &size[i]);
		else if ((arena = bw_goscan_arena_of(gs, addr[i]))) {
			span[nm] = arena + l->heaparena_spans +
				   ((addr[i] >> PAGE_SHIFT) % PAGES_PER_ARENA) * 8;
			miss[nm++] = i;
		}
	}
	for (k = 0; k < nm; k++)
		v[k] = vec(span[k], &span[k], 8);
	bw_mem__readv(gs->mem, v, nm);
	for (k = nv = 0; k < nm; k++) {
		if (v[k].err || !span[k])
			continue;
		miss[nv] = miss[k];
		span[nv++] = span[k];
	}
	nm = nv;
	/* startAddr and elemsize: one piece of each span. */
	for (k = 0; k < nm; k++)
		/* cppcheck-suppress uninitvar ; span[0..nm) was written by the loops above */
		v[k] = vec(span[k] + lo, fields[k], hi - lo);
	bw_mem__readv(gs->mem, v, nm);
	for (k = 0; k < nm; k++) {
		struct span_slot *slot;

		/* cppcheck-suppress uninitvar ; as span[0..nm) */
		i = miss[k];
		if (v[k].err)
			continue;
		slot = span_slot(gs, addr[i]);
		slot->page = (addr[i] >> PAGE_SHIFT) + 1;
		memcpy(&slot->start, (__u8 *)fields[k] + (l->mspan_startaddr - lo), 8);
		memcpy(&slot->elemsize, (__u8 *)fields[k] + (l->mspan_elemsize - lo), 8);
		slot->span_class = cls;
		if (cls) {
			const __u8 *f = (const __u8 *)fields[k];

			memcpy(&slot->npages, f + (l->mspan_npages - lo), 8);
			slot->spanclass = f[l->mspan_spanclass - lo];
			slot->largetype = 0;
			if (l->mspan_largetype >= 0)
				memcpy(&slot->largetype, f + (l->mspan_largetype - lo), 8);
		}
		err[i] = object_in(slot, addr[i], &base[i], &size[i]);
	}
}

void bw_goscan__objects(void *ctx, const __u64 *addr, size_t n, __u64 *base, __u64 *size, int *err)
{
	struct bw_goscan *gs = ctx;
	const struct bw_golayout *l = &gs->lay;
	size_t i;

	/* Far apart fields (never seen): one read each, as a slow path. */
	if (abs(l->mspan_startaddr - l->mspan_elemsize) + 8 > SPAN_FIELDS_BYTES) {
		for (i = 0; i < n; i++)
			err[i] = object_slow(gs, addr[i], &base[i], &size[i]);
		return;
	}
	for (i = 0; i < n; i += SPAN_BATCH)
		objects_batch(gs, addr + i, n - i < SPAN_BATCH ? n - i : SPAN_BATCH, base + i,
			      size + i, err + i);
}

int bw_goscan__pointers(void *ctx, __u64 addr, size_t len, __u8 *bits)
{
	struct bw_goscan *gs = ctx;
	const struct span_slot *slot = span_slot(gs, addr);
	struct bw_goheap_span sp;
	__u64 base, size;

	if (!gs->heapbits)
		return -EOPNOTSUPP;
	if (slot->page != (addr >> PAGE_SHIFT) + 1 && bw_goscan__object(gs, addr, &base, &size))
		return -ENOENT;
	if (slot->page != (addr >> PAGE_SHIFT) + 1 || !slot->span_class)
		return -ENOENT;
	sp = (struct bw_goheap_span){ .base = slot->start,
				      .npages = slot->npages,
				      .elemsize = slot->elemsize,
				      .largetype = slot->largetype,
				      .spanclass = slot->spanclass };
	return bw_goheap__ptrs(gs->heapbits, &sp, addr, len, bits);
}

bool bw_goscan__heap_bits(const struct bw_goscan *gs, bool *all)
{
	*all = gs->heapbits && bw_gobin__info(gs->gb)->minor >= 22;
	return gs->heapbits;
}
