/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between Go versions and is not always readable from the
 * binary (stripped builds have no DWARF): the runtime.g / m / gobuf / sudog
 * field offsets and the wait reason names, per version, measured from the
 * DWARF and the runtime/runtime2.go of Debian's toolchains. The last resort
 * of gobin.c, which prefers what the binary itself says. Pure tables.
 */
#ifndef BW_GOVERSIONS_H
#define BW_GOVERSIONS_H

#include <linux/types.h>
#include "go/gobin.h"

/* The layout of Go major.minor (source BW_GOLAYOUT_TABLE, heap fields -1), or -ENOENT. */
int bw_goversion_layout(__u32 major, __u32 minor, struct bw_golayout *out);

/* Only the runtime.moduledata offsets (md_*) of Go major.minor, or -ENOENT. */
int bw_goversion_moduledata(__u32 major, __u32 minor, struct bw_golayout *out);

/*
 * The wait reason names of Go major.minor, index = g.waitreason: *names has
 * *count entries, names[0] is "" and the array is NULL-terminated. -ENOENT
 * for versions without a table (1.20 and those not measured).
 */
int bw_goversion_wait_reasons(__u32 major, __u32 minor, const char *const **names, __u32 *count);

/*
 * Where the runtime keeps finalizers and cleanups (mheap.go, mfinal.go,
 * mcleanup.go; offsets from the DWARF of linux/amd64 builds). The GC marks
 * from them (mgcmark.go markrootSpans, fixedRootFinalizers,
 * fixedRootCleanups): each span with specials has its first page's bit set
 * in heapArena.pageSpecials; mspan.specials lists its special records
 * {next, offset, kind, ...}, which live off the heap. A finalizer's record
 * holds its closure (fn) and keeps its object's referents alive; a cleanup's
 * holds its function (and, 1.26+, the argument). Finalizers (and 1.24's
 * cleanups) queued to run sit in finblocks chained from runtime.allfin; 1.25+
 * queues cleanups in cleanupBlocks chained from runtime.gcCleanups.all.
 */
struct bw_gospecials {
	__s32 arena_page_specials; /* heapArena.pageSpecials: [1024]u8 */
	__s32 mspan_specials;	   /* mspan.specials: *special */
	__s32 special_offset;	   /* special.offset: object offset in the span */
	__u8 special_offset_size;  /* 2 (u16, up to 1.23) or 8 */
	__s32 special_kind;	   /* special.kind: u8 */
	__u8 kind_finalizer;
	__u8 kind_cleanup;    /* 0: no cleanups (before 1.24) */
	__s32 finalizer_fn;   /* specialfinalizer.fn */
	__s32 cleanup_ptrs;   /* specialCleanup: first pointer word the GC scans */
	__s32 cleanup_nptrs;  /* words from there: fn (1.24, 1.25), call/fn/arg (1.26+) */
	__s32 finblock_cnt;   /* finblock.cnt u32; alllink at 0 */
	__s32 finblock_fin;   /* finblock.fin: [cnt]finalizer */
	__s32 finalizer_size; /* runtime.finalizer: fn, arg, nret, fint, ot */
	__s32 cleanupq_all;   /* cleanupQueue.all: *cleanupBlock, -1 before 1.25 */
	__s32 cleanupblock_alllink;
	__s32 cleanupblock_n; /* u32 */
	__s32 cleanupblock_cleanups;
	__s32 cleanup_entry_size; /* *funcval (1.25) or cleanupFn (1.26+) */
};

/* The finalizer and cleanup layout of Go major.minor (1.19, 1.21-1.27), or -ENOENT. */
int bw_goversion_specials(__u32 major, __u32 minor, struct bw_gospecials *out);

/*
 * The heap metadata offsets of Go major.minor (mheap_arenas,
 * heaparena_spans, mspan_startaddr, mspan_elemsize; the rest of out is
 * left alone), or -ENOENT.
 */
int bw_goversion_heap(__u32 major, __u32 minor, struct bw_golayout *out);

/* The offset of p.timers in runtime.p of Go major.minor, or -1 when not known. */
__s32 bw_goversion_p_timers(__u32 major, __u32 minor);

/* sudog fields, stable from Go 1.9 to 1.27: g +0, next +8, elem +24 (1.26: its vp). */
#define BW_GO_SUDOG_G 0
#define BW_GO_SUDOG_NEXT 8
#define BW_GO_SUDOG_ELEM 24

#endif
