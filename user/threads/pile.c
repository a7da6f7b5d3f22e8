// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/hash.h"
#include "threads/pile.h"

struct site {
	__u64 key;
	__u32 pid;
	__u32 base_count; /* members when first seen, or after the last that left */
	__u64 base_ns;
	__u32 count; /* in this scan */
	__u64 oldest_ns;
	bool seen;
};

struct bw_piles {
	struct site *sites;
	size_t n, cap;
};

int bw_piles__new(struct bw_piles **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void bw_piles__free(struct bw_piles *p)
{
	if (!p)
		return;
	free(p->sites);
	free(p);
}

static bool blocked_state(char state)
{
	return state == 'S' || state == 'D';
}

/* Untimed waits whose end nobody is known to bring: what a pile is made of. */
static bool candidate(const struct bw_thread *t)
{
	if (!blocked_state(t->state) || t->timed || !t->ustack_entries || t->progressing)
		return false;
	switch (t->wait) {
	case BW_WAIT_MUTEX:
	case BW_WAIT_CONDVAR:
	case BW_WAIT_RWLOCK:
	case BW_WAIT_SEMAPHORE:
	case BW_WAIT_JOIN:
	case BW_WAIT_FUTEX:
		break;
	default:
		return false;
	}
	/* Known idle waits (runtimes, --ignore) and proofs of their own stay as they are. */
	if (t->reason == BW_REASON_RUNTIME || t->reason == BW_REASON_IGNORED)
		return false;
	return t->verdict == BW_VERDICT_NONE || t->verdict == BW_VERDICT_STUCK ||
	       t->reason == BW_REASON_POOL;
}

static __u64 site_key(const struct bw_thread *t)
{
	__u64 h = BW_FNV_OFFSET ^ t->pid ^ ((__u64)t->wait << 32);
	int i;

	for (i = 0; i < t->ustack_entries; i++)
		h = bw_fnv1a_u64(h, t->ustack[i].pc);
	return h;
}

static struct site *find(struct bw_piles *p, __u64 key, __u32 pid)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->sites[i].key == key && p->sites[i].pid == pid)
			return &p->sites[i];
	return NULL;
}

int bw_piles__update(struct bw_piles *p, struct bw_thread *threads, size_t n, __u64 now_ns,
		     __u64 threshold_ns)
{
	struct site *s;
	size_t i;

	for (i = 0; i < p->n; i++) {
		p->sites[i].seen = false;
		p->sites[i].count = 0;
		p->sites[i].oldest_ns = 0;
	}
	for (i = 0; i < n; i++) {
		const struct bw_thread *t = &threads[i];
		__u64 key;

		if (!candidate(t))
			continue;
		key = site_key(t);
		s = find(p, key, t->pid);
		if (!s) {
			if (p->n == p->cap) {
				size_t cap = p->cap ? 2 * p->cap : 16;
				struct site *ns = realloc(p->sites, cap * sizeof(*ns));

				if (!ns)
					return -ENOMEM;
				p->sites = ns;
				p->cap = cap;
			}
			s = &p->sites[p->n++];
			memset(s, 0, sizeof(*s));
			s->key = key;
			s->pid = t->pid;
			s->base_ns = now_ns;
			s->base_count = ~0u; /* set below, from this scan's count */
		}
		s->seen = true;
		s->count++;
		if (t->blocked_ns > s->oldest_ns)
			s->oldest_ns = t->blocked_ns;
	}
	/* Sites gone from view are forgotten; a member that left starts the count anew. */
	for (i = 0; i < p->n;) {
		s = &p->sites[i];
		if (!s->seen) {
			*s = p->sites[--p->n];
			continue;
		}
		if (s->base_count == ~0u || s->count < s->base_count) {
			s->base_count = s->count;
			s->base_ns = now_ns;
		}
		i++;
	}
	for (i = 0; i < n; i++) {
		struct bw_thread *t = &threads[i];
		double per_min;
		__u32 grown;

		if (!candidate(t))
			continue;
		s = find(p, site_key(t), t->pid);
		if (!s || s->count < s->base_count + BW_PILE_MIN_GROWTH ||
		    s->oldest_ns < threshold_ns)
			continue;
		grown = s->count - s->base_count;
		per_min = now_ns > s->base_ns ? grown * 60e9 / (now_ns - s->base_ns) : 0;
		t->verdict = BW_VERDICT_LEAK;
		t->reason = BW_REASON_PILE;
		t->pile_threads = s->count;
		t->pile_growth_per_min = per_min;
		snprintf(t->why, sizeof(t->why),
			 "pile: %u threads wait at this %s site, +%u while watched (%.1f/min), "
			 "none left",
			 s->count, bw_wait_name(t->wait), grown, per_min);
	}
	return 0;
}
