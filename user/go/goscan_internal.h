/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The goroutine scanner's own state, shared by its pieces: goscan.c (open,
 * the scan of allgs, g structs, the threads), gostack.c (stack reading),
 * gosudog.c (sudogs: select channels, sync objects), gospans.c (heap objects
 * by span) and goroots.c (the roots the runtime holds). Not for other
 * modules: goscan.h is the interface.
 */
#ifndef BW_GOSCAN_INTERNAL_H
#define BW_GOSCAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include <linux/types.h>
#include "core/gomodel.h"
#include "core/hashmap.h"
#include "go/gcmap.h"
#include "go/gobin.h"
#include "go/goreach.h"
#include "go/goscan.h"
#include "go/goversions.h"
#include "platform/memread.h"

#define ALLP_CANDIDATES 8
#define G_BUF_BYTES 2048
#define STACK_READ_MAX_BYTES 65536
/* Bytes of a parked stack hashed to see whether the goroutine ran (from sp). */
#define STACK_HASH_BYTES 512
/* Goroutines read per batch of process_vm_readv calls, and each one's first stack bytes. */
#define BATCH_ENTRIES 1024
#define STACK_FIRST_BYTES 2048
/*
 * linux/amd64 heap geometry of Go 1.19-1.26: 64 MiB arenas indexed from
 * arenaBaseOffset 0xffff800000000000 in a single-level map, 8 KiB pages.
 */
#define ARENA_BASE_OFFSET 0xffff800000000000ULL
#define LOG_ARENA_BYTES 26
#define ARENA_L2_ENTRIES (1ULL << 22)
#define PAGE_SHIFT 13
#define PAGES_PER_ARENA 8192
#define ARENA_CACHE_ENTRIES 64

/* A stack of return pcs, interned: goroutines parked alike share one. */
struct stack_ent {
	__u32 npcs;
	__u32 gen; /* last scan that used it */
	__u64 pcs[];
};

/* One goroutine of a batch while it is being read. */
struct pending {
	__u64 gaddr;
	struct bw_goroutine *g;
	__u64 lo, hi;
	__u64 sudog; /* next sudog of the chain to read, 0 when done */
	__u64 m, procid;
	__u8 sd[64]; /* the bytes of a sudog from c to waitlink */
	__u64 chans[BW_GO_CHANS_MAX_ENTRIES];
	__u32 nchans;
	__u32 stack_bytes; /* bytes of stack to read */
	int hops;
	bool live; /* still a candidate */
	bool sync; /* sleeps on a sync object (semaphore or notifyList) */
	__u64 sync_sudog;
	bool walk; /* has a stack to walk */
};

struct batch {
	struct pending p[BATCH_ENTRIES];
	struct bw_memvec v[2 * BATCH_ENTRIES];
	__u8 gbuf[BATCH_ENTRIES][G_BUF_BYTES];
	__u8 sbuf[BATCH_ENTRIES][STACK_FIRST_BYTES];
};

