/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Goroutines of a running Go process, read from its memory: the runtime's
 * allgs slice, each g (status, wait reason, waitsince, creation pc, saved
 * pc/sp/bp) and a frame-pointer walk of each parked stack. Costs the target
 * nothing: no probe, no stop.
 */
#ifndef BW_GOSCAN_H
#define BW_GOSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct bw_mem;
struct bw_gobin;
struct bw_goscan;

#define BW_GSTATUS_RUNNABLE 1
#define BW_GSTATUS_RUNNING 2
#define BW_GSTATUS_SYSCALL 3
#define BW_GSTATUS_WAITING 4
#define BW_GSTATUS_DEAD 6
#define BW_GSTATUS_LEAKED 10 /* 1.26 goroutineleak experiment */
#define BW_GO_STACK_MAX 32
#define BW_GO_CHANS_MAX 8

/*
 * Kept small: a watched process may have a million of them. The stack and
 * the channels of a select live outside, the stack shared by every goroutine
 * parked on the same frames.
 */
struct bw_goroutine {
	__u64 goid;
	__u64 gaddr;
	__u32 status;		 /* without the _Gscan bit */
	__u32 wait_idx;		 /* g.waitreason */
	const char *wait_reason; /* the runtime's own name, "" when unknown */
	__s64 waitsince_ns;	 /* runtime nanotime (CLOCK_MONOTONIC) of a GC that saw it parked */
	__u64 parent_goid;	 /* 0 before Go 1.21 */
	__u64 gopc;		 /* creation pc, link-time address */
	__u64 sched_pc, sched_sp, sched_bp;
	__u64 waiting;	    /* g.waiting (*sudog), 0 when none */
	__u64 chan;	    /* channel waited on (sudog.c), 0 when none */
	__u32 chans_at;	    /* every channel of a select (sudog.waitlink chain): */
	__u32 nchans;	    /* bw_goscan__chans()[chans_at ..] of the same scan */
	__u32 tid;	    /* thread running it (m.procid), 0 when none */
	__u32 tracking_seq; /* g.trackingSeq: moves each time it stops running */
	__u8 reach;	    /* enum bw_goreach_state: what the liveness search found */
	__u8 why;	    /* enum bw_gowhy: the evidence of a leak or deadlock verdict */
	/*
	 * Its stack's live words by the stack maps, from the scan's own read of
	 * the stack (bw_goscan__stack_words()[live_at ..], live_n words, the
	 * nonzero aligned ones of live_bits words marked live): map 0 when not
	 * mapped, BW_GOMAP_PRECISE or BW_GOMAP_CONSERVATIVE (bw_gcmap_stack's 0
	 * or 1).
	 */
	__u8 map;
	__u16 live_n, live_bits;
	__u64 stack_lo, stack_hi;
	__u64 sync_obj; /* sema address, notifyList or Cond a sync wait sleeps on, 0 if unknown */
	__u64 wait_obj; /* the object the evidence names (channel or sync object) */
	__u64 why_goid; /* another goroutine the evidence names, 0 when none */
	__u32 npcs;
	__u32 live_at;
	__u64 park_ns; /* exact park time from the opt-in probes, 0 when unknown */
	/* Link-time return pcs, innermost first: owned by the scanner, kept two scans. */
	const __u64 *pcs;
	__u64 stack_hash; /* of the parked frames' bytes: changes when it ran */
};

/* What the liveness search (goreach) found for a goroutine. */
enum bw_goreach_state {
	BW_REACH_UNKNOWN = 0, /* not a waiter, or no search ran */
	BW_REACH_LIVE,	      /* what it waits on is reachable: it may be woken */
	BW_REACH_DEAD,	      /* proven unreachable: nothing live can wake it */
	BW_REACH_CUT,	      /* the search hit a limit: nothing proven */
	BW_REACH_NOOBJ,	      /* what it waits on was not found in memory */
};

/* Why a goroutine is leak or deadlock (text by bw_gowhy_text in goverdict.h). */
enum bw_gowhy {
	BW_WHY_NONE = 0,
	BW_WHY_NILCHAN, /* chan send/receive on a nil channel */
	BW_WHY_NOCASES, /* select {} */
	BW_WHY_CHAN,	/* the channel(s) it waits on are unreachable */
	BW_WHY_SYNC,	/* the sync object it sleeps on is unreachable */
	BW_WHY_RUNTIME, /* the runtime's own leak detector said so (status leaked) */
	BW_WHY_CYCLE, /* a lock-wait cycle: its mutex is reached from why_goid's stack, next in the cycle */
	BW_WHY_COUNT,
};

