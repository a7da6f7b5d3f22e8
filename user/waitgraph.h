/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The wait-for graph: an edge from each waiting thread to the owner of what
 * it waits on (mutex owner, joined thread). Each thread has at most one
 * out-edge, so every cycle is found by walking forward. Pure.
 */
#ifndef BW_WAITGRAPH_H
#define BW_WAITGRAPH_H

#include <stddef.h>
#include "model.h"

/* Index of the thread with this tid, or -1. threads must be sorted by tid. */
long bw_waitgraph_find(const struct bw_thread *threads, size_t n, __u32 tid);
/* Sorts by tid, then fills chain, chain_len and in_cycle of every thread. 0 or -ENOMEM. */
int bw_waitgraph_resolve(struct bw_thread *threads, size_t n);

#endif
