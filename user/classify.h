/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Verdicts for blocked threads. Pure: takes the threads of one scan (with
 * wait, owner_tid, blocked_ns, progressing filled in) and sets verdict.
 *   deadlock  on a cycle of the wait-for graph (self-deadlock included)
 *   leak      waits with no timeout on something whose other side is stuck,
 *             gone or unknown (condvar, semaphore, a lock held by a stuck thread)
 *   blocked   waits on something that is moving: a lock whose owner runs
 *   idle      a wait that is normal for long: sockets, sleep, signals, poll
 */
#ifndef BW_CLASSIFY_H
#define BW_CLASSIFY_H

#include <stddef.h>
#include "model.h"

/* Sorts threads by tid. 0 or -ENOMEM. */
int bw_classify(struct bw_thread *threads, size_t n, __u64 threshold_ns);
/* True when a thread is blocked and has not moved for at least threshold_ns. */
bool bw_thread_stuck(const struct bw_thread *t, __u64 threshold_ns);

#endif
