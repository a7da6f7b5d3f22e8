/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between Go versions and is not always readable from the
 * binary (stripped builds have no DWARF): the runtime.g / m / gobuf / sudog
 * field offsets and the wait reason names, per version, measured from the
 * DWARF and the runtime/runtime2.go of Debian's toolchains. The last resort
 * of gobin.c, which prefers what the binary itself says. Pure tables.
 */
#ifndef BW_GOVERSIONS_H
#define BW_GOVERSIONS_H

#include <linux/types.h>
#include "gobin.h"

/* The layout of Go major.minor (source BW_GOLAYOUT_TABLE, heap fields -1), or -ENOENT. */
int bw_goversion_layout(__u32 major, __u32 minor, struct bw_golayout *out);

/* Only the runtime.moduledata offsets (md_*) of Go major.minor, or -ENOENT. */
int bw_goversion_moduledata(__u32 major, __u32 minor, struct bw_golayout *out);

/*
 * The wait reason names of Go major.minor, index = g.waitreason: *names has
 * *count entries, names[0] is "" and the array is NULL-terminated. -ENOENT
 * for versions without a table (1.20 and those not measured).
 */
int bw_goversion_wait_reasons(__u32 major, __u32 minor, const char *const **names, __u32 *count);

/*
 * The heap metadata offsets of Go major.minor (mheap_arenas,
 * heaparena_spans, mspan_startaddr, mspan_elemsize; the rest of out is
 * left alone), or -ENOENT.
 */
int bw_goversion_heap(__u32 major, __u32 minor, struct bw_golayout *out);

/* The offset of p.timers in runtime.p of Go major.minor, or -1 when not known. */
__s32 bw_goversion_p_timers(__u32 major, __u32 minor);

/* sudog fields, stable from Go 1.9 to 1.27: g +0, next +8, elem +24 (1.26: its vp). */
#define BW_GO_SUDOG_G 0
#define BW_GO_SUDOG_NEXT 8
#define BW_GO_SUDOG_ELEM 24

#endif
