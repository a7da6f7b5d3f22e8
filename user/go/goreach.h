/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which goroutines blocked on a concurrency primitive can still be woken?
 * The question the Go GC's goroutine leak detector asks (runtime mgc.go:
 * findGoroutineLeaks), asked of a process's memory from outside: a pointer
 * search from the roots (globals, the stacks of goroutines not blocked on a
 * primitive, the runtime's keep-alive references) through heap objects. A
 * waiter whose channel, mutex, wait group or cond is reached is live, and
 * its stack becomes a root in turn; the search goes on until nothing
 * changes. A waiter left over can never be woken: it is leaked. Pure:
 * memory comes through callbacks.
 */
#ifndef BW_GOREACH_H
#define BW_GOREACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

struct bw_range {
	__u64 start;
	__u64 end; /* exclusive */
};

/* 0 when all len bytes were read, a negative errno otherwise. */
typedef int (*bw_reach_read_fn)(void *ctx, __u64 addr, void *buf, size_t len);
/* The heap object containing addr: 0 with its start and size, or a negative errno. */
typedef int (*bw_reach_size_fn)(void *ctx, __u64 addr, __u64 *base, __u64 *size);

struct bw_reach_limits {
	int max_hops;	     /* pointer hops from a root */
	size_t object_bytes; /* bytes read of each object reached */
	size_t max_objects;
	size_t max_bytes; /* read in all */
};

/* One piece of a batched read: err is set to 0 or a negative errno for each. */
struct bw_reach_piece {
	__u64 addr;
	void *buf;
	size_t len;
	int err;
};
typedef void (*bw_reach_readv_fn)(void *ctx, struct bw_reach_piece *p, size_t n);
/* bw_reach_size_fn for n addresses at once: err[i] 0 with base[i], size[i] set, or < 0. */
typedef void (*bw_reach_sizev_fn)(void *ctx, const __u64 *addr, size_t n, __u64 *base, __u64 *size,
				  int *err);

/*
 * Which words of [addr, addr + len) (inside one heap object) hold pointers,
 * as the GC's heap bitmap says: bit i of bits (caller-zeroed, len / 8 bits)
 * for the word at addr + 8*i. 0 when known (no bit set: nothing to read),
 * or a negative errno: the words are then all taken as possible pointers.
 */
typedef int (*bw_reach_ptrs_fn)(void *ctx, __u64 addr, size_t len, __u8 *bits);

/* How the search reads memory: the batched callbacks, when set, save syscalls. */
struct bw_reach_io {
	bw_reach_read_fn read;
	bw_reach_readv_fn readv; /* or NULL */
	/*
	 * Or NULL for both: objects are then read lim->object_bytes from the
	 * pointer, and only the words of a scanned range are roots.
	 */
	bw_reach_size_fn size_of;
	bw_reach_sizev_fn sizev;
	bw_reach_ptrs_fn ptrs; /* or NULL: every word of a heap object may be a pointer */
	void *ctx;
};

/* A goroutine blocked on primitives: objs[obj_idx[at .. at + n)] are what it waits on. */
struct bw_reach_waiter {
	__u32 at;
	__u32 n;    /* 0 (and not never): unknown, so taken as live from the start */
	bool never; /* can never be woken (nil channel, select {}): never live */
};

/* Where a live waiter's stack roots go. */
struct bw_reach_sink;
/* Adds [start, end) as a root. 0 or -ENOMEM. */
int bw_reach_sink_add(struct bw_reach_sink *s, __u64 start, __u64 end);
/*
 * Adds words already read (words[0, n), kept by the caller until
 * bw_reach_live returns) as a root scanned as read, without reading memory
 * again; bytes is what it counts against max_bytes. 0 or -ENOMEM.
 */
int bw_reach_sink_words(struct bw_reach_sink *s, const __u64 *words, size_t n, size_t bytes);
/* The roots of waiter i, now live: its stack's live words. 0 or a negative errno. */
typedef int (*bw_reach_stack_fn)(void *ctx, size_t i, struct bw_reach_sink *sink);

struct bw_reach_in {
	const struct bw_range *roots;
	size_t nroots;
	const struct bw_range *heap; /* pointers are followed only into these */
	size_t nheap;
	/*
	 * Objects the search must not enter (sorted): the runtime's own
	 * records of who waits where (g structs, sudogs) point at what is
	 * waited on without keeping it alive for anyone.
	 */
	const __u64 *stops;
	size_t nstops;
	/* Memory never followed into (sorted, disjoint): goroutine stacks, roots only when live. */
	const struct bw_range *opaque;
	size_t nopaque;
	/*
	 * What waiters wait on: a word in [start, end) reaches the object
	 * (the object's extent when sizes are known, else its address). A
	 * reached object is scanned like any other: a channel's buffer keeps
	 * what it holds alive.
	 */
	const struct bw_range *objs;
	size_t nobjs;
	const __u32 *obj_idx;
	const struct bw_reach_waiter *waiters;
	size_t nwaiters;
	bw_reach_stack_fn stack_roots;
	void *stack_ctx;
};

struct bw_reach_out {
	bool *live;    /* per waiter, caller-allocated */
	bool *reached; /* per object, caller-allocated */
	size_t rounds; /* waiters made live by the search (each lent its stack) */
	size_t objects, bytes;
	/* Heap objects scanned by their pointer bits (none: not read), and word by word. */
	size_t precise, noscan, conservative;
};

/*
 * The fixpoint. 0 when the search ran to its end: every waiter not live is
 * proven unreachable. -E2BIG when a limit cut it (live is then a lower
 * bound: nothing is proven), -ENOMEM, or an error of stack_roots.
 */
int bw_reach_live(const struct bw_reach_in *in, const struct bw_reach_limits *lim,
		  const struct bw_reach_io *io, struct bw_reach_out *out);

/* The anonymous read-write mappings of a /proc/PID/maps text; *out malloc'd. */
int bw_parse_anon_rw(FILE *maps, struct bw_range **out, size_t *n);

/*
 * Keeps the ranges inside Go heap arenas, dropping the runtime's own
 * metadata (spans, arena indexes) whose words point at heap objects without
 * owning them. amd64: the runtime reserves arenas at hints i<<40 | 0xc0<<32,
 * from Go 1.26 at a random arena-aligned base under 1<<46; its metadata is
 * mapped where the kernel puts mmap(NULL), near the top (0x7f...).
 * Returns how many are kept, compacted at the front.
 */
#define BW_GO_HEAP_END (1ULL << 46)
size_t bw_go_arenas(struct bw_range *r, size_t n);

#endif
