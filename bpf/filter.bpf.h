/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which processes a program looks at: one (targ_tgid, a compare), a set
 * (filter_tgids, a hash lookup), or all. Checked first, so unrelated
 * threads cost a few instructions.
 */
#ifndef BW_FILTER_BPF_H
#define BW_FILTER_BPF_H

#define BW_MAX_TGIDS 1024

const volatile __u32 targ_tgid = 0;
const volatile bool filter_tgids = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BW_MAX_TGIDS);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

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
