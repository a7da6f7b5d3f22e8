// SPDX-License-Identifier: GPL-2.0
/*
 * The shared hash table (user/core/hashmap) against the open addressing
 * goreach's seen set had inline before it: the same job, "true the first
 * time an address is seen", over Go heap-like addresses (spread over
 * 64 GiB from 0xc000000000, or packed like a span's small objects), each
 * seen twice, the second time after every first. Both tables are sized up front as the search sizes its own
 * (twice the keys, a power of two); "new, growing" starts empty instead.
 * Rounds are interleaved; medians of ns per visit are printed, and the
 * ratio new / old.
 *
 * usage: hashmap-bench [ROUNDS] [N...]   (default 5 rounds, N = 1000000 10000000)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/hashmap.h"

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The old table: goreach.c's first_visit and its sizing, as they were. */
struct old_set {
	__u64 *seen;
	size_t seen_cap, nseen;
};

static bool old_first_visit(struct old_set *s, __u64 addr)
{
	size_t i = (addr * 0x9e3779b97f4a7c15ULL) & (s->seen_cap - 1);

	while (s->seen[i]) {
		if (s->seen[i] == addr)
			return false;
		i = (i + 1) & (s->seen_cap - 1);
	}
	s->seen[i] = addr;
	s->nseen++;
	return true;
}

static __u64 splitmix(__u64 *x)
{
	__u64 z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Visits of keys[0, 2n): n addresses, then the same again shuffled. Spread:
 * anywhere in the 64 GiB; packed: 16-byte objects one after the other, as
 * the small objects of a span are.
 */
static __u64 *make_visits(size_t n, bool packed)
{
	__u64 *v = malloc(2 * n * sizeof(*v)), x = 42, t;
	size_t i, j;

	if (!v)
		return NULL;
	for (i = 0; i < n; i++)
		v[i] = 0xc000000000ULL + (packed ? 16 * i : splitmix(&x) % (64ULL << 30) & ~7ULL);
	memcpy(v + n, v, n * sizeof(*v));
	for (i = 2 * n - 1; i > n; i--) {
		j = n + splitmix(&x) % (i - n + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	return v;
}

/* ns per visit, and how many were first visits (the two must agree). */
static double run_old(const __u64 *v, size_t n, size_t *first)
{
	struct old_set s = { 0 };
	__u64 t0;
	size_t i;

	for (s.seen_cap = 1024; s.seen_cap < 2 * n; s.seen_cap *= 2)
		;
	s.seen = calloc(s.seen_cap, sizeof(*s.seen));
	if (!s.seen)
		return -1;
	*first = 0;
	t0 = now_ns();
	for (i = 0; i < 2 * n; i++)
		*first += old_first_visit(&s, v[i]);
	t0 = now_ns() - t0;
	free(s.seen);
	return (double)t0 / (2 * n);
}

static double run_new(const __u64 *v, size_t n, bool reserve, size_t *first)
{
	struct bw_hashmap *m;
	__u64 t0;
	size_t i;

	if (bw_hashmap__new(0, &m) || (reserve && bw_hashmap__reserve(m, n))) {
		bw_hashmap__free(m);
		return -1;
	}
	*first = 0;
	t0 = now_ns();
	for (i = 0; i < 2 * n; i++)
		*first += bw_hashmap__insert(m, v[i], NULL) == 1;
	t0 = now_ns() - t0;
	bw_hashmap__free(m);
	return (double)t0 / (2 * n);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *x, int n)
{
	qsort(x, n, sizeof(*x), cmp_double);
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

#define ROUNDS_MAX 64

static int bench(size_t n, bool packed, int rounds)
{
	double o[ROUNDS_MAX], w[ROUNDS_MAX], g[ROUNDS_MAX];
	__u64 *v = make_visits(n, packed);
	size_t fo = 0, fw = 0, fg = 0;
	int r;

	if (!v)
		return -1;
	for (r = 0; r < rounds; r++) {
		/* the order rotates with the round: a busy moment of the host hits each in turn */
		int k;

		for (k = 0; k < 3; k++) {
			switch ((r + k) % 3) {
			case 0:
				o[r] = run_old(v, n, &fo);
				break;
			case 1:
				w[r] = run_new(v, n, true, &fw);
				break;
			default:
				g[r] = run_new(v, n, false, &fg);
				break;
			}
		}
		if (o[r] < 0 || w[r] < 0 || g[r] < 0 || fo != fw || fo != fg) {
			fprintf(stderr,
				"hashmap-bench: failed at n=%zu (first visits %zu %zu %zu)\n", n,
				fo, fw, fg);
			free(v);
			return -1;
		}
	}
	printf("| %zu | %s | %zu | %.1f | %.1f | %.1f | %.3fx | %.3fx |\n", n,
	       packed ? "packed" : "spread", fo, median(o, rounds), median(w, rounds),
	       median(g, rounds), median(w, rounds) / median(o, rounds),
	       median(g, rounds) / median(o, rounds));
	free(v);
	return 0;
}

int main(int argc, char **argv)
{
	size_t def[] = { 1000000, 10000000 };
	int rounds = argc > 1 ? atoi(argv[1]) : 5, i, err = 0;

	if (rounds < 1 || rounds > ROUNDS_MAX) {
		fprintf(stderr, "usage: hashmap-bench [ROUNDS (1-%d)] [N...]\n", ROUNDS_MAX);
		return 1;
	}
	printf("%d rounds, median ns per visit (each key visited twice)\n\n", rounds);
	printf("| keys | addresses | first visits | old inline | new, reserved | new, growing "
	       "| new/old | growing/old |\n|---:|---|---:|---:|---:|---:|---:|---:|\n");
	if (argc > 2) {
		for (i = 2; i < argc && !err; i++) {
			err = bench(strtoull(argv[i], NULL, 10), false, rounds);
			err = err ? err : bench(strtoull(argv[i], NULL, 10), true, rounds);
		}
	} else {
		for (i = 0; i < 2 && !err; i++) {
			err = bench(def[i], false, rounds);
			err = err ? err : bench(def[i], true, rounds);
		}
	}
	return err ? 1 : 0;
}
