// SPDX-License-Identifier: GPL-2.0
/* The shared hash table: u64 keys, inline values, content keys by hash. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "core/hash.h"
#include "core/hashmap.h"

#if defined(__SANITIZE_ADDRESS__)
#define BW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BW_ASAN 1
#endif
#endif

struct val {
	__u64 a, b;
};

static struct bw_hashmap *new_map(size_t val_bytes)
{
	struct bw_hashmap *m = NULL;

	cr_assert_eq(bw_hashmap__new(val_bytes, &m), 0);
	cr_assert_not_null(m);
	return m;
}

/* n keys sharing the home slot of a table of 2^bits slots, from 1 up. */
static void same_slot(__u64 *keys, size_t n, unsigned int bits, size_t slot)
{
	__u64 k;
	size_t i = 0;

	for (k = 1; i < n; k++)
		if (bw_hash_bits(k, bits) == slot)
			keys[i++] = k;
}

Test(hashmap, insert_then_find)
{
	struct bw_hashmap *m = new_map(sizeof(struct val));
	struct val *v;

	cr_assert_null(bw_hashmap__find(m, 42), "an empty map finds nothing");
	cr_assert_eq(bw_hashmap__insert(m, 42, (void **)&v), 1);
	cr_assert_eq(v->a, 0, "a new value is zeroed");
	v->a = 7;
	v->b = 8;
	cr_assert_eq(bw_hashmap__insert(m, 42, (void **)&v), 0, "a second insert finds it");
	cr_assert_eq(v->a, 7);
	v = bw_hashmap__find(m, 42);
	cr_assert_not_null(v);
	cr_assert_eq(v->b, 8);
	cr_assert_null(bw_hashmap__find(m, 43));
	cr_assert_eq(bw_hashmap__count(m), 1);
	bw_hashmap__free(m);
	bw_hashmap__free(NULL);
}

Test(hashmap, set_members_are_found)
{
	struct bw_hashmap *m = new_map(0);

	cr_assert_eq(bw_hashmap__insert(m, 0xc000001000ULL, NULL), 1);
	cr_assert_eq(bw_hashmap__insert(m, 0xc000001000ULL, NULL), 0);
	cr_assert_not_null(bw_hashmap__find(m, 0xc000001000ULL), "a member of a set is not NULL");
	cr_assert_null(bw_hashmap__find(m, 0xc000001008ULL));
	bw_hashmap__free(m);
}

/* Past many doublings every key keeps its value; addresses alike in their low bits included. */
Test(hashmap, grows_and_keeps_every_value)
{
	struct bw_hashmap *m = new_map(sizeof(__u64));
	const size_t n = 200000;
	__u64 *v;
	size_t i;

	for (i = 0; i < n; i++) {
		cr_assert_eq(bw_hashmap__insert(m, 0xc000000000ULL + (i << 12), (void **)&v), 1);
		*v = i;
	}
	cr_assert_eq(bw_hashmap__count(m), n);
	for (i = 0; i < n; i++) {
		v = bw_hashmap__find(m, 0xc000000000ULL + (i << 12));
		cr_assert_not_null(v, "key %zu lost", i);
		cr_assert_eq(*v, i);
	}
	cr_assert_null(bw_hashmap__find(m, 0xc000000000ULL + (n << 12)));
	cr_assert_leq(bw_hashmap__count(m), (m->mask + 1) / 2, "never more than half full");
	bw_hashmap__free(m);
}

Test(hashmap, reserve_then_no_growth)
{
	struct bw_hashmap *m = new_map(0);
	__u64 *keys;
	size_t i;

	cr_assert_eq(bw_hashmap__reserve(m, 1000), 0);
	keys = m->keys;
	for (i = 1; i <= 1000; i++)
		cr_assert_eq(bw_hashmap__insert(m, i * 8, NULL), 1);
	cr_assert_eq(m->keys, keys, "1000 reserved keys fit in the slots reserved");
	cr_assert_eq(bw_hashmap__reserve(m, 10), 0, "reserving less keeps the slots");
	cr_assert_eq(m->keys, keys);
	bw_hashmap__free(m);
}

