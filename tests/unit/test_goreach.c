// SPDX-License-Identifier: GPL-2.0
/* The liveness fixpoint on synthetic memory: regions of words at chosen addresses. */
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include "go/goreach.h"

#define HEAP 0xc000000000ULL
#define GLOBALS 0x500000ULL
#define STACKS 0xc100000000ULL
#define WORDS 64

struct region {
	__u64 addr;
	__u64 w[WORDS];
};

struct mem {
	struct region r[16];
	size_t n;
	const struct bw_range *stacks; /* waiter i's stack, lent when live */
};

static __u64 *at(struct mem *m, __u64 addr)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (addr >= m->r[i].addr && addr < m->r[i].addr + 8 * WORDS)
			return &m->r[i].w[(addr - m->r[i].addr) / 8];
	cr_assert_lt(m->n, 16);
	i = m->n++;
	m->r[i].addr = addr & ~(8ULL * WORDS - 1);
	memset(m->r[i].w, 0, sizeof(m->r[i].w));
	return &m->r[i].w[(addr - m->r[i].addr) / 8];
}

static void put(struct mem *m, __u64 addr, __u64 v)
{
	*at(m, addr) = v;
}

static int rd(void *ctx, __u64 addr, void *buf, size_t len)
{
	struct mem *m = ctx;
	size_t i, k;

	for (k = 0; k < len; k += 8) {
		for (i = 0; i < m->n; i++)
			if (addr + k >= m->r[i].addr && addr + k < m->r[i].addr + 8 * WORDS)
				break;
		if (i == m->n)
			return k ? 0 : -EFAULT; /* a short read keeps what was read: zeros after */
		memcpy((char *)buf + k, &m->r[i].w[(addr + k - m->r[i].addr) / 8], 8);
	}
	return 0;
}

/* Every heap object is 64 bytes, 64-aligned. */
static int size64(void *ctx, __u64 addr, __u64 *base, __u64 *size)
{
	(void)ctx;
	if (addr < HEAP || addr >= HEAP + (1ULL << 32))
		return -ENOENT;
	*base = addr & ~63ULL;
	*size = 64;
	return 0;
}

static int stack_of(void *ctx, size_t i, struct bw_reach_sink *sink)
{
	const struct mem *m = ctx;

	return bw_reach_sink_add(sink, m->stacks[i].start, m->stacks[i].end);
}

static const struct bw_reach_limits lim = {
	.max_hops = 1 << 20, .object_bytes = 4096, .max_objects = 10000, .max_bytes = 1 << 20
};

static const struct bw_range heap_ranges[] = { { HEAP, HEAP + (1ULL << 32) } };

struct setup {
	struct mem m;
	struct bw_range roots[4];
	size_t nroots;
	struct bw_range objs[8];
	__u32 idx[8];
	struct bw_reach_waiter w[8];
	struct bw_range stacks[8];
	__u64 stops[4];
	size_t nstops;
	size_t nobjs, nw;
	bool live[8], reached[8];
	bool sized;
	bw_reach_ptrs_fn ptrs;
	struct bw_reach_limits lim;
};

static void setup_init(struct setup *s)
{
	memset(s, 0, sizeof(*s));
	s->roots[s->nroots++] = (struct bw_range){ GLOBALS, GLOBALS + 8 * WORDS };
	put(&s->m, GLOBALS, 0); /* the globals exist, all zero */
	s->lim = lim;
}

/* Waiter i waits on the object at addr (a new one), its stack at STACKS + i * 0x1000. */
static void waiter(struct setup *s, __u64 addr, bool never)
{
	size_t i = s->nw++;

	s->objs[s->nobjs] = (struct bw_range){ addr, addr + (s->sized ? 64 : 1) };
	s->idx[i] = s->nobjs++;
	s->w[i] = (struct bw_reach_waiter){ .at = i, .n = 1, .never = never };
	s->stacks[i] = (struct bw_range){ STACKS + i * 0x1000, STACKS + i * 0x1000 + 8 * WORDS };
	put(&s->m, s->stacks[i].start, 0);
}

