// SPDX-License-Identifier: GPL-2.0
#include "classify.h"
#include "waitgraph.h"

static bool is_blocked_state(char state)
{
	return state == 'S' || state == 'D' || state == 'T' || state == 't';
}

bool bw_thread_stuck(const struct bw_thread *t, __u64 threshold_ns)
{
	return is_blocked_state(t->state) && t->blocked_ns >= threshold_ns && !t->progressing;
}

static enum bw_verdict owned_verdict(const struct bw_thread *threads, size_t n,
				     const struct bw_thread *t, __u64 threshold_ns)
{
	long i;

	if (!t->owner_tid)
		return t->timed ? BW_VERDICT_BLOCKED : BW_VERDICT_LEAK;
	i = bw_waitgraph_find(threads, n, t->owner_tid);
	/* An owner that exited still holding the lock never releases it. */
	if (i < 0 || threads[i].pid != t->pid)
		return BW_VERDICT_LEAK;
	if (bw_thread_stuck(&threads[i], threshold_ns))
		return BW_VERDICT_LEAK;
	return BW_VERDICT_BLOCKED;
}

static enum bw_verdict verdict_of(const struct bw_thread *threads, size_t n,
				  const struct bw_thread *t, __u64 threshold_ns)
{
	if (!is_blocked_state(t->state) || t->blocked_ns < threshold_ns)
		return BW_VERDICT_NONE;
	if (t->in_cycle)
		return BW_VERDICT_DEADLOCK;
	switch (t->wait) {
	case BW_WAIT_MUTEX:
	case BW_WAIT_RWLOCK:
	case BW_WAIT_JOIN:
		return owned_verdict(threads, n, t, threshold_ns);
	case BW_WAIT_CONDVAR:
	case BW_WAIT_SEMAPHORE:
	case BW_WAIT_FUTEX:
		return t->timed ? BW_VERDICT_IDLE : BW_VERDICT_LEAK;
	case BW_WAIT_RUNTIME:
	case BW_WAIT_EPOLL:
	case BW_WAIT_POLL:
	case BW_WAIT_SELECT:
	case BW_WAIT_ACCEPT:
	case BW_WAIT_SLEEP:
	case BW_WAIT_PIPE_READ:
	case BW_WAIT_SOCKET_READ:
	case BW_WAIT_READ:
	case BW_WAIT_SIGNAL:
	case BW_WAIT_CHILD:
	case BW_WAIT_IPC:
		return BW_VERDICT_IDLE;
	default:
		return BW_VERDICT_BLOCKED;
	}
}

int bw_classify(struct bw_thread *threads, size_t n, __u64 threshold_ns)
{
	size_t i;
	int err;

	err = bw_waitgraph_resolve(threads, n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		threads[i].verdict = verdict_of(threads, n, &threads[i], threshold_ns);
	return 0;
}
