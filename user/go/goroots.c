// SPDX-License-Identifier: GPL-2.0
/*
 * The roots the runtime holds outside goroutine stacks: each P's timers and
 * the channels its own goroutines wait on (its globals are left out of the
 * roots when symbols tell where they are), finalizers and cleanups.
 */
#include <string.h>
#include "go/gobin.h"
#include "go/goscan_internal.h"
#include "go/goversions.h"
#include "platform/memread.h"

/*
 * The runtime's references that keep waiters alive, when its globals are
 * left out of the roots (symbols known): each P's timers (they hold the
 * channels of time.After, NewTimer and tickers). Only p.timers is a root:
 * the rest of a P holds stale pointers (the write barrier buffer, GC work
 * buffers) that would keep leaked channels alive. Whole Ps for versions
 * whose p.timers offset is not known (bw_goversion_p_timers).
 */
#define P_BYTES_FALLBACK 16384
#define P_TIMERS_BYTES 64
#define ALLP_MAX_ENTRIES 1024

/* Runtime globals that hold channels its own goroutines wait on (ensureSigM's, unique's). */
static const char *const runtime_chans[] = {
	"runtime.enableSigChan", "runtime.disableSigChan", "runtime.maskUpdatedChan",
	"runtime.uniqueMapCleanup", /* unique's cleanup goroutine, 1.23+ */
};

/*
 * The Ps of a slice that may be allp: n of them, with p.id (an int32 at
 * offset 0 in every version) equal to the index. 0 when it is not allp.
 */
static size_t read_allp(struct bw_goscan *gs, __u64 at, __u64 *slice, __u64 *ps)
{
	size_t i, n;
	__s32 id;

	if (bw_mem__read(gs->mem, at, slice, 3 * 8) || !slice[1] || slice[1] > slice[2] ||
	    slice[1] > ALLP_MAX_ENTRIES)
		return 0;
	n = slice[1];
	if (bw_mem__read(gs->mem, slice[0], ps, n * 8))
		return 0;
	for (i = 0; i < n; i++)
		if (!ps[i] || (ps[i] & 7) || bw_mem__read(gs->mem, ps[i], &id, sizeof(id)) ||
		    id != (__s32)i)
			return 0;
	return n;
}

void bw_goscan_add_keepalive_roots(struct bw_goscan *gs)
{
	__u64 slice[3], ps[ALLP_MAX_ENTRIES], base, size;
	size_t i, n = 0;

	for (i = 0; gs->has_symbols && i < sizeof(runtime_chans) / sizeof(runtime_chans[0]); i++)
		if (!bw_gobin__lookup(gs->gb, runtime_chans[i], &base, &size))
			bw_goscan_add_root(gs, base + gs->bias, base + gs->bias + 8);

	if (gs->allp)
		n = read_allp(gs, gs->allp, slice, ps);
	for (i = 0; !gs->allp && !n && i < gs->nallp_cand; i++)
		n = read_allp(gs, gs->allp_cand[i], slice, ps);
	if (!n)
		return;
	/*
	 * A P is never entered (without symbols allp stays a root): its
	 * uintptr fields (the page cache base, the write barrier buffer) hold
	 * heap addresses that keep nothing alive. Its timers are the root.
	 */
	bw_goscan_add_stop(gs, slice[0]);
	for (i = 0; i < n; i++) {
		__s32 off = bw_goversion_p_timers(bw_gobin__info(gs->gb)->major,
						  bw_gobin__info(gs->gb)->minor);

		bw_goscan_add_stop(gs, ps[i]);
		if (off >= 0) {
			bw_goscan_add_root(gs, ps[i] + off, ps[i] + off + P_TIMERS_BYTES);
			continue;
		}
		if (bw_goscan__object(gs, ps[i], &base, &size) || base != ps[i])
			size = P_BYTES_FALLBACK;
		bw_goscan_add_root(gs, ps[i], ps[i] + size);
	}
}

/*
 * Finalizers and cleanups, as the GC marks them (markrootSpans and the
 * finalizer and cleanup queue roots): the special records of the spans
 * whose first page has its pageSpecials bit set, in the arenas of the heap
 * ranges. A finalizer's fn word and its object's contents, a cleanup's
 * pointer words, and the queued-to-run entries become roots; the records
 * and queue blocks are off the heap, the closures they point to on it.
 */
#define SPECIALS_MAX_ENTRIES (1u << 22) /* a guard against a torn list, not a budget */
#define FIN_BLOCKS_MAX_ENTRIES 4096
#define SPECIAL_BYTES 48