/* Keys of one home slot, the last one: their run wraps to the table's start. */
Test(hashmap, collisions_wrap_and_survive_deletes)
{
	struct bw_hashmap *m = new_map(sizeof(__u64));
	__u64 keys[6], other[2], *v;
	size_t i;

	cr_assert_eq(bw_hashmap__reserve(m, 8), 0);
	cr_assert_eq(m->mask, 15, "16 slots");
	same_slot(keys, 6, 4, 15);
	same_slot(other, 2, 4, 0);
	for (i = 0; i < 6; i++) {
		cr_assert_eq(bw_hashmap__insert(m, keys[i], (void **)&v), 1);
		*v = keys[i] * 3;
	}
	/* Homed where the run wrapped to: pushed past it. */
	for (i = 0; i < 2; i++) {
		cr_assert_eq(bw_hashmap__insert(m, other[i], (void **)&v), 1);
		*v = other[i] * 3;
	}
	cr_assert_eq(m->keys[15], keys[0]);
	cr_assert_eq(m->keys[0], keys[1], "the run wraps");
	cr_assert_eq(bw_hashmap__delete(m, keys[0], NULL), 0);
	cr_assert_eq(bw_hashmap__delete(m, keys[3], NULL), 0);
	for (i = 0; i < 6; i++) {
		v = bw_hashmap__find(m, keys[i]);
		if (i == 0 || i == 3) {
			cr_assert_null(v, "deleted key %zu found", i);
			continue;
		}
		cr_assert_not_null(v, "key %zu lost by a delete before it", i);
		cr_assert_eq(*v, keys[i] * 3);
	}
	for (i = 0; i < 2; i++) {
		v = bw_hashmap__find(m, other[i]);
		cr_assert_not_null(v, "a key past the wrapped run lost");
		cr_assert_eq(*v, other[i] * 3);
	}
	cr_assert_eq(bw_hashmap__count(m), 6);
	bw_hashmap__free(m);
}

Test(hashmap, key_zero_is_a_key)
{
	struct bw_hashmap *m = new_map(sizeof(__u64));
	__u64 *v, old = 0, key;
	size_t it = 0, seen = 0;

	cr_assert_null(bw_hashmap__find(m, 0));
	cr_assert_eq(bw_hashmap__insert(m, 0, (void **)&v), 1);
	*v = 99;
	cr_assert_eq(bw_hashmap__insert(m, 0, (void **)&v), 0);
	cr_assert_eq(*v, 99);
	cr_assert_eq(bw_hashmap__insert(m, 5, (void **)&v), 1);
	*v = 55;
	cr_assert_eq(bw_hashmap__count(m), 2);
	/* growth moves key 0's value too */
	cr_assert_eq(bw_hashmap__reserve(m, 1000), 0);
	v = bw_hashmap__find(m, 0);
	cr_assert_not_null(v);
	cr_assert_eq(*v, 99);
	while (bw_hashmap__next(m, &it, &key, (void **)&v))
		seen += key == 0 && *v == 99;
	cr_assert_eq(seen, 1, "the walk shows key 0 once");
	cr_assert_eq(bw_hashmap__delete(m, 0, &old), 0);
	cr_assert_eq(old, 99);
	cr_assert_null(bw_hashmap__find(m, 0));
	cr_assert_eq(bw_hashmap__delete(m, 0, NULL), -ENOENT);
	cr_assert_eq(bw_hashmap__count(m), 1);
	cr_assert_eq(*(__u64 *)bw_hashmap__find(m, 5), 55);
	bw_hashmap__free(m);
}

