// SPDX-License-Identifier: GPL-2.0
/*
 * The scanner's sudog reading: the channels of a select (the waitlink chain
 * from g.waiting) and the sync object a sync waiter sleeps on.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "core/hash.h"
#include "go/goscan_internal.h"
#include "go/goversions.h"
#include "platform/memread.h"

#define SUDOG_HOPS 64
/* The channels of each select: one sudog per case, chained by waitlink. */
void bw_goscan_read_sudogs(struct bw_goscan *gs, struct batch *b, size_t nb)
{
	const struct bw_golayout *l = &gs->lay;
	__s32 lo = l->sudog_c, hi = l->sudog_c + 8;
	size_t k, nv;
	bool more = true;

	/* c and waitlink sit side by side: one piece each. */
	if (l->sudog_waitlink >= 0) {
		lo = l->sudog_waitlink < lo ? l->sudog_waitlink : lo;
		hi = l->sudog_waitlink + 8 > hi ? l->sudog_waitlink + 8 : hi;
	}
	if (hi - lo > (__s32)sizeof(b->p[0].sd))
		hi = lo + 8; /* far apart: c alone, then waitlink alone */
	while (more) {
		for (k = nv = 0; k < nb; k++) {
			struct pending *p = &b->p[k];

			if (!p->live || !p->sudog || p->nchans >= BW_GO_CHANS_MAX_ENTRIES ||
			    p->hops >= SUDOG_HOPS) {
				p->sudog = 0;
				continue;
			}
			bw_goscan_add_stop(gs, p->sudog);
			b->v[nv++] = vec(p->sudog + lo, p->sd, hi - lo);
		}
		bw_mem__readv(gs->mem, b->v, nv);
		more = false;
		for (k = nv = 0; k < nb; k++) {
			struct pending *p = &b->p[k];
			__u64 c = 0, next = 0;
			int err;

			if (!p->sudog)
				continue;
			err = b->v[nv++].err;
			if (err) {
				p->sudog = 0;
				continue;
			}
			memcpy(&c, p->sd + (l->sudog_c - lo), 8);
			if (l->sudog_waitlink < 0)
				err = -ENOENT;
			else if (l->sudog_waitlink >= lo && l->sudog_waitlink + 8 <= hi)
				memcpy(&next, p->sd + (l->sudog_waitlink - lo), 8);
			else
				err = bw_mem__read_u64(gs->mem, p->sudog + l->sudog_waitlink,
						       &next);
			if (!p->hops++)
				p->g->chan = c;
			if (c)
				p->chans[p->nchans++] = c;
			p->sudog = err ? 0 : next;
			more = more || p->sudog;
		}
	}
}

/* sync.Cond: L (16 bytes), then the notifyList {wait, notify, lock, head, tail}. */
#define COND_NOTIFY 16
#define COND_HEAD 32
#define COND_TAIL 40
/* Sudogs followed along one notify list, at most: a longer one is not resolved. */
#define COND_WALK_MAX_HOPS 65536
/* Stack bytes searched for the waiter's own sudog, or its Cond. */
#define SYNC_SEARCH_BYTES 1024
#define SYNC_CANDS (SYNC_SEARCH_BYTES / 8)

