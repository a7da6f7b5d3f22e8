/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which processes a program looks at: one (targ_tgid, a compare), a set
 * (filter_tgids, a lookup in tgids of maps.bpf.h), or all. Checked first, so unrelated
 * threads cost a few instructions.
 */
#ifndef BW_FILTER_BPF_H
#define BW_FILTER_BPF_H

#include "maps.bpf.h"

const volatile __u32 targ_tgid = 0;
const volatile bool filter_tgids = false;

static __always_inline bool bw_wanted(__u32 tgid)
{
	if (!tgid)
		return false; /* the idle task */
	if (targ_tgid)
		return tgid == targ_tgid;
	if (filter_tgids)
		return bpf_map_lookup_elem(&tgids, &tgid) != NULL;
	return true;
}

#endif