Test(hashmap, delete_semantics)
{
	struct bw_hashmap *m = new_map(sizeof(struct val));
	struct val *v, old = { 0 };
	size_t i;

	cr_assert_eq(bw_hashmap__delete(m, 1, NULL), -ENOENT, "nothing to delete in an empty map");
	for (i = 1; i <= 100; i++) {
		cr_assert_eq(bw_hashmap__insert(m, i, (void **)&v), 1);
		v->a = i;
		v->b = ~i;
	}
	cr_assert_eq(bw_hashmap__delete(m, 50, &old), 0);
	cr_assert_eq(old.a, 50, "the deleted value is handed back");
	cr_assert_eq(old.b, ~50ULL);
	cr_assert_eq(bw_hashmap__delete(m, 50, &old), -ENOENT, "deleted once only");
	cr_assert_null(bw_hashmap__find(m, 50));
	cr_assert_eq(bw_hashmap__count(m), 99);
	cr_assert_eq(bw_hashmap__insert(m, 50, (void **)&v), 1, "a deleted key comes back new");
	cr_assert_eq(v->a, 0, "with its value zeroed");
	/* delete everything, odd keys first: the rest must stay findable all along */
	for (i = 1; i <= 100; i += 2)
		cr_assert_eq(bw_hashmap__delete(m, i, NULL), 0);
	for (i = 2; i <= 100; i += 2) {
		v = bw_hashmap__find(m, i);
		cr_assert_not_null(v, "key %zu lost", i);
		cr_assert_eq(v->a, i == 50 ? 0 : i);
	}
	for (i = 2; i <= 100; i += 2)
		cr_assert_eq(bw_hashmap__delete(m, i, NULL), 0);
	cr_assert_eq(bw_hashmap__count(m), 0);
	for (i = 0; i <= m->mask; i++)
		cr_assert_eq(m->keys[i], 0, "no slot left taken");
	bw_hashmap__free(m);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* The keys a walk shows, sorted; each value must be its key + 1. */
static size_t walk(const struct bw_hashmap *m, __u64 *out, size_t max)
{
	size_t it = 0, n = 0;
	__u64 key, *v;

	while (bw_hashmap__next(m, &it, &key, (void **)&v)) {
		cr_assert_lt(n, max, "more entries walked than held");
		cr_assert_eq(*v, key + 1);
		out[n++] = key;
	}
	qsort(out, n, sizeof(*out), cmp_u64);
	return n;
}

/* One key set however it got there: insert orders, deletes and growth change only the order. */
Test(hashmap, iteration_shows_each_entry_once_in_any_order)
{
	enum { N = 3000 };
	struct bw_hashmap *a = new_map(sizeof(__u64)), *b = new_map(sizeof(__u64));
	static __u64 wa[N + 10], wb[N + 10];
	__u64 *v;
	size_t i, na, nb;

	for (i = 0; i < N; i++) {
		cr_assert_eq(bw_hashmap__insert(a, i * 24, (void **)&v), 1);
		*v = i * 24 + 1;
	}
	cr_assert_eq(bw_hashmap__reserve(b, 5 * N), 0);
	for (i = N + 500; i-- > 0;) {
		cr_assert_eq(bw_hashmap__insert(b, i * 24, (void **)&v), 1);
		*v = i * 24 + 1;
	}
	for (i = N; i < N + 500; i++)
		cr_assert_eq(bw_hashmap__delete(b, i * 24, NULL), 0);
	na = walk(a, wa, N + 10);
	nb = walk(b, wb, N + 10);
	cr_assert_eq(na, N);
	cr_assert_eq(nb, N);
	for (i = 0; i < N; i++) {
		cr_assert_eq(wa[i], i * 24, "walk of a: key %zu", i);
		cr_assert_eq(wb[i], i * 24, "walk of b: key %zu", i);
	}
	bw_hashmap__free(a);
	bw_hashmap__free(b);
}

struct keep_ctx {
	size_t offered[256];
};

static bool keep_odd(__u64 key, void *val, void *ctx)
{
	struct keep_ctx *k = ctx;

	k->offered[key]++;
	return key & 1;
}

Test(hashmap, retain_offers_each_entry_once)
{
	struct bw_hashmap *m = new_map(sizeof(__u64));
	struct keep_ctx k = { 0 };
	__u64 keys[4], *v;
	size_t i, slots;

	/*
	 * 16 slots: 16, 29, 50, 63 home at 14 and wrap to 0 and 1, 102 homes
	 * at 0 and sits at 2; dropping 16 pulls them back across the end.
	 */
	cr_assert_eq(bw_hashmap__reserve(m, 8), 0);
	slots = m->mask + 1;
	same_slot(keys, 4, 4, 14);
	for (i = 0; i < 4; i++)
		cr_assert_eq(bw_hashmap__insert(m, keys[i], (void **)&v), 1);
	for (i = 0; i < 3; i++)
		cr_assert_eq(bw_hashmap__insert(m, 100 + i, (void **)&v), 1);
	cr_assert_eq(bw_hashmap__insert(m, 0, (void **)&v), 1);
	cr_assert_eq(m->mask + 1, slots, "no growth: the layout is the one above");
	cr_assert_eq(m->keys[2], 102);
	cr_assert_eq(bw_hashmap__retain(m, keep_odd, &k),
		     1 + (keys[0] % 2 == 0) + (keys[1] % 2 == 0) + (keys[2] % 2 == 0) +
			     (keys[3] % 2 == 0) + 2);
	cr_assert_eq(k.offered[0], 1);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(k.offered[keys[i]], 1, "key %llu offered %zu times",
			     (unsigned long long)keys[i], k.offered[keys[i]]);
		cr_assert_eq(!!bw_hashmap__find(m, keys[i]), keys[i] & 1);
	}
	for (i = 0; i < 3; i++) {
		cr_assert_eq(k.offered[100 + i], 1);
		cr_assert_eq(!!bw_hashmap__find(m, 100 + i), (100 + i) & 1);
	}
	cr_assert_null(bw_hashmap__find(m, 0));
	cr_assert_eq(bw_hashmap__count(m), 3);
	bw_hashmap__free(m);
}