static void add_span_specials(struct bw_goscan *gs, __u64 span, size_t *budget)
{
	const struct bw_gospecials *sp = &gs->spc;
	__u64 rec, start, elem, off;
	__u8 buf[SPECIAL_BYTES];

	if (bw_mem__read_u64(gs->mem, span + sp->mspan_specials, &rec) ||
	    bw_mem__read_u64(gs->mem, span + gs->lay.mspan_startaddr, &start) ||
	    bw_mem__read_u64(gs->mem, span + gs->lay.mspan_elemsize, &elem))
		return;
	for (; rec && *budget; (*budget)--) {
		if (bw_mem__read(gs->mem, rec, buf, sizeof(buf)))
			return;
		if (buf[sp->special_kind] == sp->kind_finalizer) {
			__u16 off16;

			memcpy(&off16, buf + sp->special_offset, sizeof(off16));
			off = sp->special_offset_size == 2 ? off16 : get64(buf, sp->special_offset);
			bw_goscan_add_root(gs, rec + sp->finalizer_fn, rec + sp->finalizer_fn + 8);
			if (elem)
				bw_goscan_add_root(gs, start + off / elem * elem,
						   start + off / elem * elem + elem);
		} else if (sp->kind_cleanup && buf[sp->special_kind] == sp->kind_cleanup) {
			bw_goscan_add_root(gs, rec + sp->cleanup_ptrs,
					   rec + sp->cleanup_ptrs + sp->cleanup_nptrs * 8);
		}
		rec = get64(buf, 0);
	}
}

/*
 * A chain of the runtime's queue blocks from block (next at link, a u32
 * count at cnt_off, entries of size bytes at items, at most bytes of them):
 * each block's entries are roots.
 */
static void add_queued(struct bw_goscan *gs, __u64 block, __s32 link, __s32 cnt_off, __s32 items,
		       __s32 size, __u32 bytes)
{
	size_t nb;
	__u32 cnt;

	for (nb = 0; block && nb < FIN_BLOCKS_MAX_ENTRIES; nb++) {
		if (bw_mem__read(gs->mem, block + cnt_off, &cnt, sizeof(cnt)))
			break;
		if (cnt <= bytes / (__u32)size)
			bw_goscan_add_root(gs, block + items, block + items + (__u64)cnt * size);
		if (bw_mem__read_u64(gs->mem, block + link, &block))
			break;
	}
}

void bw_goscan_add_finalizer_roots(struct bw_goscan *gs)
{
	const struct bw_gospecials *sp = &gs->spc;
	__u64 last = 0, a, ha, block, span;
	__u8 bits[PAGES_PER_ARENA / 8];
	size_t i, budget = SPECIALS_MAX_ENTRIES;

	if (!gs->have_spc)
		return;
	for (i = 0; gs->mheap && gs->lay.mheap_arenas >= 0 && gs->lay.heaparena_spans >= 0 &&
		    gs->lay.mspan_startaddr >= 0 && gs->lay.mspan_elemsize >= 0 && i < gs->nheap;
	     i++) {
		for (a = gs->heap[i].start & ~((1ULL << LOG_ARENA_BYTES) - 1); a < gs->heap[i].end;
		     a += 1ULL << LOG_ARENA_BYTES) {
			if (a + 1 <= last || !(ha = bw_goscan_arena_of(gs, a)))
				continue;
			last = a + 1;
			if (bw_mem__read(gs->mem, ha + sp->arena_page_specials, bits, sizeof(bits)))
				continue;
			for (size_t p = 0; p < PAGES_PER_ARENA && budget; p++) {
				if (!(bits[p / 8] & (1u << (p % 8))) ||
				    bw_mem__read_u64(gs->mem, ha + gs->lay.heaparena_spans + p * 8,
						     &span) ||
				    !span)
					continue;
				add_span_specials(gs, span, &budget);
			}
		}
	}
	/* Queued to run: finblock.fin[0:cnt], then 1.25+'s cleanupBlock.cleanups[0:n]. */
	if (gs->allfin && !bw_mem__read_u64(gs->mem, gs->allfin, &block))
		add_queued(gs, block, 0, sp->finblock_cnt, sp->finblock_fin, sp->finalizer_size,
			   4096);
	if (gs->gccleanups && sp->cleanupq_all >= 0 &&
	    !bw_mem__read_u64(gs->mem, gs->gccleanups + sp->cleanupq_all, &block))
		add_queued(gs, block, sp->cleanupblock_alllink, sp->cleanupblock_n,
			   sp->cleanupblock_cleanups, sp->cleanup_entry_size, 512);
}
