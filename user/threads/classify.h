/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Verdicts for blocked threads, each with its reason and evidence (why).
 * Pure: takes the threads of one scan (with wait, owner_tid, blocked_ns,
 * progressing filled in) and sets verdict, reason and why.
 *   deadlock  on a cycle of the wait-for graph (self-deadlock included)
 *   leak      proven never to end: waits for a thread that is gone (a lock
 *             owner that exited), deadlocked or leaked, along the wait-for
 *             graph; piles of threads growing at one site (see pile.h)
 *   stuck     an untimed wait with no known waker and no proof either way
 *             (a condvar or semaphore nobody is seen to post; a lock held by
 *             a stuck thread; the join of a stuck thread)
 *   blocked   waits on something that is moving: a lock whose owner runs
 *   idle      a wait that is normal for long: sockets, sleep, signals, poll;
 *             runtimes' idle waits (idlewait.h) and --ignore patterns; a
 *             pool (threads of a process on one futex, some woken from it
 *             before); the join of a running or idle thread
 */
#ifndef BW_CLASSIFY_H
#define BW_CLASSIFY_H

#include <stddef.h>
#include "core/model.h"

struct bw_patterns;

/* Voluntary switches that say a thread woke from waits before we watched. */
#define BW_POOL_MIN_WAKEUPS 8

struct bw_classify_opts {
	__u64 threshold_ns;
	const struct bw_patterns *ignore; /* the user's idle functions, or NULL */
	bool no_builtin;		  /* without the built-in runtime table (tests) */
};

/* Sorts threads by tid. 0 or -ENOMEM. */
int bw_classify_opts(struct bw_thread *threads, size_t n, const struct bw_classify_opts *o);
/* True when a thread is blocked and has not moved for at least threshold_ns. */
bool bw_thread_stuck(const struct bw_thread *t, __u64 threshold_ns);

#endif