static int run(struct setup *s)
{
	struct bw_range opaque[] = { { STACKS, STACKS + 0x100000 } };
	struct bw_reach_io io = {
		.read = rd, .size_of = s->sized ? size64 : NULL, .ptrs = s->ptrs, .ctx = &s->m
	};
	struct bw_reach_in in = { .roots = s->roots,
				  .nroots = s->nroots,
				  .heap = heap_ranges,
				  .nheap = 1,
				  .stops = s->stops,
				  .nstops = s->nstops,
				  .opaque = opaque,
				  .nopaque = 1,
				  .objs = s->objs,
				  .nobjs = s->nobjs,
				  .obj_idx = s->idx,
				  .waiters = s->w,
				  .nwaiters = s->nw,
				  .stack_roots = stack_of,
				  .stack_ctx = &s->m };
	struct bw_reach_out out = { .live = s->live, .reached = s->reached };

	s->m.stacks = s->stacks;
	return bw_reach_live(&in, &s->lim, &io, &out);
}

Test(goreach, a_channel_only_its_waiter_knows_is_dead)
{
	struct setup s;

	setup_init(&s);
	waiter(&s, HEAP + 0x1000, false);
	waiter(&s, HEAP + 0x2000, false);
	put(&s.m, GLOBALS + 16, HEAP + 0x100); /* a global -> an object -> the second channel */
	put(&s.m, HEAP + 0x100 + 24, HEAP + 0x2000);
	/* The first channel's pointer sits in its own waiter's stack only. */
	put(&s.m, s.stacks[0].start + 8, HEAP + 0x1000);
	cr_assert_eq(run(&s), 0);
	cr_expect_not(s.live[0]);
	cr_expect(s.live[1]);
	cr_expect(s.reached[1]);
}

Test(goreach, live_waiters_lend_their_stacks_until_nothing_changes)
{
	struct setup s;

	setup_init(&s);
	waiter(&s, HEAP + 0x1000, false); /* 0: on X, reached from a global */
	waiter(&s, HEAP + 0x2000, false); /* 1: on Y, known to 0's stack */
	waiter(&s, HEAP + 0x3000, false); /* 2: on Z, known to 1's stack through an object */
	waiter(&s, HEAP + 0x4000, false); /* 3: on W, known to nobody live */
	put(&s.m, GLOBALS + 8, HEAP + 0x1000);
	put(&s.m, s.stacks[0].start + 16, HEAP + 0x2000);
	put(&s.m, s.stacks[1].start + 8, HEAP + 0x500);
	put(&s.m, HEAP + 0x500 + 8, HEAP + 0x3000);
	put(&s.m, s.stacks[3].start, HEAP + 0x1000); /* 3 knows X: lends nothing to W */
	cr_assert_eq(run(&s), 0);
	cr_expect(s.live[0] && s.live[1] && s.live[2]);
	cr_expect_not(s.live[3]);
	/* Without the global, the chain has no root: all dead. */
	setup_init(&s);
	waiter(&s, HEAP + 0x1000, false);
	waiter(&s, HEAP + 0x2000, false);
	put(&s.m, s.stacks[0].start + 16, HEAP + 0x2000);
	put(&s.m, s.stacks[1].start + 16, HEAP + 0x1000); /* a cycle among the dead */
	cr_assert_eq(run(&s), 0);
	cr_expect_not(s.live[0]);
	cr_expect_not(s.live[1]);
}

Test(goreach, runtime_records_and_stacks_keep_nothing_alive)
{
	struct setup s;

	setup_init(&s);
	waiter(&s, HEAP + 0x1000, false);
	waiter(&s, HEAP + 0x2000, false);
	/* A global points at a g struct (a stop) that points at the channel. */
	put(&s.m, GLOBALS, HEAP + 0x800);
	put(&s.m, HEAP + 0x800 + 8, HEAP + 0x1000);
	s.stops[s.nstops++] = HEAP + 0x800;
	/* Another points into waiter 1's stack, which holds its channel. */
	put(&s.m, GLOBALS + 8, s.stacks[1].start);
	put(&s.m, s.stacks[1].start + 8, HEAP + 0x2000);
	cr_assert_eq(run(&s), 0);
	cr_expect_not(s.live[0]);
	cr_expect_not(s.live[1]);
}

