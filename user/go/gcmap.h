/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which words of a Go program's memory hold live pointers, as the Go GC
 * itself decides it, read from the binary (pure: no process access):
 *
 *  - goroutine stacks: per frame, the stack maps of the pclntab (pcsp for
 *    the frame size, PCDATA_StackMapIndex, FUNCDATA_LocalsPointerMaps and
 *    FUNCDATA_ArgsPointerMaps, FUNCDATA_StackObjects for address-taken
 *    locals), so a dead slot holding a stale pointer keeps nothing alive;
 *  - globals: the data and bss pointer masks of the module (gcdata/gcbss of
 *    runtime.firstmoduledata).
 *
 * Addresses are link-time (as in gobin.h): pcs in the stack are runtime pcs,
 * bias is the PIE load bias subtracted before any lookup.
 */
#ifndef BW_GCMAP_H
#define BW_GCMAP_H

#include <stddef.h>
#include <linux/types.h>

struct bw_gobin;
struct bw_golayout;

/*
 * The live pointer words of a goroutine's stack, copied in stack[0, len)
 * from address sp (its g.sched.sp; pc is its g.sched.pc, a runtime pc; for
 * a whole stack, len = g.stack.hi - sp). Walks the frames from (pc, sp) as
 * the GC's unwinder does (pcsp for each frame's size, the return address
 * at fp - 8, pc - 1 for the map lookup, runtime.goexit or a TOPFRAME
 * function ending the walk) and sets bit i of bits (len / 8 bits, LSB
 * first, caller-zeroed, at least (len / 8 + 7) / 8 bytes) when the word at
 * sp + 8*i holds a live pointer at that frame's pc: the locals and args
 * pointer maps at PCDATA_StackMapIndex, and every pointer word of the
 * frame's stack objects (address-taken locals, taken as live).
 *
 * Set conservatively (every word): frames without maps (assembly) or with
 * unreadable ones, runtime.asyncPreempt / debugCallV2 frames and the frame
 * asyncPreempt interrupted, the caller of a reflect stub, and every word
 * from the first frame that cannot be walked (pc in no function, a frame
 * leaving the buffer, an SPWRITE function) to the end of the buffer. Words
 * above the outermost frame (past goexit's) and the return address and
 * saved frame pointer words are left clear.
 *
 * Returns 0 when the walk reached the outermost frame with maps for every
 * frame (precise), 1 when some words were set conservatively, or a
 * negative errno (-EINVAL for a bad argument or an sp not 8-aligned).
 * Thread-safe: reads only the immutable gb.
 */
int bw_gcmap_stack(const struct bw_gobin *gb, __u64 bias, __u64 pc, __u64 sp, const __u8 *stack,
		   size_t len, __u8 *bits);

/*
 * A memo of stack walks: a million goroutines parked alike have a handful
 * of distinct stacks, each walked once. Not thread-safe (one per scanner).
 */
struct bw_gcmap_memo;

/* 0 or -ENOMEM. */
int bw_gcmap_memo__new(struct bw_gcmap_memo **out);
/* Frees it (NULL too). */
void bw_gcmap_memo__free(struct bw_gcmap_memo *m);
/* Walks answered from the memo so far. */
size_t bw_gcmap_memo__hits(const struct bw_gcmap_memo *m);

/*
 * bw_gcmap_stack, the same result, answered from m when a walk of the same
 * pc and len read the same return addresses at the same offsets of its
 * stack (the walk reads nothing else of it). m NULL: bw_gcmap_stack.
 */
int bw_gcmap_stack_memo(struct bw_gcmap_memo *m, const struct bw_gobin *gb, __u64 bias, __u64 pc,
			__u64 sp, const __u8 *stack, size_t len, __u8 *bits);

