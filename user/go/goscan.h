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
#include "core/gomodel.h"

struct bw_mem;
struct bw_gobin;
struct bw_goscan;

/*
 * Opens the Go runtime of pid: -ENOEXEC when it is not a Go program, -ENOENT
 * when the runtime's structures cannot be found (layout or allgs). 
 */
int bw_goscan__new(pid_t pid, struct bw_mem *mem, struct bw_goscan **out);
/*
 * A scan in two halves, for a caller that reuses its records: begin reads
 * the allgs slice (*len: the most goroutines the scan can give); when it
 * fails nothing changed. read then reads every goroutine that is parked
 * (waiting) or in a syscall into out, room for len records stride bytes
 * apart, each starting with a struct bw_goroutine (the rest of each
 * zeroed). Inconsistent reads (a g freed or moving under us) are skipped
 * and counted in *skipped. 0 or a negative errno.
 */
int bw_goscan__begin(struct bw_goscan *gs, size_t *len);
int bw_goscan__read(struct bw_goscan *gs, void *out, size_t stride, size_t *n, size_t *skipped);
/*
 * Reads again, right after a scan, the goroutines of out (the records of
 * bw_goscan__read, stride bytes apart) at the n indexes idx: their g and
 * the stack bytes the scan hashed. Sets in_place on each one that is as the
 * scan read it (bw_goinplace_same), clears it on the others. One batch of
 * reads for many: a few round trips. 0 or a negative errno.
 */
int bw_goscan__reread(struct bw_goscan *gs, void *out, size_t stride, const size_t *idx, size_t n);
/* After a scan: the channels the goroutines' chans_at and nchans index. */
const __u64 *bw_goscan__chans(const struct bw_goscan *gs, size_t *n);

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
