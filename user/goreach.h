/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Can anyone still reach the channel a goroutine waits on? A bounded,
 * conservative pointer search from roots (the program's globals, the stacks
 * of goroutines that are not themselves stuck) through heap objects. A
 * channel nothing reaches can never be sent to or closed: its waiters are
 * leaked (the question Go 1.26's goroutine leak detector asks the GC). One
 * that is reached may still wake. Pure: memory comes through a callback.
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
	int max_depth;	     /* pointer hops from a root */
	size_t object_bytes; /* bytes read of each object reached */
	size_t max_objects;
	size_t max_bytes; /* read in all */
};

/*
 * Sets found[i] for every targets[i] (sorted ascending) seen as a word in the
 * roots or in an object reached from them; objects are followed only inside
 * the heap ranges. 0 when the search ran to its end, -E2BIG when a limit
 * stopped it (then found is a lower bound), -ENOMEM.
 */
int bw_reach(const struct bw_range *roots, size_t nroots, const struct bw_range *heap, size_t nheap,
	     const __u64 *targets, size_t ntargets, bool *found, const struct bw_reach_limits *lim,
	     bw_reach_read_fn read, void *ctx);

/*
 * Objects the search must not enter nor read into (sorted): the runtime's own
 * records of who waits where (g structs, sudogs) and the channels themselves
 * point at the channels without keeping them alive for anyone. Set before
 * bw_reach through this variant.
 */
int bw_reach_stops(const struct bw_range *roots, size_t nroots, const struct bw_range *heap,
		   size_t nheap, const __u64 *targets, size_t ntargets, bool *found,
		   const __u64 *stops, size_t nstops, const struct bw_reach_limits *lim,
		   bw_reach_read_fn read, void *ctx);
/*
 * With object sizes: an object is read from the pointer to its end (at most
 * lim->object_bytes), never into its neighbours; pointers whose object is
 * unknown are not followed.
 */
int bw_reach_sized(const struct bw_range *roots, size_t nroots, const struct bw_range *heap,
		   size_t nheap, const __u64 *targets, size_t ntargets, bool *found,
		   const __u64 *stops, size_t nstops, const struct bw_reach_limits *lim,
		   bw_reach_read_fn read, bw_reach_size_fn size_of, void *ctx);

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

/* How the search reads memory: the batched callbacks, when set, save syscalls. */
struct bw_reach_io {
	bw_reach_read_fn read;
	bw_reach_readv_fn readv;  /* or NULL */
	bw_reach_size_fn size_of; /* or NULL: objects are read lim->object_bytes long */
	bw_reach_sizev_fn sizev;  /* or NULL */
	void *ctx;
};

/* bw_reach_sized with batched reads: the same result, fewer round trips. */
int bw_reach_io(const struct bw_range *roots, size_t nroots, const struct bw_range *heap,
		size_t nheap, const __u64 *targets, size_t ntargets, bool *found,
		const __u64 *stops, size_t nstops, const struct bw_reach_limits *lim,
		const struct bw_reach_io *io);

/* The anonymous read-write mappings of a /proc/PID/maps text; *out malloc'd. */
int bw_parse_anon_rw(FILE *maps, struct bw_range **out, size_t *n);

/*
 * Keeps the ranges inside Go heap arenas (amd64: the runtime reserves them at
 * hints i<<40 | 0xc0<<32), dropping the runtime's own metadata (spans,
 * arena indexes) whose words point at heap objects without owning them.
 * Returns how many are kept, compacted at the front.
 */
size_t bw_go_arenas(struct bw_range *r, size_t n);

#endif