/*
 * Opens the Go runtime of pid: -ENOEXEC when it is not a Go program, -ENOENT
 * when the runtime's structures cannot be found (layout or allgs). 
 */
int bw_goscan__new(pid_t pid, struct bw_mem *mem, struct bw_goscan **out);
/*
 * Reads every goroutine that is parked (waiting) or in a syscall; *gs is
 * malloc'd. Inconsistent reads (a g freed or moving under us) are skipped
 * and counted in *skipped. 0 or a negative errno.
 */
int bw_goscan__scan(struct bw_goscan *gs, struct bw_goroutine **out, size_t *n, size_t *skipped);
/*
 * The same in two halves, for a caller that reuses its records: begin reads
 * the allgs slice (*len: the most goroutines the scan can give); when it
 * fails nothing changed. read then reads the goroutines into out, room for
 * len records stride bytes apart, each starting with a struct bw_goroutine
 * (the rest of each zeroed).
 */
int bw_goscan__begin(struct bw_goscan *gs, size_t *len);
int bw_goscan__read(struct bw_goscan *gs, void *out, size_t stride, size_t *n, size_t *skipped);
/* After a scan: the channels the goroutines' chans_at and nchans index. */
const __u64 *bw_goscan__chans(const struct bw_goscan *gs, size_t *n);

#define BW_GOMAP_PRECISE 1
#define BW_GOMAP_CONSERVATIVE 2
/* The live stack words of the last scan's goroutines (bw_goroutine.live_at). */
const __u64 *bw_goscan__stack_words(const struct bw_goscan *gs, size_t *n);
/* Frees them (they serve the liveness search only): the records' live_at are then void. */
void bw_goscan__drop_stack_words(struct bw_goscan *gs);
/*
 * After a scan: the memory where live references to channels may sit (the
 * program's writable segments, the stacks of goroutines not stuck on a
 * channel or lock), and the anonymous read-write mappings pointers may be
 * followed into. Valid until the next scan.
 */
struct bw_range;
const struct bw_range *bw_goscan__roots(const struct bw_goscan *gs, size_t *n);
const struct bw_range *bw_goscan__heap(const struct bw_goscan *gs, size_t *n);
struct bw_mem *bw_goscan__mem(const struct bw_goscan *gs);
/* True when the roots leave out the runtime's own globals (symbols known). */
bool bw_goscan__precise_roots(const struct bw_goscan *gs);
/* The heap object containing addr (bw_reach_size_fn, ctx = the goscan). */
int bw_goscan__object(void *ctx, __u64 addr, __u64 *base, __u64 *size);
/* The same for n addresses in a few round trips (bw_reach_sizev_fn). */
void bw_goscan__objects(void *ctx, const __u64 *addr, size_t n, __u64 *base, __u64 *size, int *err);
/*
 * Which words of [addr, addr + len), inside one heap object, are pointers
 * (bw_reach_ptrs_fn, ctx = the goscan): from its span (noscan: none) and,
 * Go 1.22+, the heap bits or type mask (goheap.h). < 0 when unknown.
 */
int bw_goscan__pointers(void *ctx, __u64 addr, size_t len, __u8 *bits);
/* True when the span classes can be read; *all when every object's pointer bits can (1.22+). */
bool bw_goscan__heap_bits(const struct bw_goscan *gs, bool *all);
/* The runtime's records of goroutines (g structs, sudogs), sorted. */
const __u64 *bw_goscan__stops(const struct bw_goscan *gs, size_t *n);
/* Every goroutine stack (and the threads' g0 stacks): never heap objects, sorted. */
const struct bw_range *bw_goscan__stacks(const struct bw_goscan *gs, size_t *n);
/* Thread id -> goroutine id of the goroutine it runs (m.curg), 0 when idle. */
__u64 bw_goscan__goid_of_tid(struct bw_goscan *gs, __u32 tid);
const struct bw_gobin *bw_goscan__gobin(const struct bw_goscan *gs);
__u64 bw_goscan__bias(const struct bw_goscan *gs);
void bw_goscan__free(struct bw_goscan *gs);

#endif
