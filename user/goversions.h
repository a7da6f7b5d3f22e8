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

#endif