static bool in_heap(const struct bw_goscan *gs, __u64 v)
{
	size_t lo = 0, hi = gs->nheap;

	if (!v || (v & 7))
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v < gs->heap[mid].start)
			hi = mid;
		else if (v >= gs->heap[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static struct sudog_memo *sudog_memo(struct bw_goscan *gs, __u64 pc)
{
	return &gs->sudog_at[bw_hash_bits(pc, 8)];
}

/*
 * The stack words of a waiter that may point to what it sleeps on (its
 * sudog or its Cond): heap pointers among its first stack bytes.
 */
static size_t candidates(const struct bw_goscan *gs, const struct pending *p, const __u8 *sbuf,
			 __u64 *cand, __u32 *off)
{
	size_t n = 0, len = p->stack_bytes < STACK_FIRST_BYTES ? p->stack_bytes : STACK_FIRST_BYTES,
	       i;
	__u64 w;

	if (len > SYNC_SEARCH_BYTES)
		len = SYNC_SEARCH_BYTES;
	for (i = 0; i + 8 <= len && n < SYNC_CANDS; i += 8) {
		memcpy(&w, sbuf + i, 8);
		/* Pointers into its own stack (frame pointers, locals) are neither. */
		if (in_heap(gs, w) && (w < p->lo || w >= p->hi)) {
			off[n] = i;
			cand[n++] = w;
		}
	}
	return n;
}

/*
 * The last sudog of the notify list s is on, following sudog.next; 0 when
 * unreadable or longer than COND_WALK_MAX_HOPS. Each sudog passed is noted
 * with the tail found, so the waiters of one Cond walk its list once.
 */
static __u64 notify_tail(struct bw_goscan *gs, __u64 s)
{
	__u64 path[64], cur = s, next, *known;
	size_t hops, np = 0, i;

	for (hops = 0; hops < COND_WALK_MAX_HOPS; hops++) {
		known = bw_hashmap__find(gs->cond_tails, cur);
		if (known) {
			cur = *known;
			break;
		}
		if (bw_mem__read_u64(gs->mem, cur + BW_GO_SUDOG_NEXT, &next))
			return 0;
		if (np < sizeof(path) / sizeof(path[0]))
			path[np++] = cur;
		if (!next)
			break;
		cur = next;
	}
	if (hops == COND_WALK_MAX_HOPS)
		return 0;
	for (i = 0; i < np; i++) {
		void *val;

		if (bw_hashmap__insert(gs->cond_tails, path[i], &val) < 0)
			break; /* out of memory: only the memo is lost */
		memcpy(val, &cur, sizeof(cur));
	}
	return cur;
}

/*
 * The candidate at the stack offset where the last waiter parked at p's pc
 * kept its sudog: the word there when candidates() would take it.
 */
static __u64 memo_guess(struct bw_goscan *gs, const struct pending *p, const __u8 *sbuf)
{
	const struct sudog_memo *m = sudog_memo(gs, p->g->sched_pc);
	size_t len = p->stack_bytes < STACK_FIRST_BYTES ? p->stack_bytes : STACK_FIRST_BYTES;
	__u64 w;

	if (m->pc != p->g->sched_pc + 1 || !p->g->stack_hash)
		return 0;
	if (len > SYNC_SEARCH_BYTES)
		len = SYNC_SEARCH_BYTES;
	if (m->off % 8 || m->off + 8 > len)
		return 0;
	memcpy(&w, sbuf + m->off, 8);
	return in_heap(gs, w) && (w < p->lo || w >= p->hi) ? w : 0;
}

/*
 * Where a sync waiter's sudog is looked for first, read for the whole batch
 * at once: g.waiting when set (1.26+), else the memo's stack word. 0: none.
 */
static __u64 first_guess(struct bw_goscan *gs, struct batch *b, size_t k)
{
	const struct pending *p = &b->p[k];

	return p->g->waiting ? p->g->waiting : memo_guess(gs, p, b->sbuf[k]);
}

/*
 * The sync object a waiter sleeps on: its sudog's elem (the semaphore's
 * address; from Go 1.26 also the notifyList of a Cond), the sudog found
 * through g.waiting (1.26+) or on the waiter's own stack (semacquire1 and
 * notifyListWait keep it there across the park), checked by sudog.g. A
 * Cond waiter before 1.26 has no elem: its Cond is the stack word whose
 * notifyList holds the sudog at its head or tail. Unknown stays 0: the
 * waiter is then never called leaked. first is the read of first_guess
 * (NULL: there was none), its 32 bytes in p->sd.
 */
static void read_sync_one(struct bw_goscan *gs, struct batch *b, size_t k,
			  const struct bw_memvec *first)
{
	struct pending *p = &b->p[k];
	struct bw_goroutine *g = p->g;
	__u64 cand[SYNC_CANDS], words[SYNC_CANDS][6], s = 0, elem = 0;
	__u32 off[SYNC_CANDS];
	struct bw_memvec v[SYNC_CANDS];
	struct sudog_memo *m;
	size_t n, i;

	if (first && !first->err && !memcmp(p->sd + BW_GO_SUDOG_G, &p->gaddr, 8)) {
		s = first->addr;
		memcpy(&elem, p->sd + BW_GO_SUDOG_ELEM, 8);
	}
	n = s || !g->stack_hash ? 0 : candidates(gs, p, b->sbuf[k], cand, off);
	m = sudog_memo(gs, g->sched_pc);
	/* Goroutines parked alike keep the sudog at the same stack offset: try it first. */
	for (i = 0; i < n && g->waiting && m->pc == g->sched_pc + 1; i++) {
		if (off[i] != m->off)
			continue;
		if (!bw_mem__read(gs->mem, cand[i], words[0], 32) &&
		    words[0][BW_GO_SUDOG_G / 8] == p->gaddr) {
			s = cand[i];
			elem = words[0][BW_GO_SUDOG_ELEM / 8];
		}
		break;
	}
	if (!s && n) {
		for (i = 0; i < n; i++)
			v[i] = vec(cand[i], words[i], 32);
		bw_mem__readv(gs->mem, v, n);
		for (i = 0; i < n && !s; i++) {
			if (v[i].err || words[i][BW_GO_SUDOG_G / 8] != p->gaddr)
				continue;
			s = cand[i];
			elem = words[i][BW_GO_SUDOG_ELEM / 8];
			*m = (struct sudog_memo){ .pc = g->sched_pc + 1, .off = off[i] };
		}
	}
	if (!s)
		return;
	p->sync_sudog = s;
	if (!elem && !strcmp(g->wait_reason, "sync.Cond.Wait") && g->stack_hash) {
		__u64 tail = 0;

		n = candidates(gs, p, b->sbuf[k], cand, off);
		for (i = 0; i < n; i++)
			v[i] = vec(cand[i], words[i], 48);
		bw_mem__readv(gs->mem, v, n);
		for (i = 0; i < n && !elem; i++)
			if (!v[i].err &&
			    (words[i][COND_HEAD / 8] == s || words[i][COND_TAIL / 8] == s))
				elem = cand[i] + COND_NOTIFY;
		/* A waiter inside the list (three or more): its Cond holds the list's last. */
		if (!elem)
			tail = notify_tail(gs, s);
		for (i = 0; i < n && !elem && tail; i++)
			if (!v[i].err && words[i][COND_TAIL / 8] == tail)
				elem = cand[i] + COND_NOTIFY;
	}
	g->sync_obj = elem;
}

void bw_goscan_read_sync(struct bw_goscan *gs, struct batch *b, size_t nb)
{
	size_t k, nv = 0, at[BATCH_ENTRIES];
	__u64 addr;

	/* The first guesses of the batch in one read: most waiters need no other. */
	for (k = 0; k < nb; k++) {
		at[k] = SIZE_MAX;
		if (!b->p[k].live || !b->p[k].sync)
			continue;
		addr = first_guess(gs, b, k);
		if (addr) {
			at[k] = nv;
			b->v[nv++] = vec(addr, b->p[k].sd, 32);
		}
	}
	bw_mem__readv(gs->mem, b->v, nv);
	for (k = 0; k < nb; k++) {
		if (!b->p[k].live || !b->p[k].sync)
			continue;
		read_sync_one(gs, b, k, at[k] == SIZE_MAX ? NULL : &b->v[at[k]]);
		if (b->p[k].sync_sudog)
			bw_goscan_add_stop(gs, b->p[k].sync_sudog);
	}
}