/* A section's pointer mask: bit i set when the word at start + 8*i may hold a pointer. */
struct bw_gcmask {
	__u64 start; /* link-time address */
	__u64 end;   /* exclusive */
	__u8 *bits;  /* (end - start) / 8 bits, malloc'd: free() */
};

/*
 * The data and bss masks of the binary's module: bit i of data->bits is set
 * when the word at data->start + 8*i is a pointer slot, decoded from the
 * module's GC programs (moduledata.gcdata/gcbss, a GC program in every
 * version 1.16-1.27, as runtime.progToPointerMask does at start-up).
 * Ranges are [data, edata) and [bss, ebss), link-time (add the PIE bias).
 * 0, or -ENOENT when the binary does not give them (the caller scans the
 * sections conservatively), -ENOMEM; on error both masks are zeroed.
 */
int bw_gcmap_globals(const struct bw_gobin *gb, struct bw_gcmask *data, struct bw_gcmask *bss);

/*
 * runtime.runGCProg into a bit mask: sets the bits of bits[0, nbits) the
 * program prog[0, proglen) emits (caller-zeroed; bits past nbits are
 * dropped). 0, or -EINVAL for a program that reads past proglen or repeats
 * more bits than were emitted.
 */
int bw_gcprog_run(const __u8 *prog, size_t proglen, __u8 *bits, size_t nbits);

/*
 * Heap objects, Go 1.22+ (allocation headers), from bytes the caller read
 * from the target (pure). The caller finds the object's span as the runtime
 * does (mheap_.arenas[0][(addr + 2^47) >> 26].spans[(addr >> 13) % 8192],
 * offsets in bw_golayout) and reads its fields into struct bw_gospan. Then:
 *  - noscan span (spanclass & 1): no pointers;
 *  - elemsize <= 512: the heap bits at the span's end, bw_gcmap_heap_bits_range()
 *    says which bytes to read, bw_gcmap_heap_small() decodes one object;
 *  - larger: the object's *_type is its first word (size class != 0, the
 *    data starts 8 bytes in) or span.largeType (size class 0); read the
 *    type's Size_ (+0), PtrBytes (+8) and GCData (+32) and the mask at GCData
 *    (PtrBytes / 64 bytes; 1.24+ types flagged TFlagGCMaskOnDemand (tflag
 *    +20 bit 0x10) keep a pointer to the mask there instead), then
 *    bw_gcmap_heap_typed().
 * bits: one bit per word of the object from its base, caller-zeroed.
 */
struct bw_gospan {
	__u64 base;	/* mspan.startAddr */
	__u64 npages;	/* mspan.npages (8 KiB pages) */
	__u64 elemsize; /* mspan.elemsize */
	__u8 spanclass; /* mspan.spanclass */
};

/* Link-free: where the span's heap bits are, [*addr, *addr + *len). 0, or -EINVAL. */
int bw_gcmap_heap_bits_range(const struct bw_golayout *l, const struct bw_gospan *s, __u64 *addr,
			     __u64 *len);

/*
 * The pointer words of the headerless object at obj (a base address in the
 * span) from the span's heap bits hbits[0, len) (read at bw_gcmap_heap_bits_range).
 * 0, or -EINVAL (obj not an object base, elemsize > 512, bits out of hbits).
 */
int bw_gcmap_heap_small(const struct bw_gospan *s, const __u8 *hbits, size_t len, __u64 obj,
			__u8 *bits);

/*
 * The pointer words of an object of objsize bytes holding one or more
 * values of a type of typsize bytes whose first ptrbytes bytes are
 * described by mask (1 bit per word, masklen bytes): the mask tiled every
 * typsize bytes, as the runtime's typePointers iterator does. For objects
 * with a malloc header pass the object's data (base + 8) and objsize =
 * elemsize - 8. 0, or -EINVAL.
 */
int bw_gcmap_heap_typed(const __u8 *mask, size_t masklen, __u64 typsize, __u64 ptrbytes,
			__u64 objsize, __u8 *bits);

#endif
