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
 * The live pointer words of a parked goroutine's stack, copied in stack[0,
 * len) from address sp (its g.sched.sp; pc is its g.sched.pc, a runtime pc).
 * Walks the frames from (pc, sp) to the end of the buffer or the first frame
 * that cannot be walked, setting bit i of bits (len / 8 bits, LSB first,
 * caller-zeroed, at least (len / 8 + 7) / 8 bytes) when the word at sp + 8*i
 * holds a live pointer at that frame's pc. Words of frames without maps
 * (assembly, a pc in no function) and every word past the last frame walked
 * are set: scanned conservatively, never missed.
 *
 * Returns 0 when every frame to the stack's top was walked with maps
 * (precise), 1 when some words were set conservatively, or a negative errno
 * (-EINVAL for a bad argument).
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
 * The data and bss masks of the binary's module. 0, or -ENOENT when the
 * binary does not give them (the caller scans the sections conservatively).
 */
int bw_gcmap_globals(const struct bw_gobin *gb, struct bw_gcmask *data, struct bw_gcmask *bss);

#endif
