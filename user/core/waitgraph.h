/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The wait-for graph: an edge from each waiting thread to the owner of what
 * it waits on (mutex owner, joined thread). Each thread has at most one
 * out-edge, so every cycle is found by walking forward. Pure.
 */
#ifndef BW_WAITGRAPH_H
#define BW_WAITGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include "core/model.h"

/* Index of the thread with this tid, or -1. threads must be sorted by tid. */
long bw_waitgraph_find(const struct bw_thread *threads, size_t n, __u32 tid);
/* Sorts by tid, then fills chain, chain_entries and in_cycle of every thread. 0 or -ENOMEM. */
int bw_waitgraph_resolve(struct bw_thread *threads, size_t n);

/*
 * Cycles of a wait-for graph whose nodes may have many out-edges (a
 * goroutine's lock reached from several stacks): adj[i * n + j] is the edge
 * i -> j, "i waits on what j holds"; self-edges are ignored. Sets next[i] to
 * a successor of i that lies on a cycle through i (an edge inside i's
 * strongly connected component), or -1 when no cycle goes through i; the
 * first such successor in index order, so a simple ring gives each member
 * the next one. 0 or -ENOMEM.
 */
int bw_waitgraph_cycles(const bool *adj, size_t n, long *next);

#endif
