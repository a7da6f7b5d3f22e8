// SPDX-License-Identifier: GPL-2.0
/*
 * The scanner's stack reading: a goroutine's first stack bytes in the batch's
 * one read, its frame-pointer walk (the whole stack when deeper), the hash
 * that tells it ran, its live words by the stack maps, and the table of
 * interned pcs the records point to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/hash.h"
#include "go/gcmap.h"
#include "go/goscan_internal.h"
#include "platform/memread.h"

/* A word at a time: it runs over a million stacks each scan. */
__u64 bw_goscan_hash_bytes(const __u8 *p, size_t n)
{
	__u64 h = BW_FNV_OFFSET ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = bw_hash_u64(h ^ w);
		h ^= h >> 32;
	}
	return bw_fnv1a(h, p, n);
}

struct pcs_key {
	const __u64 *pcs;
	__u32 n;
};

static bool same_pcs(const void *val, const void *probe)
{
	const struct stack_ent *e = *(struct stack_ent *const *)val;
	const struct pcs_key *k = probe;

	return e->npcs == k->n && !memcmp(e->pcs, k->pcs, k->n * sizeof(*k->pcs));
}

/* The shared copy of pcs[0..n): goroutines parked alike share one. NULL on ENOMEM. */
static const __u64 *intern_stack(struct bw_goscan *gs, const __u64 *pcs, __u32 n)
{
	__u64 h = bw_goscan_hash_bytes((const __u8 *)pcs, n * sizeof(*pcs));
	const struct pcs_key key = { pcs, n };
	struct stack_ent *e, **slot;

	slot = bw_hashmap__find_hashed(gs->stacks, h, same_pcs, &key);
	if (slot) {
		(*slot)->gen = gs->gen;
		return (*slot)->pcs;
	}
	e = malloc(sizeof(*e) + n * sizeof(*pcs));
	if (!e)
		return NULL;
	e->npcs = n;
	e->gen = gs->gen;
	memcpy(e->pcs, pcs, n * sizeof(*pcs));
	if (bw_hashmap__add_hashed(gs->stacks, h, (void **)&slot)) {
		free(e);
		return NULL;
	}
	*slot = e;
	return e->pcs;
}

/* Stacks last used before the scan *ctx (a __u32) go. */
static bool stack_used(__u64 hash, void *val, void *ctx)
{
	struct stack_ent *e = *(struct stack_ent **)val;

	if (e->gen >= *(const __u32 *)ctx)
		return true;
	free(e);
	return false;
}

void bw_goscan_sweep_stacks(struct bw_goscan *gs, __u32 keep_gen)
{
	bw_hashmap__retain(gs->stacks, stack_used, &keep_gen);
}

void bw_goscan_free_stacks(struct bw_hashmap *stacks)
{
	struct stack_ent **e;
	size_t it = 0;
	__u64 h;

	while (stacks && bw_hashmap__next(stacks, &it, &h, (void **)&e))
		free(*e);
	bw_hashmap__free(stacks);
}

/*
 * Walks the frame-pointer chain of a parked goroutine in buf, its stack
 * bytes [sp, sp + len): [bp] is the caller's bp, [bp+8] the return pc. A
 * chain leaving the bytes, or not growing upwards, ends the walk. True when
 * it ended only because the next frame lies past len.
 */
static bool walk_frames(const __u8 *buf, __u64 sp, __u64 len, __u64 bp, __u64 bias, __u64 *pcs,
			__u32 *npcs)
{
	__u64 ret, next;

	while (*npcs < BW_GO_STACK_MAX_ENTRIES && bp >= sp && bp + 16 <= sp + len && !(bp & 7)) {
		memcpy(&next, buf + (bp - sp), 8);
		memcpy(&ret, buf + (bp - sp) + 8, 8);
		if (!ret)
			return false;
		pcs[(*npcs)++] = ret - bias;
		if (next <= bp)
			return false;
		bp = next;
	}
	return *npcs < BW_GO_STACK_MAX_ENTRIES && bp >= sp && !(bp & 7) && bp + 16 > sp + len;
}

/*
 * Words the liveness search can do anything with: in the heap, where it
 * follows pointers, or below a heap range by less than the extent it gives
 * an object waited on whose size is unknown (gowatch's UNSIZED_READ_BYTES, 256).
 * Objects waited on outside the heap are live from the start: a word into
 * them changes nothing.
 */
#define HEAP_MARGIN_BYTES 4096

static bool near_heap(const struct bw_goscan *gs, __u64 w)
{
	size_t i;

	for (i = 0; i < gs->nheap; i++)
		if (w < gs->heap[i].end && w + HEAP_MARGIN_BYTES >= gs->heap[i].start)
			return true;
	return false;
}

/*
 * The live words of g's stack by the stack maps, from buf[0, len) read at
 * its sp: kept when they are those a read of the whole stack would give
 * (the whole stack is in buf, or the walk reached the outermost frame with
 * maps for every frame), so that the liveness search does not read the
 * stack again. Left unmapped otherwise, or when out of memory.
 */