Test(goreach, a_reached_channel_keeps_what_it_buffers)
{
	struct setup s;

	setup_init(&s);
	s.sized = true;
	waiter(&s, HEAP + 0x1000, false); /* a chan of chans, reached */
	waiter(&s, HEAP + 0x2000, false); /* the chan in its buffer */
	put(&s.m, GLOBALS, HEAP + 0x1000);
	put(&s.m, HEAP + 0x1000 + 40, HEAP + 0x2000);
	cr_assert_eq(run(&s), 0);
	cr_expect(s.live[0]);
	cr_expect(s.live[1]);
}

/* Heap objects at HEAP + 0x3000: word 1 a pointer; at HEAP + 0x4000: noscan; others unknown. */
static int ptrs_of(void *ctx, __u64 addr, size_t len, __u8 *bits)
{
	__u64 base = addr & ~63ULL, i;

	(void)ctx;
	cr_expect_leq(addr + len, base + 64);
	if (base == HEAP + 0x4000)
		return 0;
	if (base != HEAP + 0x3000)
		return -ENOENT;
	for (i = 0; i < len / 8; i++)
		if ((addr - base) / 8 + i == 1)
			bits[i / 8] |= 1 << (i % 8);
	return 0;
}

static int heap_run(__u64 obj, __u64 word)
{
	struct setup s;
	int err;

	setup_init(&s);
	s.sized = true;
	s.ptrs = ptrs_of;
	waiter(&s, HEAP + 0x1000, false);
	put(&s.m, GLOBALS, obj);
	put(&s.m, obj + 8 * word, HEAP + 0x1000);
	err = run(&s);
	cr_assert_eq(err, 0);
	return s.live[0];
}

Test(goreach, heap_objects_followed_only_through_their_pointer_words)
{
	cr_expect(heap_run(HEAP + 0x3000, 1), "the pointer word reaches the channel");
	cr_expect(!heap_run(HEAP + 0x3000, 2), "a scalar word that looks like a pointer");
	cr_expect(!heap_run(HEAP + 0x4000, 1), "a noscan object holds no pointer");
	cr_expect(heap_run(HEAP + 0x5000, 2), "unknown bits: every word, as before");
}

Test(goreach, interior_pointers_reach_sized_objects)
{
	struct setup s;

	setup_init(&s);
	s.sized = true;
	waiter(&s, HEAP + 0x1000, false);	/* a mutex's struct */
	put(&s.m, GLOBALS, HEAP + 0x1000 + 16); /* a pointer to a field of it */
	cr_assert_eq(run(&s), 0);
	cr_expect(s.live[0]);
}

Test(goreach, never_unknown_and_outside_the_heap)
{
	struct setup s;

	setup_init(&s);
	waiter(&s, HEAP + 0x1000, true);   /* nil channel: reached or not, never live */
	waiter(&s, GLOBALS + 0x40, false); /* a global mutex: live */
	waiter(&s, HEAP + 0x2000, false);  /* known only to waiter 3's stack */
	s.w[s.nw] = (struct bw_reach_waiter){ .at = 0, .n = 0 }; /* 3: waits on the unknown */
	s.stacks[s.nw] = (struct bw_range){ STACKS + 0x8000, STACKS + 0x8000 + 8 * WORDS };
	put(&s.m, STACKS + 0x8000, HEAP + 0x2000);
	s.nw++;
	put(&s.m, GLOBALS, HEAP + 0x1000);
	cr_assert_eq(run(&s), 0);
	cr_expect_not(s.live[0]);
	cr_expect(s.reached[0]);
	cr_expect(s.live[1]);
	cr_expect(s.live[2]);
	cr_expect(s.live[3]);
}

