// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/hashmap.h"

#define MIN_SLOTS 16

/* What an empty map probes: free slots, never written (max_n is 0, so inserts allocate). */
static __u64 no_slots[2];

int bw_hashmap__new(size_t val_bytes, struct bw_hashmap **out)
{
	struct bw_hashmap *m;

	*out = NULL;
	if (val_bytes > UINT_MAX)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->keys = no_slots;
	m->mask = 1;
	m->shift = 63;
	m->val_bytes = val_bytes;
	*out = m;
	return 0;
}

void bw_hashmap__free(struct bw_hashmap *m)
{
	if (!m)
		return;
	if (m->keys != no_slots)
		free(m->keys);
	free(m->vals);
	free(m);
}

static unsigned int log2_of(size_t slots)
{
	unsigned int bits = 0;

	while (((size_t)1 << bits) < slots)
		bits++;
	return bits;
}

/* Moves every entry into a new table of slots (a power of two, at least MIN_SLOTS). */
static int resize(struct bw_hashmap *m, size_t slots)
{
	size_t vb = m->val_bytes, i, j;
	struct bw_hashmap old = *m;
	unsigned char *vals = NULL;
	__u64 *keys;

	if (vb && slots + 1 > SIZE_MAX / vb)
		return -ENOMEM;
	/*
	 * Zeroed by hand, not calloc: fresh pages of calloc are the zero page
	 * until written, and the probe reads a slot before writing it, a
	 * second page fault for each page.
	 */
	keys = malloc(slots * sizeof(*keys));
	if (keys) {
		memset(keys, 0, slots * sizeof(*keys));
		vals = malloc(vb ? (slots + 1) * vb : 1);
	}
	if (!keys || !vals) {
		free(keys);
		return -ENOMEM;
	}
	m->keys = keys;
	m->vals = vals;
	m->mask = slots - 1;
	m->shift = 64 - log2_of(slots);
	m->max_n = slots / 2;
	for (i = 0; i <= old.mask; i++) {
		if (!old.keys[i])
			continue;
		for (j = bw_hashmap__slot_(m, old.keys[i]); keys[j]; j = (j + 1) & m->mask)
			;
		keys[j] = old.keys[i];
		memcpy(bw_hashmap__val_(m, j), bw_hashmap__val_(&old, i), vb);
	}
	if (old.has_zero)
		memcpy(bw_hashmap__val_(m, slots), bw_hashmap__val_(&old, old.mask + 1), vb);
	if (old.keys != no_slots)
		free(old.keys);
	free(old.vals);
	return 0;
}

/* Room for one more key. */
static int make_room(struct bw_hashmap *m)
{
	if (m->keys == no_slots)
		return resize(m, MIN_SLOTS);
	if (m->n < m->max_n)
		return 0;
	if (m->mask + 1 > SIZE_MAX / 2 / sizeof(*m->keys))
		return -ENOMEM;
	return resize(m, 2 * (m->mask + 1));
}

int bw_hashmap__reserve(struct bw_hashmap *m, size_t n)
{
	size_t slots = MIN_SLOTS;

	while (slots / 2 < n) {
		if (slots > SIZE_MAX / 2 / sizeof(*m->keys))
			return -ENOMEM;
		slots *= 2;
	}
	if (m->keys != no_slots && slots <= m->mask + 1)
		return 0;
	return resize(m, slots);
}

void bw_hashmap__clear(struct bw_hashmap *m)
{
	if (m->keys != no_slots)
		memset(m->keys, 0, (m->mask + 1) * sizeof(*m->keys));
	m->n = 0;
	m->has_zero = false;
}

int bw_hashmap__insert_slow_(struct bw_hashmap *m, __u64 key, void **val)
{
	void *v = bw_hashmap__find(m, key);
	size_t i;

	if (v) {
		if (val)
			*val = v;
		return 0;
	}
	if (make_room(m))
		return -ENOMEM;
	if (key) {
		for (i = bw_hashmap__slot_(m, key); m->keys[i]; i = (i + 1) & m->mask)
			;
		m->keys[i] = key;
	} else {
		i = m->mask + 1;
		m->has_zero = true;
	}
	m->n++;
	v = bw_hashmap__val_(m, i);
	memset(v, 0, m->val_bytes);
	if (val)
		*val = v;
	return 1;
}