static void map_stack(struct bw_goscan *gs, struct bw_goroutine *g, const __u8 *buf, __u64 len)
{
	__u64 whole = g->stack_hi - g->sched_sp, i, n = 0, bits = 0;
	int rc;

	g->map = 0;
	g->live_n = g->live_bits = 0;
	if (g->status == BW_GSTATUS_SYSCALL || whole > STACK_READ_MAX_BYTES || len > whole)
		return;
	memset(gs->stack_bits, 0, len / 64 + 1);
	rc = bw_gcmap_stack_memo(gs->walks, gs->gb, gs->bias, g->sched_pc, g->sched_sp, buf, len,
				 gs->stack_bits);
	if (rc < 0 || (rc && len != whole))
		return;
	if (gs->nlwords + len / 8 > gs->cap_lwords) {
		size_t cap = gs->cap_lwords ? 2 * gs->cap_lwords : 65536;
		__u64 *v;

		while (cap < gs->nlwords + len / 8)
			cap *= 2;
		v = realloc(gs->lwords, cap * sizeof(*v));
		if (!v)
			return;
		gs->lwords = v;
		gs->cap_lwords = cap;
	}
	for (i = 0; i < len / 8; i++) {
		__u64 w;

		if (!gs->stack_bits[i / 8]) { /* most of a stack is dead: a byte of bits at once */
			i |= 7;
			continue;
		}
		if (!(gs->stack_bits[i / 8] & (1u << (i % 8))))
			continue;
		bits++;
		memcpy(&w, buf + 8 * i, 8);
		if (w && !(w & 7) && near_heap(gs, w)) /* the search skips the others */
			gs->lwords[gs->nlwords + n++] = w;
	}
	g->live_at = gs->nlwords;
	g->live_n = n;
	g->live_bits = bits;
	g->map = rc ? BW_GOMAP_CONSERVATIVE : BW_GOMAP_PRECISE;
	gs->nlwords += n;
}

const __u64 *bw_goscan__stack_words(const struct bw_goscan *gs, size_t *n)
{
	*n = gs->nlwords;
	return gs->lwords;
}

void bw_goscan__drop_stack_words(struct bw_goscan *gs)
{
	free(gs->lwords);
	gs->lwords = NULL;
	gs->nlwords = gs->cap_lwords = 0;
}

/* pcs and stack_hash of each goroutine to walk: its first stack bytes in one go. */
void bw_goscan_read_stacks(struct bw_goscan *gs, struct batch *b, size_t nb)
{
	__u64 pcs[BW_GO_STACK_MAX_ENTRIES];
	size_t k, nv = 0;

	for (k = 0; k < nb; k++) {
		struct pending *p = &b->p[k];
		__u64 sp = p->g->sched_sp;

		p->stack_bytes = 0;
		if (!p->live || !p->walk || sp < p->lo || sp >= p->hi)
			continue;
		p->stack_bytes =
			p->hi - sp < STACK_READ_MAX_BYTES ? p->hi - sp : STACK_READ_MAX_BYTES;
		b->v[nv++] = vec(sp, b->sbuf[k],
				 p->stack_bytes < STACK_FIRST_BYTES ? p->stack_bytes
								    : STACK_FIRST_BYTES);
	}
	bw_mem__readv(gs->mem, b->v, nv);
	for (k = nv = 0; k < nb; k++) {
		struct pending *p = &b->p[k];
		struct bw_goroutine *g = p->g;
		__u32 len, npcs = 0;
		bool err;

		if (!p->live)
			continue;
		if (p->walk)
			pcs[npcs++] = g->sched_pc - gs->bias;
		if (p->stack_bytes) {
			len = b->v[nv].len;
			err = b->v[nv++].err;
			if (!err) {
				g->stack_hash = bw_goscan_hash_bytes(
					b->sbuf[k],
					len < STACK_HASH_BYTES ? len : STACK_HASH_BYTES);
				/* Deeper than the first bytes: read the whole of it. */
				if (walk_frames(b->sbuf[k], g->sched_sp, len, g->sched_bp, gs->bias,
						pcs, &npcs) &&
				    len < p->stack_bytes) {
					npcs = 1;
					if (bw_mem__read(gs->mem, g->sched_sp, gs->stack_buf,
							 p->stack_bytes)) {
						g->stack_hash = 0;
					} else {
						walk_frames(gs->stack_buf, g->sched_sp,
							    p->stack_bytes, g->sched_bp, gs->bias,
							    pcs, &npcs);
						map_stack(gs, g, gs->stack_buf, p->stack_bytes);
					}
				} else {
					map_stack(gs, g, b->sbuf[k], len);
				}
			}
		}
		g->npcs = npcs;
		g->pcs = npcs ? intern_stack(gs, pcs, npcs) : NULL;
		if (!g->pcs)
			g->npcs = 0;
	}
}
