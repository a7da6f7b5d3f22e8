// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "threads/classify.h"
#include "threads/idlewait.h"
#include "core/waitgraph.h"

struct ctx {
	struct bw_thread *threads;
	size_t n;
	const struct bw_classify_opts *o;
	unsigned char *seen; /* on a walk already: judged, or about to be */
	size_t *path;
};

static bool is_blocked_state(char state)
{
	return state == 'S' || state == 'D' || state == 'T' || state == 't';
}

bool bw_thread_stuck(const struct bw_thread *t, __u64 threshold_ns)
{
	return is_blocked_state(t->state) && t->blocked_ns >= threshold_ns && !t->progressing;
}

static void say(struct bw_thread *t, enum bw_verdict v, enum bw_reason r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void say(struct bw_thread *t, enum bw_verdict v, enum bw_reason r, const char *fmt, ...)
{
	va_list ap;

	t->verdict = v;
	t->reason = r;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
}

static bool futex_kind(enum bw_wait w)
{
	return w == BW_WAIT_CONDVAR || w == BW_WAIT_SEMAPHORE || w == BW_WAIT_FUTEX;
}

/* Threads of one process on one futex object: a condvar's two signal words count as one. */
static bool same_object(const struct bw_thread *a, const struct bw_thread *b)
{
	return a->pid == b->pid && a->wait == b->wait && a->wait_addr && b->wait_addr &&
	       (a->wait_addr & ~7ULL) == (b->wait_addr & ~7ULL);
}

static bool woke_before(const struct bw_thread *t)
{
	return (t->has_history && t->history.blocks) ||
	       t->voluntary_switches >= BW_POOL_MIN_WAKEUPS;
}

/* With t: how many wait on its object, and how many of them woke from waits before. */
static void pool_of(const struct ctx *c, const struct bw_thread *t, size_t *members, size_t *woke)
{
	size_t i;

	*members = *woke = 0;
	for (i = 0; i < c->n; i++) {
		const struct bw_thread *u = &c->threads[i];

		if (!is_blocked_state(u->state) || u->timed || !same_object(t, u))
			continue;
		(*members)++;
		*woke += woke_before(u);
	}
}

static const char *proc_comm(const struct ctx *c, const struct bw_thread *t)
{
	long i = bw_waitgraph_find(c->threads, c->n, t->pid);

	return i >= 0 ? c->threads[i].comm : NULL;
}

/* An untimed wait nobody is known to end: idle if known to be normal, else stuck. */
static void no_waker(const struct ctx *c, struct bw_thread *t, const char *what)
{
	struct bw_idle_input in = { .comm = t->comm,
				    .proc_comm = proc_comm(c, t),
				    .frames = t->ustack,
				    .nframes = t->ustack_entries };
	const struct bw_idle_rule *rule = c->o->no_builtin ? NULL : bw_idle_match(&in);
	const char *fn = bw_idle_user_match(c->o->ignore, &in);
	size_t members, woke;

	if (fn) {
		say(t, BW_VERDICT_IDLE, BW_REASON_IGNORED, "%s matches --ignore", fn);
		return;
	}
	if (rule) {
		say(t, BW_VERDICT_IDLE, BW_REASON_RUNTIME, "%s: %s", rule->runtime, rule->what);
		return;
	}
	if (futex_kind(t->wait)) {
		pool_of(c, t, &members, &woke);
		if (members >= 2 && woke) {
			say(t, BW_VERDICT_IDLE, BW_REASON_POOL,
			    "pool: %zu threads wait on 0x%llx, %zu of them woke from waits before",
			    members, (unsigned long long)(t->wait_addr & ~7ULL), woke);
			return;
		}
	}
	say(t, BW_VERDICT_STUCK, BW_REASON_NO_WAKER, "%s", what);
}

/* Waits for owner o (a lock's holder, a joined thread). */
static void owned(struct ctx *c, struct bw_thread *t)
{
	bool join = t->wait == BW_WAIT_JOIN;
	const char *rel = join ? "joins" : "waits for";
	struct bw_thread *o;
	long i;

	if (t->gone_owner_tid && !join) {
		say(t, BW_VERDICT_LEAK, BW_REASON_OWNER_GONE,
		    "owner %u exited holding the lock: nobody will unlock it", t->gone_owner_tid);
		return;
	}
	i = t->owner_tid ? bw_waitgraph_find(c->threads, c->n, t->owner_tid) : -1;
	if (i < 0 || c->threads[i].pid != t->pid) {
		if (t->timed)
			say(t, BW_VERDICT_BLOCKED, BW_REASON_NONE, "a timed wait");
		else
			no_waker(c, t,
				 join ? "joins a thread nobody is seen to end"
				      : "an untimed wait on a lock of unknown owner");
		return;
	}
	o = &c->threads[i]; /* judged first: see bw_classify_opts */
	switch (o->verdict) {
	case BW_VERDICT_DEADLOCK:
		say(t, BW_VERDICT_LEAK, BW_REASON_OWNER_DEADLOCK, "%s %u, which is deadlocked", rel,
		    o->tid);
		return;
	case BW_VERDICT_LEAK:
		say(t, BW_VERDICT_LEAK, BW_REASON_OWNER_LEAK, "%s %u, which is leaked (%s)", rel,
		    o->tid, o->why);
		return;
	case BW_VERDICT_STUCK:
		say(t, BW_VERDICT_STUCK, BW_REASON_OWNER_STUCK, "%s %u, which is stuck", rel,
		    o->tid);
		return;
	default:
		break;
	}
	if (join)
		say(t, BW_VERDICT_IDLE, BW_REASON_JOIN_LIVE, "joins %u, which is %s", o->tid,
		    o->verdict == BW_VERDICT_NONE ? "running" : bw_verdict_name(o->verdict));
	else
		say(t, BW_VERDICT_BLOCKED, BW_REASON_NONE, "owner %u is %s", o->tid,
		    o->verdict == BW_VERDICT_NONE ? "running" : bw_verdict_name(o->verdict));
}

static void cycle_why(struct ctx *c, struct bw_thread *t)
{
	char buf[BW_WHY_BYTES];
	size_t len;
	int i;

	len = snprintf(buf, sizeof(buf), "cycle: %u", t->tid);
	for (i = 0; i < t->chain_entries && len < sizeof(buf); i++) {
		len += snprintf(buf + len, sizeof(buf) - len, " -> %u", t->chain[i]);
		if (t->chain[i] == t->tid)
			break;
	}
	if (i == t->chain_entries && len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, " -> %u", t->tid);
	say(t, BW_VERDICT_DEADLOCK, BW_REASON_CYCLE, "%s", buf);
}

static void judge(struct ctx *c, size_t i)
{
	struct bw_thread *t = &c->threads[i];

	t->verdict = BW_VERDICT_NONE;
	t->reason = BW_REASON_NONE;
	t->why[0] = '\0';
	if (!is_blocked_state(t->state) || t->blocked_ns < c->o->threshold_ns)
		return;
	if (t->in_cycle) {
		cycle_why(c, t);
		return;
	}
	switch (t->wait) {
	case BW_WAIT_MUTEX:
	case BW_WAIT_RWLOCK:
	case BW_WAIT_JOIN:
		owned(c, t);
		break;
	case BW_WAIT_CONDVAR:
	case BW_WAIT_SEMAPHORE:
	case BW_WAIT_FUTEX:
		if (t->timed)
			t->verdict = BW_VERDICT_IDLE;
		else
			no_waker(c, t, "an untimed wait nobody is seen to post or signal");
		break;
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
		t->verdict = BW_VERDICT_IDLE;
		break;
	default:
		t->verdict = BW_VERDICT_BLOCKED;
		break;
	}
}

/* The thread whose verdict i's depends on (a lock's owner, a joined thread), or -1. */
static long depends_on(const struct ctx *c, size_t i)
{
	const struct bw_thread *t = &c->threads[i];
	long j;

	if (t->in_cycle || !is_blocked_state(t->state) || t->blocked_ns < c->o->threshold_ns)
		return -1;
	if (t->wait != BW_WAIT_MUTEX && t->wait != BW_WAIT_RWLOCK && t->wait != BW_WAIT_JOIN)
		return -1;
	if ((t->gone_owner_tid && t->wait != BW_WAIT_JOIN) || !t->owner_tid)
		return -1;
	j = bw_waitgraph_find(c->threads, c->n, t->owner_tid);
	return j >= 0 && c->threads[j].pid == t->pid ? j : -1;
}

int bw_classify_opts(struct bw_thread *threads, size_t n, const struct bw_classify_opts *o)
{
	struct ctx c = { .threads = threads, .n = n, .o = o };
	size_t i, len;
	long j;
	int err;

	err = bw_waitgraph_resolve(threads, n);
	if (err)
		return err;
	c.seen = calloc(n ? n : 1, 1);
	c.path = calloc(n ? n : 1, sizeof(*c.path));
	if (!c.seen || !c.path) {
		free(c.seen);
		free(c.path);
		return -ENOMEM;
	}
	/*
	 * Along each wait-for chain, owners before their waiters: walk to the
	 * chain's end (a thread judged already, one that waits for nobody, or
	 * a cycle: its members stop the walk), then judge back up the path.
	 */
	for (i = 0; i < n; i++) {
		len = 0;
		for (j = i; j >= 0 && !c.seen[j]; j = depends_on(&c, j)) {
			c.seen[j] = 1;
			c.path[len++] = j;
		}
		while (len)
			judge(&c, c.path[--len]);
	}
	free(c.seen);
	free(c.path);
	return 0;
}