Test(hashmap, clear_keeps_the_slots_for_reuse)
{
	struct bw_hashmap *m = new_map(sizeof(__u64));
	__u64 *keys, *v;
	size_t i;

	for (i = 0; i < 1000; i++)
		cr_assert_eq(bw_hashmap__insert(m, i, (void **)&v), 1);
	keys = m->keys;
	bw_hashmap__clear(m);
	cr_assert_eq(bw_hashmap__count(m), 0);
	cr_assert_null(bw_hashmap__find(m, 0));
	cr_assert_null(bw_hashmap__find(m, 500));
	for (i = 0; i < 1000; i++)
		cr_assert_eq(bw_hashmap__insert(m, i, (void **)&v), 1, "key %zu was left", i);
	cr_assert_eq(m->keys, keys, "the same slots serve the next scan");
	bw_hashmap__free(m);
}

/* Content keys: entries point at their content; a hash may be shared. */
struct blob {
	const char *s;
};

static bool same_str(const void *val, const void *probe)
{
	return !strcmp(((const struct blob *)val)->s, probe);
}

Test(hashmap, content_keys_share_a_hash)
{
	struct bw_hashmap *m = new_map(sizeof(struct blob));
	const char *names[] = { "alpha", "beta", "gamma" };
	struct blob *v;
	size_t i;

	/* every name under one hash, 0 (taken as 1) */
	for (i = 0; i < 3; i++) {
		cr_assert_eq(bw_hashmap__insert_hashed(m, 0, same_str, names[i], (void **)&v), 1);
		v->s = names[i];
	}
	cr_assert_eq(bw_hashmap__insert_hashed(m, 0, same_str, "beta", (void **)&v), 0);
	cr_assert_str_eq(v->s, "beta");
	cr_assert_eq(bw_hashmap__count(m), 3);
	for (i = 0; i < 3; i++) {
		v = bw_hashmap__find_hashed(m, 0, same_str, names[i]);
		cr_assert_not_null(v);
		cr_assert_str_eq(v->s, names[i]);
	}
	cr_assert_null(bw_hashmap__find_hashed(m, 0, same_str, "delta"));
	cr_assert_null(bw_hashmap__find_hashed(m, 7, same_str, "alpha"), "another hash, not found");
	cr_assert_eq(bw_hashmap__delete_hashed(m, 0, same_str, "alpha"), 0);
	cr_assert_eq(bw_hashmap__delete_hashed(m, 0, same_str, "alpha"), -ENOENT);
	cr_assert_null(bw_hashmap__find_hashed(m, 0, same_str, "alpha"));
	cr_assert_not_null(bw_hashmap__find_hashed(m, 0, same_str, "gamma"),
			   "the others stay after a delete");
	cr_assert_eq(bw_hashmap__add_hashed(m, 0, (void **)&v), 0);
	v->s = "beta";
	cr_assert_eq(bw_hashmap__count(m), 3, "add makes a second entry of the same content");
	bw_hashmap__free(m);
}

