// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "go/gorec.h"
#include "go/gosyms.h"
#include "go/gowait.h"

struct sym_ent {
	__u64 hash;
	__u32 npcs;
	__u32 gen;
	bool user_frame; /* blocked_at is outside the wait machinery */
	bool lock_wait;
	struct bw_gofunc blocked_at;
	struct bw_gofunc *stack; /* NULL until a record of it is reported */
	int nstack;
	__u64 pcs[];
};

struct creator_ent {
	__u64 gopc; /* + 1: 0 = empty */
	struct bw_gofunc by;
};

struct bw_gosyms {
	const struct bw_gobin *gb;
	struct sym_ent **tab; /* open addressing by pcs, NULL = empty */
	size_t cap, n;
	struct creator_ent *by; /* open addressing by gopc */
	size_t cap_by, nby;
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
	*out = c;
	return 0;
}

void bw_gosyms__free(struct bw_gosyms *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->cap; i++) {
		if (c->tab[i])
			free(c->tab[i]->stack);
		free(c->tab[i]);
	}
	free(c->tab);
	free(c->by);
	free(c);
}

static __u64 hash_pcs(const __u64 *pcs, __u32 n)
{
	__u64 h = 0xcbf29ce484222325ULL ^ n;
	__u32 i;

	for (i = 0; i < n; i++)
		h = (h ^ pcs[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

/* Rebuilds the table with cap slots, dropping entries older than keep_gen. */
static int rehash_syms(struct bw_gosyms *c, size_t cap, __u32 keep_gen)
{
	struct sym_ent **t = calloc(cap, sizeof(*t)), *e;
	size_t i, j;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < c->cap; i++) {
		e = c->tab[i];
		if (!e)
			continue;
		if (e->gen < keep_gen) {
			free(e->stack);
			free(e);
			c->n--;
			continue;
		}
		for (j = e->hash & (cap - 1); t[j]; j = (j + 1) & (cap - 1))
			;
		t[j] = e;
	}
	free(c->tab);
	c->tab = t;
	c->cap = cap;
	return 0;
}

static struct sym_ent *sym_of(struct bw_gosyms *c, const __u64 *pcs, __u32 npcs)
{
	__u64 h = hash_pcs(pcs, npcs);
	struct sym_ent *e;
	size_t i;

	if (2 * (c->n + 1) > c->cap && rehash_syms(c, c->cap ? 2 * c->cap : 256, 0))
		return NULL;
	for (i = h & (c->cap - 1); (e = c->tab[i]); i = (i + 1) & (c->cap - 1)) {
		if (e->hash == h && e->npcs == npcs &&
		    (!npcs || !memcmp(e->pcs, pcs, npcs * sizeof(*pcs)))) {
			e->gen = c->gen;
			return e;
		}
	}
	e = calloc(1, sizeof(*e) + npcs * sizeof(*pcs));
	if (!e)
		return NULL;
	e->hash = h;
	e->npcs = npcs;
	e->gen = c->gen;
	if (npcs)
		memcpy(e->pcs, pcs, npcs * sizeof(*pcs));
	e->user_frame = bw_gorec_blocked_frame(c->gb, pcs, npcs, &e->blocked_at, &e->lock_wait);
	c->tab[i] = e;
	c->n++;
	return e;
}

static const struct bw_gofunc *creator_of(struct bw_gosyms *c, __u64 gopc)
{
	struct creator_ent *e;
	size_t i;

	if (2 * (c->nby + 1) > c->cap_by) {
		size_t cap = c->cap_by ? 2 * c->cap_by : 64, j;
		struct creator_ent *t = calloc(cap, sizeof(*t));

		if (!t)
			return NULL;
		for (i = 0; i < c->cap_by; i++) {
			if (!c->by[i].gopc)
				continue;
			for (j = (c->by[i].gopc * 0x9e3779b97f4a7c15ULL) >> 40 & (cap - 1);
			     t[j].gopc; j = (j + 1) & (cap - 1))
				;
			t[j] = c->by[i];
		}
		free(c->by);
		c->by = t;
		c->cap_by = cap;
	}
	for (i = ((gopc + 1) * 0x9e3779b97f4a7c15ULL) >> 40 & (c->cap_by - 1); c->by[i].gopc;
	     i = (i + 1) & (c->cap_by - 1))
		if (c->by[i].gopc == gopc + 1)
			return &c->by[i].by;
	e = &c->by[i];
	e->gopc = gopc + 1;
	bw_gorec_creator(c->gb, gopc, &e->by);
	c->nby++;
	return &e->by;
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
		struct bw_gofunc fr[BW_GO_FRAMES_MAX];
		int n = bw_gorec_symbolize(c->gb, e->pcs, e->npcs, fr, BW_GO_FRAMES_MAX);

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

void bw_gosyms__sweep(struct bw_gosyms *c)
{
	if (c->cap && !rehash_syms(c, c->cap, c->gen))
		c->gen++;
}
