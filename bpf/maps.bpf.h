/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps more than one program object uses, each defined once, here.
 * Every object that includes this header has a copy of each definition;
 * the loader (tracer.c) creates them with the first object it loads and
 * hands the same maps to the others before their load (bpf_map__reuse_fd,
 * by name), so the programs of every object see one map. A map of one
 * object only is defined in that object, under a name no other object uses.
 */
#ifndef BW_MAPS_BPF_H
#define BW_MAPS_BPF_H

#include "blockwatch.h"

/* The processes watched when there are several (filter.bpf.h): tgid -> 1. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BW_TGIDS_ENTRIES);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

/*
 * Written on sched_switch (offcpu.bpf.c) and on futex entries (futex.bpf.c),
 * read by the task iterator (taskiter.bpf.c). Task storage, or, without it,
 * tid-keyed hashes the loader sizes (compat.bpf.h: bw_storage_get).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bw_history);
} histories SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bw_futex_wait);
} futex_waits SEC(".maps");

#endif