struct bw_goscan {
	pid_t pid;
	struct bw_mem *mem; /* not owned */
	struct bw_gobin *gb;
	struct bw_golayout lay;
	__u64 bias;
	__u64 allgs; /* runtime addresses */
	__u64 allm;
	/* tid -> goid from the last walk of allm */
	__u32 *m_tids;
	__u64 *m_goids;
	size_t nms;
	__u8 *stack_buf;	     /* STACK_READ_MAX_BYTES, for the few deep stacks */
	__u8 *stack_bits;	     /* STACK_READ_MAX_BYTES / 64 + 1: live words of one stack */
	struct bw_gcmap_memo *walks; /* stack walks of goroutines parked alike */
	__u64 *lwords;		     /* live stack words of the last scan's goroutines */
	size_t nlwords, cap_lwords;
	struct batch *batch;
	__u64 *chanv; /* channels of the last scan's goroutines */
	size_t nchanv, cap_chanv;
	struct bw_hashmap *stacks; /* interned pcs: their hash -> struct stack_ent * */
	/* This scan's Cond waiters: a sudog -> the last sudog of its notify list. */
	struct bw_hashmap *cond_tails;
	__u32 gen, last_ok_gen; /* scan counter; stacks are kept two good scans */
	struct bw_range *segs;	/* writable PT_LOADs: the globals */
	size_t nsegs;
	struct bw_range *roots; /* segs, then stacks of goroutines not stuck */
	size_t nroots, cap_roots;
	struct bw_range *heap;
	size_t nheap;
	struct bw_range *opaque; /* goroutine and g0 stacks */
	size_t nopaque, cap_opaque;
	__u64 allp;			  /* runtime.allp, 0 when unknown */
	__u64 allp_cand[ALLP_CANDIDATES]; /* where allp may be, without symbols */
	size_t nallp_cand;
	struct sudog_memo {
		__u64 pc;  /* sched.pc + 1, 0 = empty */
		__u32 off; /* stack offset of the sudog pointer last found there */
	} sudog_at[256];
	__u64 *ptrs; /* allgs as bw_goscan__begin read it */
	size_t nptrs, cap_ptrs;
	__u64 allgs_array;
	bool has_symbols; /* the runtime's globals are carved out of segs */
	__u64 mheap;	  /* runtime.mheap_, 0 when unknown */
	struct span_slot {
		__u64 page; /* page number + 1, 0 = empty */
		__u64 start;
		__u64 elemsize;
		__u64 npages, largetype; /* when the layout has them (span_class) */
		__u8 spanclass;
		bool span_class;
	} spans[4096];	 /* per-scan cache of page -> span */
	__u64 l2;	 /* mheap_.arenas[0], per scan */
	__u8 stuck[256]; /* by wait reason index: 0 unknown, 1 not stuck, 2 stuck */
	const char *stuck_reason[256];
	__u64 arena_idx[ARENA_CACHE_ENTRIES],
		arena_ptr[ARENA_CACHE_ENTRIES]; /* arena index + 1 -> heapArena */
	__u64 *stops; /* g structs and sudogs: the runtime's bookkeeping */
	size_t nstops, cap_stops;
	struct bw_gospecials spc; /* finalizers and cleanups */
	bool have_spc;
	__u64 allfin;		    /* runtime.allfin, 0 when unknown */
	__u64 gccleanups;	    /* runtime.gcCleanups (1.25+), 0 when unknown */
	struct bw_goheap *heapbits; /* which words of a heap object are pointers */
};

static inline struct bw_memvec vec(__u64 addr, void *buf, size_t len)
{
	return (struct bw_memvec){ .addr = addr, .buf = buf, .len = len };
}

static inline __u64 get64(const __u8 *buf, __s32 off)
{
	__u64 v = 0;

	if (off >= 0 && off + 8 <= G_BUF_BYTES)
		memcpy(&v, buf + off, 8);
	return v;
}

static inline __u32 get32(const __u8 *buf, __s32 off)
{
	__u32 v = 0;

	if (off >= 0 && off + 4 <= G_BUF_BYTES)
		memcpy(&v, buf + off, 4);
	return v;
}

/* goscan.c: the runtime's bookkeeping (stops) and the liveness search's roots. */
void bw_goscan_add_stop(struct bw_goscan *gs, __u64 addr);
void bw_goscan_add_root(struct bw_goscan *gs, __u64 start, __u64 end);

/* gostack.c: the hash of stack bytes that tells a goroutine ran (bw_goroutine.stack_hash). */
__u64 bw_goscan_hash_bytes(const __u8 *p, size_t n);
/* gostack.c: pcs, stack_hash and live words of each goroutine of the batch to walk. */
void bw_goscan_read_stacks(struct bw_goscan *gs, struct batch *b, size_t nb);
/* Drops the interned stacks last used before scan keep_gen. */
void bw_goscan_sweep_stacks(struct bw_goscan *gs, __u32 keep_gen);
/* Frees the table of interned stacks (NULL too). */
void bw_goscan_free_stacks(struct bw_hashmap *stacks);

/* gosudog.c: the channels of each select, then the sync object each sync waiter sleeps on. */
void bw_goscan_read_sudogs(struct bw_goscan *gs, struct batch *b, size_t nb);
void bw_goscan_read_sync(struct bw_goscan *gs, struct batch *b, size_t nb);

/* gospans.c: the heapArena of addr (its spans index), 0 when unknown. */
__u64 bw_goscan_arena_of(struct bw_goscan *gs, __u64 addr);

/* goroots.c: each P's timers and the runtime's channels; finalizers and cleanups. */
void bw_goscan_add_keepalive_roots(struct bw_goscan *gs);
void bw_goscan_add_finalizer_roots(struct bw_goscan *gs);

#endif
