/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The program's hash table: u64 keys, each with a value of a size fixed at
 * creation (0 bytes: a set). Open addressing with linear probing, never
 * more than half full: an insert that would pass that doubles the slots.
 * Deletes shift the entries after them back (no tombstones), so lookups
 * stay as fast after deletes as before.
 *
 * Any u64 is a key, 0 included (kept beside the slots, where 0 marks a
 * free one). A table keyed by content (a stack's pcs, a string) keys by
 * its hash and tells entries of one hash apart with a match callback on
 * the value: the *_hashed calls, under which several entries may share a
 * hash. A map is used through one kind of call or the other.
 *
 * A value pointer stays valid until the next insert, delete, retain or
 * clear. Entries are visited in slot order, which depends on the keys,
 * the capacity and the history: nothing printed may depend on it.
 *
 * The struct is here so that find and insert inline: a million-goroutine
 * scan looks up millions of addresses. Its fields are private.
 */
#ifndef BW_HASHMAP_H
#define BW_HASHMAP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#include "core/hash.h"

struct bw_hashmap {
	__u64 *keys;	     /* mask + 1 slots, 0 = free */
	unsigned char *vals; /* a value per slot, then key 0's */
	size_t mask;	     /* slots - 1 */
	size_t n;	     /* keys held, key 0 included */
	size_t max_n;	     /* keys held before an insert grows the slots */
	unsigned int shift;  /* 64 - log2(slots) */
	unsigned int val_bytes;
	bool has_zero;
};

/* An empty map whose values are val_bytes each; 0 or -ENOMEM. No slots until the first insert. */
int bw_hashmap__new(size_t val_bytes, struct bw_hashmap **out);
/* Accepts NULL. Values are the caller's: free what they point to first (bw_hashmap__next). */
void bw_hashmap__free(struct bw_hashmap *m);
/* Room for n keys in all without growing: 0, or -ENOMEM with the map unchanged. */
int bw_hashmap__reserve(struct bw_hashmap *m, size_t n);
/* Drops every key, keeping the slots for the next scan. */
void bw_hashmap__clear(struct bw_hashmap *m);

static inline size_t bw_hashmap__count(const struct bw_hashmap *m)
{
	return m->n;
}

/* Out of line, rare: key 0, and a key added when the slots must grow first. */
int bw_hashmap__insert_slow_(struct bw_hashmap *m, __u64 key, void **val);

static inline size_t bw_hashmap__slot_(const struct bw_hashmap *m, __u64 key)
{
	return (size_t)(bw_hash_u64(key) >> m->shift);
}

static inline void *bw_hashmap__val_(const struct bw_hashmap *m, size_t i)
{
	return m->vals + i * m->val_bytes;
}

/* key's value (not NULL for a member of a set either), or NULL when key is absent. */
static inline void *bw_hashmap__find(const struct bw_hashmap *m, __u64 key)
{
	size_t i;

	if (!key)
		return m->has_zero ? bw_hashmap__val_(m, m->mask + 1) : NULL;
	for (i = bw_hashmap__slot_(m, key); m->keys[i]; i = (i + 1) & m->mask)
		if (m->keys[i] == key)
			return bw_hashmap__val_(m, i);
	return NULL;
}

/*
 * Finds key or adds it: 1 when added (its value zeroed), 0 when it was
 * there, -ENOMEM when it could not be added (the map unchanged). *val, when
 * val is not NULL, points at its value.
 */
static inline int bw_hashmap__insert(struct bw_hashmap *m, __u64 key, void **val)
{
	size_t i;

	if (!key)
		return bw_hashmap__insert_slow_(m, key, val);
	for (i = bw_hashmap__slot_(m, key); m->keys[i]; i = (i + 1) & m->mask) {
		if (m->keys[i] == key) {
			if (val)
				*val = bw_hashmap__val_(m, i);
			return 0;
		}
	}
	if (m->n >= m->max_n)
		return bw_hashmap__insert_slow_(m, key, val);
	m->keys[i] = key;
	m->n++;
	if (val) {
		*val = bw_hashmap__val_(m, i);
		memset(*val, 0, m->val_bytes);
	}
	return 1;
}

/* Drops key, its value copied to old when old is not NULL: 0, or -ENOENT. */
int bw_hashmap__delete(struct bw_hashmap *m, __u64 key, void *old);

/*
 * Walks the entries: *it = 0 to start; true with *key and *val set while
 * one is left. An insert or delete ends the walk (bw_hashmap__retain drops
 * entries on the way).
 */
bool bw_hashmap__next(const struct bw_hashmap *m, size_t *it, __u64 *key, void **val);

/*
 * Keeps the entries keep() is true of and drops the others (keep may free
 * what their values point to); each entry is offered once. How many were
 * dropped. The slots stay.
 */
typedef bool (*bw_hashmap_keep_fn)(__u64 key, void *val, void *ctx);
size_t bw_hashmap__retain(struct bw_hashmap *m, bw_hashmap_keep_fn keep, void *ctx);

/*
 * Content keys. hash is the content's hash (0 is taken as 1), match says
 * whether an entry's value holds the content probe stands for. Inline, so
 * a static match function inlines too.
 */
typedef bool (*bw_hashmap_match_fn)(const void *val, const void *probe);

static inline __u64 bw_hashmap__hkey_(__u64 hash)
{
	return hash ? hash : 1;
}

/* The value of the entry of hash that match() takes for probe, or NULL. */
static inline void *bw_hashmap__find_hashed(const struct bw_hashmap *m, __u64 hash,
					    bw_hashmap_match_fn match, const void *probe)
{
	__u64 key = bw_hashmap__hkey_(hash);
	size_t i;

	for (i = bw_hashmap__slot_(m, key); m->keys[i]; i = (i + 1) & m->mask)
		if (m->keys[i] == key && match(bw_hashmap__val_(m, i), probe))
			return bw_hashmap__val_(m, i);
	return NULL;
}

/* Adds an entry of hash, whatever entries hash has already. 0 or -ENOMEM; *val its value, zeroed. */
int bw_hashmap__add_hashed(struct bw_hashmap *m, __u64 hash, void **val);

/*
 * bw_hashmap__insert for content keys: 1 with *val zeroed when the entry
 * was added (the caller fills it in so that match() takes it for probe),
 * 0 with *val the entry found, or -ENOMEM.
 */
static inline int bw_hashmap__insert_hashed(struct bw_hashmap *m, __u64 hash,
					    bw_hashmap_match_fn match, const void *probe,
					    void **val)
{
	void *v = bw_hashmap__find_hashed(m, hash, match, probe);
	int err;

	if (v) {
		*val = v;
		return 0;
	}
	err = bw_hashmap__add_hashed(m, hash, val);
	return err ? err : 1;
}

/* Drops the entry of hash that match() takes for probe: 0, or -ENOENT. */
int bw_hashmap__delete_hashed(struct bw_hashmap *m, __u64 hash, bw_hashmap_match_fn match,
			      const void *probe);

#endif
