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

#endif
