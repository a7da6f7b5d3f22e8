// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/hash.h"
#include "core/hashmap.h"
#include "go/gorec.h"
#include "go/gosyms.h"
#include "go/gowait.h"

struct sym_ent {
	__u32 npcs;
	__u32 gen;
	bool user_frame; /* blocked_at is outside the wait machinery */
	bool lock_wait;
	struct bw_gofunc blocked_at;
	struct bw_gofunc *stack; /* NULL until a record of it is reported */
	int nstack;
	__u64 pcs[];
};

struct bw_gosyms {
	const struct bw_gobin *gb;
	struct bw_hashmap *syms; /* hash of the pcs -> struct sym_ent * */
	struct bw_hashmap *by;	 /* gopc -> struct bw_gofunc */
	__u32 gen;
};

int bw_gosyms__new(const struct bw_gobin *gb, struct bw_gosyms **out)
{
	struct bw_gosyms *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->gb = gb;
	c->gen = 1;
	if (bw_hashmap__new(sizeof(struct sym_ent *), &c->syms) ||
	    bw_hashmap__new(sizeof(struct bw_gofunc), &c->by)) {
		bw_gosyms__free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void bw_gosyms__free(struct bw_gosyms *c)
{
	struct sym_ent **e;
	size_t it = 0;
	__u64 h;

	if (!c)
		return;
	while (c->syms && bw_hashmap__next(c->syms, &it, &h, (void **)&e)) {
		free((*e)->stack);
		free(*e);
	}
	bw_hashmap__free(c->syms);
	bw_hashmap__free(c->by);
	free(c);
}

static __u64 hash_pcs(const __u64 *pcs, __u32 n)
{
	__u64 h = BW_FNV_OFFSET ^ n;
	__u32 i;

	for (i = 0; i < n; i++)
		h = bw_fnv1a_u64(h, pcs[i]);
	return h ^ (h >> 29);
}

struct pcs_key {
	const __u64 *pcs;
	__u32 n;
};

static bool same_pcs(const void *val, const void *probe)
{
	const struct sym_ent *e = *(struct sym_ent *const *)val;
	const struct pcs_key *k = probe;

	return e->npcs == k->n && (!k->n || !memcmp(e->pcs, k->pcs, k->n * sizeof(*k->pcs)));
}

static struct sym_ent *sym_of(struct bw_gosyms *c, const __u64 *pcs, __u32 npcs)
{
	__u64 h = hash_pcs(pcs, npcs);
	const struct pcs_key key = { pcs, npcs };
	struct sym_ent *e, **slot = bw_hashmap__find_hashed(c->syms, h, same_pcs, &key);

	if (slot) {
		(*slot)->gen = c->gen;
		return *slot;
	}
	e = calloc(1, sizeof(*e) + npcs * sizeof(*pcs));
	if (!e)
		return NULL;
	e->npcs = npcs;
	e->gen = c->gen;
	if (npcs)
		memcpy(e->pcs, pcs, npcs * sizeof(*pcs));
	e->user_frame = bw_gorec_blocked_frame(c->gb, pcs, npcs, &e->blocked_at, &e->lock_wait);
	if (bw_hashmap__add_hashed(c->syms, h, (void **)&slot)) {
		free(e);
		return NULL;
	}
	*slot = e;
	return e;
}

/* Valid until the next creator_of. */
static const struct bw_gofunc *creator_of(struct bw_gosyms *c, __u64 gopc)
{
	struct bw_gofunc *by;
	int added = bw_hashmap__insert(c->by, gopc, (void **)&by);

	if (added < 0)
		return NULL;
	if (added)
		bw_gorec_creator(c->gb, gopc, by);
	return by;
}

int bw_gosyms__fill(struct bw_gosyms *c, struct bw_gorec *r)
{
	const struct sym_ent *e = sym_of(c, r->g.pcs, r->g.npcs);
	const struct bw_gofunc *by = creator_of(c, r->g.gopc);

	if (!e || !by)
		return -ENOMEM;
	r->blocked_at = e->blocked_at;
	r->lock_wait = e->lock_wait;
	r->runtime_only = !e->user_frame;
	r->created_by = *by;
	if (r->created_by.name[0] && !bw_goruntime_package(r->created_by.name))
		r->runtime_only = false;
	return 0;
}

int bw_gosyms__fill_stack(struct bw_gosyms *c, struct bw_gorec *r)
{
	struct sym_ent *e;

	if (r->stack)
		return 0;
	e = sym_of(c, r->g.pcs, r->g.npcs);
	if (!e)
		return -ENOMEM;
	if (!e->stack) {
		struct bw_gofunc fr[BW_GO_FRAMES_MAX_ENTRIES];
		int n = bw_gorec_symbolize(c->gb, e->pcs, e->npcs, fr, BW_GO_FRAMES_MAX_ENTRIES);

		e->stack = malloc((n ? n : 1) * sizeof(*e->stack));
		if (!e->stack)
			return -ENOMEM;
		memcpy(e->stack, fr, n * sizeof(*fr));
		e->nstack = n;
	}
	r->stack = e->stack;
	r->nstack = e->nstack;
	return 0;
}

/* Entries no fill used since the scan *ctx (a __u32) go. */
static bool sym_used(__u64 hash, void *val, void *ctx)
{
	struct sym_ent *e = *(struct sym_ent **)val;

	if (e->gen >= *(const __u32 *)ctx)
		return true;
	free(e->stack);
	free(e);
	return false;
}

void bw_gosyms__sweep(struct bw_gosyms *c)
{
	bw_hashmap__retain(c->syms, sym_used, &c->gen);
	c->gen++;
}
