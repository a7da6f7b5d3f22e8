/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which words of a Go heap object hold pointers, read from the target's
 * heap metadata as the GC reads it: a noscan span (spanclass & 1, every
 * version) has none; from Go 1.22 (allocation headers) an object of up to
 * 512 bytes has the heap bits at its span's end, a larger one its type in
 * a malloc header (or span.largeType), whose GCData gives the mask. Go 1.19
 * and 1.21 scan spans keep their 2-bit heapArena.bitmap: not decoded here.
 * The decoding itself is gcmap's; this module reads and caches what it
 * needs (a span's heap bits, a type's mask) for one scan.
 */
#ifndef BW_GOHEAP_H
#define BW_GOHEAP_H

#include <stddef.h>
#include <linux/types.h>

struct bw_mem;
struct bw_golayout;
struct bw_goheap;

/* The fields of an mspan this needs. */
struct bw_goheap_span {
	__u64 base;	 /* startAddr */
	__u64 npages;	 /* 8 KiB pages */
	__u64 elemsize;	 /* object size, the whole span for a large object */
	__u64 largetype; /* largeType *_type (size class 0), 0 when unknown */
	__u8 spanclass;	 /* size class << 1 | noscan */
};

/* minor: the Go minor version. The layout and mem are kept, not copied. 0 or -ENOMEM. */
int bw_goheap__new(struct bw_mem *mem, const struct bw_golayout *l, __u32 minor,
		   struct bw_goheap **out);
/* Forgets what was cached: objects move between scans. */
void bw_goheap__reset(struct bw_goheap *h);
/*
 * The pointer words of [addr, addr + len) inside one object of span s: bit i
 * of bits (caller-zeroed, len / 8 bits) for the word at addr + 8*i.
 * 0 (precise), -EOPNOTSUPP (a scan span before 1.22, a GC program type),
 * -EINVAL (not inside one object), -E2BIG (a mask too large to read),
 * -ENOENT or -EFAULT (metadata unreadable, a type not yet set).
 */
int bw_goheap__ptrs(struct bw_goheap *h, const struct bw_goheap_span *s, __u64 addr, size_t len,
		    __u8 *bits);
void bw_goheap__free(struct bw_goheap *h);

#endif