int bw_hashmap__add_hashed(struct bw_hashmap *m, __u64 hash, void **val)
{
	__u64 key = bw_hashmap__hkey_(hash);
	size_t i;

	if (make_room(m))
		return -ENOMEM;
	for (i = bw_hashmap__slot_(m, key); m->keys[i]; i = (i + 1) & m->mask)
		;
	m->keys[i] = key;
	m->n++;
	*val = bw_hashmap__val_(m, i);
	memset(*val, 0, m->val_bytes);
	return 0;
}

/*
 * Frees slot i: each entry after it in its run moves back into the hole
 * when the hole lies on its probe path (its home slot at or before it).
 */
static void remove_at(struct bw_hashmap *m, size_t i)
{
	size_t j = i, home;

	for (;;) {
		j = (j + 1) & m->mask;
		if (!m->keys[j])
			break;
		home = bw_hashmap__slot_(m, m->keys[j]);
		if (((j - home) & m->mask) < ((j - i) & m->mask))
			continue;
		m->keys[i] = m->keys[j];
		memcpy(bw_hashmap__val_(m, i), bw_hashmap__val_(m, j), m->val_bytes);
		i = j;
	}
	m->keys[i] = 0;
	m->n--;
}

int bw_hashmap__delete(struct bw_hashmap *m, __u64 key, void *old)
{
	size_t i;

	if (!key) {
		if (!m->has_zero)
			return -ENOENT;
		if (old)
			memcpy(old, bw_hashmap__val_(m, m->mask + 1), m->val_bytes);
		m->has_zero = false;
		m->n--;
		return 0;
	}
	for (i = bw_hashmap__slot_(m, key); m->keys[i]; i = (i + 1) & m->mask) {
		if (m->keys[i] != key)
			continue;
		if (old)
			memcpy(old, bw_hashmap__val_(m, i), m->val_bytes);
		remove_at(m, i);
		return 0;
	}
	return -ENOENT;
}

int bw_hashmap__delete_hashed(struct bw_hashmap *m, __u64 hash, bw_hashmap_match_fn match,
			      const void *probe)
{
	__u64 key = bw_hashmap__hkey_(hash);
	size_t i;

	for (i = bw_hashmap__slot_(m, key); m->keys[i]; i = (i + 1) & m->mask) {
		if (m->keys[i] == key && match(bw_hashmap__val_(m, i), probe)) {
			remove_at(m, i);
			return 0;
		}
	}
	return -ENOENT;
}

bool bw_hashmap__next(const struct bw_hashmap *m, size_t *it, __u64 *key, void **val)
{
	size_t i;

	for (i = *it; i <= m->mask; i++) {
		if (!m->keys[i])
			continue;
		*it = i + 1;
		*key = m->keys[i];
		*val = bw_hashmap__val_(m, i);
		return true;
	}
	if (i == m->mask + 1 && m->has_zero) {
		*it = i + 1;
		*key = 0;
		*val = bw_hashmap__val_(m, i);
		return true;
	}
	*it = m->mask + 2;
	return false;
}

size_t bw_hashmap__retain(struct bw_hashmap *m, bw_hashmap_keep_fn keep, void *ctx)
{
	size_t start = 0, k, i, dropped = 0;

	if (m->has_zero && !keep(0, bw_hashmap__val_(m, m->mask + 1), ctx)) {
		m->has_zero = false;
		m->n--;
		dropped++;
	}
	/*
	 * From a free slot on, no run wraps past the start: a delete moves
	 * entries back only within their run, into the slot being looked at,
	 * so each entry is offered once.
	 */
	while (m->keys[start])
		start++;
	for (k = 1; k <= m->mask; k++) {
		i = (start + k) & m->mask;
		while (m->keys[i] && !keep(m->keys[i], bw_hashmap__val_(m, i), ctx)) {
			remove_at(m, i);
			dropped++;
		}
	}
	return dropped;
}