Test(goreach, a_cut_search_says_so)
{
	struct setup s;

	setup_init(&s);
	waiter(&s, HEAP + 0x1000, false);
	s.lim.max_bytes = 64;
	cr_assert_eq(run(&s), -E2BIG);
}

Test(goreach, without_waiters_it_says_what_the_roots_reach)
{
	struct setup s;

	setup_init(&s);
	s.objs[0] = (struct bw_range){ HEAP + 0x1000, HEAP + 0x1001 };
	s.objs[1] = (struct bw_range){ HEAP + 0x2000, HEAP + 0x2001 };
	s.nobjs = 2;
	put(&s.m, GLOBALS + 8, HEAP + 0x300);
	put(&s.m, HEAP + 0x300, HEAP + 0x2000);
	cr_assert_eq(run(&s), 0);
	cr_expect_not(s.reached[0]);
	cr_expect(s.reached[1]);
}

/* Words a live waiter lends as read already: scanned as they are, its stack never read. */
struct lent {
	const __u64 *words[8];
	size_t n[8];
};

static int words_of(void *ctx, size_t i, struct bw_reach_sink *sink)
{
	const struct lent *l = ctx;

	return bw_reach_sink_words(sink, l->words[i], l->n[i], 8 * l->n[i] + 16);
}

static int stack_reads;

static int rd_counted(void *ctx, __u64 addr, void *buf, size_t len)
{
	if (addr >= STACKS && addr < STACKS + 0x100000)
		stack_reads++;
	return rd(ctx, addr, buf, len);
}

Test(goreach, lent_words_are_scanned_without_reading_the_stack)
{
	struct setup s;
	struct bw_range opaque[] = { { STACKS, STACKS + 0x100000 } };
	/* 0 knows Y (1's channel); 1 knows an object that knows Z (2's); 3 knows nothing live. */
	const __u64 w0[] = { HEAP + 0x2000 }, w1[] = { 0x7, HEAP + 0x500 },
		    w3[] = { HEAP + 0x4000 };
	struct lent l = { .words = { w0, w1, NULL, w3 }, .n = { 1, 2, 0, 1 } };
	struct bw_reach_io io = { .read = rd_counted, .ctx = &s.m };
	struct bw_reach_in in;
	struct bw_reach_out out;

	setup_init(&s);
	waiter(&s, HEAP + 0x1000, false);
	waiter(&s, HEAP + 0x2000, false);
	waiter(&s, HEAP + 0x3000, false);
	waiter(&s, HEAP + 0x4000, false);
	put(&s.m, GLOBALS + 8, HEAP + 0x1000);
	put(&s.m, HEAP + 0x500 + 8, HEAP + 0x3000);
	/* What the stacks hold in memory now is not what was lent: it must not count. */
	put(&s.m, s.stacks[2].start, HEAP + 0x4000);
	in = (struct bw_reach_in){ .roots = s.roots,
				   .nroots = s.nroots,
				   .heap = heap_ranges,
				   .nheap = 1,
				   .opaque = opaque,
				   .nopaque = 1,
				   .objs = s.objs,
				   .nobjs = s.nobjs,
				   .obj_idx = s.idx,
				   .waiters = s.w,
				   .nwaiters = s.nw,
				   .stack_roots = words_of,
				   .stack_ctx = &l };
	out = (struct bw_reach_out){ .live = s.live, .reached = s.reached };
	stack_reads = 0;
	cr_assert_eq(bw_reach_live(&in, &s.lim, &io, &out), 0);
	cr_expect(s.live[0] && s.live[1] && s.live[2]);
	cr_expect_not(s.live[3]);
	cr_expect_eq(stack_reads, 0);
	/* The bytes each lent: counted against the limit as if read. */
	cr_expect_eq(out.bytes, 8 * WORDS + 3 * 4096 + 2816 + (8 + 16) + (16 + 16) + 16, "%zu",
		     out.bytes);
	s.lim.max_bytes = out.bytes - 1;
	cr_expect_eq(bw_reach_live(&in, &s.lim, &io, &out), -E2BIG);
}
