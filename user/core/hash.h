/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The program's hashes: FNV-1a for bytes, strings and words, and one u64
 * mixer whose high bits index tables. Their values are part of formats
 * (a snapshot's "fnv64" checksum is FNV-1a of its bytes) and of every
 * table's layout, so they never change.
 */
#ifndef BW_HASH_H
#define BW_HASH_H

#include <stddef.h>
#include <linux/types.h>

#define BW_FNV_OFFSET 0xcbf29ce484222325ULL
#define BW_FNV_PRIME 0x100000001b3ULL
/* 2^64 / the golden ratio, odd: a multiply by it spreads a key into the high bits. */
#define BW_HASH_GOLDEN 0x9e3779b97f4a7c15ULL

/* FNV-1a of n bytes, going on from h (BW_FNV_OFFSET to start). */
static inline __u64 bw_fnv1a(__u64 h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n--)
		h = (h ^ *s++) * BW_FNV_PRIME;
	return h;
}

/* FNV-1a of a NUL-terminated string (NULL: none). */
static inline __u64 bw_fnv1a_str(__u64 h, const char *s)
{
	while (s && *s)
		h = (h ^ (unsigned char)*s++) * BW_FNV_PRIME;
	return h;
}

/* One FNV-1a step on a whole word (pcs, pointers): a multiply a word, not eight. */
static inline __u64 bw_fnv1a_u64(__u64 h, __u64 v)
{
	return (h ^ v) * BW_FNV_PRIME;
}

/*
 * The u64 mixer (Fibonacci hashing, as libbpf's hash_bits): the high bits
 * of the product depend on every bit of x, the low ones only on x's low
 * bits (an aligned address leaves them 0). Take bits from the top.
 */
static inline __u64 bw_hash_u64(__u64 x)
{
	return x * BW_HASH_GOLDEN;
}

/* A slot of a table of 2^bits (1 <= bits <= 64) for x. */
static inline size_t bw_hash_bits(__u64 x, unsigned int bits)
{
	return (size_t)(bw_hash_u64(x) >> (64 - bits));
}

#endif
