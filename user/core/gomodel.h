/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What blockwatch knows about the goroutines of a Go process: plain data,
 * made by go/ (goscan reads the goroutines, goverdict judges them) and read
 * by the capture, the exporters and the snapshots, which need no Go reader
 * for it. Strings (names, files, wait reasons) are target-controlled:
 * escape them on output.
 */
#ifndef BW_GOMODEL_H
#define BW_GOMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "core/model.h"

/* g.atomicstatus, without the _Gscan bit. */
#define BW_GSTATUS_RUNNABLE 1
#define BW_GSTATUS_RUNNING 2
#define BW_GSTATUS_SYSCALL 3
#define BW_GSTATUS_WAITING 4
#define BW_GSTATUS_DEAD 6
#define BW_GSTATUS_LEAKED 10	    /* 1.26 goroutineleak experiment */
#define BW_GO_STACK_MAX_ENTRIES 32  /* return pcs kept of a parked stack */
#define BW_GO_CHANS_MAX_ENTRIES 8   /* channels kept of a select */
#define BW_GO_FRAMES_MAX_ENTRIES 48 /* of a record's symbolized stack */

/*
 * One frame. name and file are never NULL ("" when unknown). For a frame of
 * a function inlined into its caller, entry/end are those of the physical
 * function the code was compiled into, inlined is 1.
 */
struct bw_gofunc {
	const char *name; /* "main.(*worker).run" */
	const char *file; /* "/home/x/main.go" */
	__u64 entry;	  /* first pc of the physical function */
	__u64 end;	  /* one past its last pc */
	__s32 line;	  /* 0 when unknown */
	__u32 inlined;
};

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
	__u8 in_place; /* a second read right after the scan saw it parked the same (goinplace.h) */
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

#define BW_GOMAP_PRECISE 1
#define BW_GOMAP_CONSERVATIVE 2

/* What the liveness search (goreach) found for a goroutine. */
enum bw_goreach_state {
	BW_REACH_UNKNOWN = 0, /* not a waiter, or no search ran */
	BW_REACH_LIVE,	      /* what it waits on is reachable: it may be woken */
	BW_REACH_DEAD,	      /* proven unreachable: nothing live can wake it */
	BW_REACH_CUT,	      /* the search hit a limit: nothing proven */
	BW_REACH_NOOBJ,	      /* what it waits on was not found in memory */
};

/* Why a goroutine is leak or deadlock (text by bw_gowhy_text in go/gowait.h). */
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

enum bw_gowait_class {
	BW_GOWAIT_OTHER = 0,
	BW_GOWAIT_CHAN,	   /* chan send/receive, select */
	BW_GOWAIT_NILCHAN, /* nil channel, select {}: can never wake */
	BW_GOWAIT_SYNC,	   /* sync.Mutex, RWMutex, WaitGroup, Cond, semacquire */
	BW_GOWAIT_IO,	   /* network poller */
	BW_GOWAIT_SLEEP,
	BW_GOWAIT_RUNTIME, /* GC, finalizers, timers, tracing */
	BW_GOWAIT_SYSCALL, /* in a syscall or cgo call: a thread is blocked */
};

/* How a goroutine's age is known: a lower bound in the first two cases. */
enum bw_age_source {
	BW_AGE_WATCHED = 0, /* seen parked in place since blockwatch first saw it */
	BW_AGE_WAITSINCE,   /* g.waitsince: a GC found it parked then */
	BW_AGE_PROBE,	    /* the opt-in probes saw it park */
};

const char *bw_age_source_name(enum bw_age_source s);

struct bw_gorec {
	struct bw_goroutine g;
	/* Logical frames, inlined expanded: when reported, or blocked or worse at any age. */
	struct bw_gofunc *stack;
	int nstack;
	struct bw_gofunc blocked_at; /* first frame outside runtime and sync */
	struct bw_gofunc created_by;
	bool runtime_only; /* runtime-internal goroutine */
	bool lock_wait;	   /* its stack passes through taking a sync.Mutex or RWMutex */
	__u64 blocked_ns;  /* lower bound of the time parked in place */
	enum bw_age_source age_source;
	enum bw_verdict verdict;
	/*
	 * The verdict it gets at any age (threshold 0), and the evidence that
	 * goes with it: what a snapshot keeps so a report with a lower
	 * threshold can judge it offline. verdict is this or NONE (a leak or
	 * deadlock seen parked in place is reported at any age: leak in both).
	 */
	enum bw_verdict verdict_any;
	__u8 why_any;
	__u32 group; /* index into the groups */
};

struct bw_gogroup {
	const char *wait_reason;
	struct bw_gofunc blocked_at;
	struct bw_gofunc created_by;
	size_t count;	 /* goroutines of the site now */
	size_t reported; /* of them blocked at least the threshold */
	__u64 oldest_ns;
	double growth_per_min;	 /* of count, over the watch; 0 before two scans */
	enum bw_verdict verdict; /* the worst of its members */
	__u64 key;		 /* stable hash of the site */
};

/*
 * Whether r's age was measured: g.waitsince is set only by a GC that finds
 * the goroutine parked, so one parked since the last GC, first seen by this
 * scan and not seen park by the probes, has no age yet (blocked_ns 0 is no
 * measure). A group whose reported members all have none has oldest_ns 0.
 */
static inline bool bw_gorec_age_known(const struct bw_gorec *r)
{
	return r->age_source != BW_AGE_WATCHED || r->blocked_ns > 0;
}

/* Counts r, which has a verdict, among the reported of its group gr: worst verdict, oldest age. */
static inline void bw_gogroup_add_reported(struct bw_gogroup *gr, const struct bw_gorec *r)
{
	gr->reported++;
	if (r->verdict > gr->verdict)
		gr->verdict = r->verdict;
	if (r->blocked_ns > gr->oldest_ns)
		gr->oldest_ns = r->blocked_ns;
}

/* Frees recs and each record's own stack (not those a bw_gosyms cache shares). */
void bw_gorecs_free(struct bw_gorec *recs, size_t n);

#endif