Test(hashmap, impossible_sizes_fail_and_change_nothing)
{
	struct bw_hashmap *m, *none = NULL;
	__u64 *v;

	cr_assert_eq(bw_hashmap__new((size_t)UINT32_MAX + 1, &none), -EINVAL);
	cr_assert_null(none);
	m = new_map(sizeof(__u64));
	cr_assert_eq(bw_hashmap__insert(m, 3, (void **)&v), 1);
	*v = 33;
	cr_assert_eq(bw_hashmap__reserve(m, SIZE_MAX), -ENOMEM);
	cr_assert_eq(bw_hashmap__reserve(m, SIZE_MAX / 16), -ENOMEM);
	cr_assert_eq(*(__u64 *)bw_hashmap__find(m, 3), 33);
	cr_assert_eq(bw_hashmap__count(m), 1);
	bw_hashmap__free(m);
}

/* Caps the address space a little above what the process maps now. */
static void limit_memory(size_t more_bytes)
{
	unsigned long pages = 0;
	struct rlimit r;
	FILE *f = fopen("/proc/self/statm", "r");

	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	r.rlim_cur = r.rlim_max = pages * sysconf(_SC_PAGESIZE) + more_bytes;
	cr_assert_eq(setrlimit(RLIMIT_AS, &r), 0);
}

/* Each test runs in its own process, so the limit ends with it. */
Test(hashmap, failed_growth_keeps_the_map)
{
	struct bw_hashmap *m = new_map(1 << 16); /* 64 KiB values: 16 slots hold 1 MiB */
	void *v;
	size_t i;

#ifdef BW_ASAN
	cr_skip_test("the sanitizer's shadow memory defeats an address space limit");
#endif
	for (i = 1; i <= 8; i++) {
		cr_assert_eq(bw_hashmap__insert(m, i, &v), 1);
		memset(v, (int)i, 1 << 16);
	}
	cr_assert_eq(m->max_n, 8, "16 slots, full");
	limit_memory(1 << 20); /* 32 slots would take 2 MiB more */
	cr_assert_eq(bw_hashmap__insert(m, 9, &v), -ENOMEM);
	cr_assert_eq(bw_hashmap__reserve(m, 100), -ENOMEM);
	cr_assert_eq(bw_hashmap__count(m), 8);
	cr_assert_null(bw_hashmap__find(m, 9));
	for (i = 1; i <= 8; i++) {
		unsigned char *b = bw_hashmap__find(m, i);

		cr_assert_not_null(b, "key %zu lost by a failed growth", i);
		cr_assert_eq(b[0], i);
		cr_assert_eq(b[(1 << 16) - 1], i);
	}
	cr_assert_eq(bw_hashmap__insert(m, 5, &v), 0, "finding still works");
	cr_assert_eq(bw_hashmap__delete(m, 5, NULL), 0);
	cr_assert_eq(bw_hashmap__insert(m, 9, &v), 1, "a freed slot takes the new key");
	bw_hashmap__free(m);
}

Test(hash, fnv1a_known_values)
{
	/* FNV-1a 64 test vectors (Fowler, Noll, Vo) */
	cr_assert_eq(bw_fnv1a(BW_FNV_OFFSET, "", 0), 0xcbf29ce484222325ULL);
	cr_assert_eq(bw_fnv1a(BW_FNV_OFFSET, "a", 1), 0xaf63dc4c8601ec8cULL);
	cr_assert_eq(bw_fnv1a(BW_FNV_OFFSET, "foobar", 6), 0x85944171f73967e8ULL);
	cr_assert_eq(bw_fnv1a_str(BW_FNV_OFFSET, "foobar"), 0x85944171f73967e8ULL);
	cr_assert_eq(bw_fnv1a_str(BW_FNV_OFFSET, NULL), BW_FNV_OFFSET);
	cr_assert_eq(bw_fnv1a_u64(BW_FNV_OFFSET, 'a'), 0xaf63dc4c8601ec8cULL,
		     "a word step is a byte step on a byte");
	cr_assert_eq(bw_hash_bits(1, 64), BW_HASH_GOLDEN);
	cr_assert_eq(bw_hash_bits(1, 4), 0x9);
}
