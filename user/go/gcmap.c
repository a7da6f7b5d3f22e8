// SPDX-License-Identifier: GPL-2.0
/*
 * The Go GC's pointer maps, read from the binary: see gcmap.h. The stack
 * walk follows runtime.(*unwinder).next (traceback.go), the frame maps
 * runtime.(*stkframe).getStackMap (stkframe.go; stack.go in 1.19) and their
 * use scanframeworker (mgcmark.go), which agree in 1.19 and 1.21-1.27 on
 * amd64. GC programs decode as runtime.runGCProg (mbitmap.go).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "core/hash.h"
#include "go/gcmap.h"
#include "go/gobin.h"

#define FRAMES_MAX_ENTRIES 100000	/* a stack of 1 GiB holds fewer real frames */
#define STACK_OBJECTS_MAX_ENTRIES 65536 /* per function */
#define OBJECT_MAX_WORDS (1u << 24)	/* a stack object of 128 MiB */

static __u32 le32(const __u8 *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

static __u64 le64(const __u8 *p)
{
	return (__u64)le32(p) | (__u64)le32(p + 4) << 32;
}

static int bit_get(const __u8 *bits, __u64 i)
{
	return bits[i / 8] >> (i % 8) & 1;
}

static void bit_set(__u8 *bits, __u64 i)
{
	bits[i / 8] |= 1u << (i % 8);
}

int bw_gcprog_run(const __u8 *prog, size_t proglen, __u8 *bits, size_t nbits)
{
	size_t pc = 0, pos = 0;

	if (!prog || (!bits && nbits))
		return -EINVAL;
	while (pos < nbits) {
		__u64 n, c, k, total;
		__u8 inst;

		if (pc >= proglen)
			return -EINVAL;
		inst = prog[pc++];
		n = inst & 0x7f;
		if (!(inst & 0x80)) {
			if (!n) /* end of program: the rest is zero */
				return 0;
			if ((n + 7) / 8 > proglen - pc)
				return -EINVAL;
			for (k = 0; k < n && pos < nbits; k++, pos++)
				if (prog[pc + k / 8] >> (k % 8) & 1)
					bit_set(bits, pos);
			pc += (n + 7) / 8;
			continue;
		}
		if (!n) {
			unsigned int shift = 0;

			do {
				if (pc >= proglen || shift > 56)
					return -EINVAL;
				n |= (__u64)(prog[pc] & 0x7f) << shift;
				shift += 7;
			} while (prog[pc++] & 0x80);
		}
		c = 0;
		{
			unsigned int shift = 0;

			do {
				if (pc >= proglen || shift > 56)
					return -EINVAL;
				c |= (__u64)(prog[pc] & 0x7f) << shift;
				shift += 7;
			} while (prog[pc++] & 0x80);
		}
		if (!n || n > pos)
			return -EINVAL;
		/* Repeat the previous n bits c times; bits past nbits are dropped. */
		total = c > (nbits - pos) / n + 1 ? nbits - pos : c * n;
		for (k = 0; k < total && pos < nbits; k++, pos++)
			if (bit_get(bits, pos - n))
				bit_set(bits, pos);
	}
	return 0;
}

/* ---- stacks ---------------------------------------------------------------- */

struct walk {
	const struct bw_gobin *gb;
	__u64 bias;
	__u64 sp; /* address of stack[0] */
	__u64 nwords;
	const __u8 *stack;
	__u8 *bits;
	__u64 rodata;
	int conservative; /* some word was set without a map */
	/* The return addresses the walk read (at stack + off), when traced (off != NULL). */
	__u32 *off;
	__u64 *lr;
	__u32 nreads, max_reads; /* past max_reads: nreads = max_reads + 1 */
};

/* Sets the words of [lo, hi) that are in the buffer: scanned conservatively. */
static void set_range(struct walk *w, __u64 lo, __u64 hi)
{
	__u64 i;

	w->conservative = 1;
	if (lo < w->sp)
		lo = w->sp;
	if (hi > w->sp + 8 * w->nwords)
		hi = w->sp + 8 * w->nwords;
	if (lo >= hi)
		return;
	for (i = (lo - w->sp) / 8; i < (hi - w->sp + 7) / 8; i++)
		bit_set(w->bits, i);
}

static void set_word(struct walk *w, __u64 addr)
{
	if (addr >= w->sp && !(addr & 7) && (addr - w->sp) / 8 < w->nwords)
		bit_set(w->bits, (addr - w->sp) / 8);
}

/*
 * runtime.stackmapdata: bitmap idx of the stackmap {n int32, nbit int32,
 * bytedata} at va. 0 with *nbit and *data, -ENOENT when absent or idx out
 * of range (the runtime throws "bad symbol table" there).
 */
static int stackmap(const struct walk *w, __u64 va, __s32 idx, __u32 *nbit, const __u8 **data)
{
	const __u8 *p;
	__u64 avail, bytes;
	__s32 n, nb;

	if (!va || !(p = bw_gobin__bytes(w->gb, va, &avail)) || avail < 8)
		return -ENOENT;
	n = (__s32)le32(p);
	nb = (__s32)le32(p + 4);
	if (n <= 0 || nb < 0 || idx < 0 || idx >= n)
		return -ENOENT;
	bytes = ((__u64)nb + 7) / 8;
	if (bytes * (__u64)(idx + 1) > avail - 8)
		return -ENOENT;
	*nbit = nb;
	*data = p + 8 + bytes * idx;
	return 0;
}

static void apply_bitmap(struct walk *w, __u64 base, __u32 nbit, const __u8 *data)
{
	__u32 j;

	for (j = 0; j < nbit; j++)
		if (data[j / 8] >> (j % 8) & 1)
			set_word(w, base + 8ull * j);
}

/*
 * The pointer words of one stack object record {off, size, ptrdata or
 * -ptrdata for a GC program (up to 1.23), gcdataoff from rodata}. Stack
 * objects are treated as live (the GC keeps those reached from the frame).
 */
static void stack_object(struct walk *w, const __u8 *r, __u64 varp, __u64 argp, __u64 frame_sp)
{
	__s32 off = (__s32)le32(r), ptrdata = (__s32)le32(r + 8);
	__u32 gcdataoff = le32(r + 12);
	__u64 ptr = (off < 0 ? varp : argp) + (__s64)off, nwords, avail, j;
	const __u8 *gcdata;

	if (ptr < frame_sp) /* not allocated in the frame yet */
		return;
	nwords = (ptrdata < 0 ? -(__s64)ptrdata : ptrdata) / 8;
	if (!nwords)
		return;
	if (nwords > OBJECT_MAX_WORDS || !w->rodata ||
	    !(gcdata = bw_gobin__bytes(w->gb, w->rodata + gcdataoff, &avail))) {
		set_range(w, ptr,
			  ptr + 8 * (nwords > OBJECT_MAX_WORDS ? OBJECT_MAX_WORDS : nwords));
		return;
	}
	if (ptrdata < 0) {
		__u8 *mask = calloc((nwords + 7) / 8, 1);

		if (!mask || bw_gcprog_run(gcdata, avail, mask, nwords)) {
			set_range(w, ptr, ptr + 8 * nwords);
		} else {
			for (j = 0; j < nwords; j++)
				if (bit_get(mask, j))
					set_word(w, ptr + 8 * j);
		}
		free(mask);
		return;
	}
	if ((nwords + 7) / 8 > avail) {
		set_range(w, ptr, ptr + 8 * nwords);
		return;
	}
	for (j = 0; j < nwords; j++)
		if (bit_get(gcdata, j))
			set_word(w, ptr + 8 * j);
}

static void stack_objects(struct walk *w, const struct bw_gofuncinfo *f, __u64 varp, __u64 argp,
			  __u64 frame_sp)
{
	__u64 va = bw_gobin__funcdata(w->gb, f, BW_GOFUNCDATA_STACKOBJECTS), n, avail, i;
	const __u8 *p;

	if (!va)
		return;
	p = bw_gobin__bytes(w->gb, va, &avail);
	if (!p || avail < 8 || (n = le64(p)) > STACK_OBJECTS_MAX_ENTRIES || n * 16 > avail - 8) {
		set_range(w, frame_sp, varp); /* unreadable: the locals conservatively */
		return;
	}
	for (i = 0; i < n; i++)
		stack_object(w, p + 8 + 16 * i, varp, argp, frame_sp);
}

/*
 * One frame, as scanframeworker: locals [varp - 8*nbit, varp) and args
 * [argp, argp + 8*nbit) by the maps at the frame's continuation pc, plus
 * the stack objects. Without maps, the frame and its args conservatively.
 */
static void scan_frame(struct walk *w, const struct bw_gofuncinfo *f, __u64 continpc,
		       __u64 frame_sp, __u64 varp, __u64 argp)
{
	__u64 targetpc = continpc;
	__s32 pcdata = -1;
	__u32 nbit;
	const __u8 *data;

	if (!continpc) /* a frame that will not continue: nothing live */
		return;
	if (targetpc != f->entry) {
		targetpc--; /* back up into the CALL */
		pcdata = bw_gobin__pcvalue(w->gb, f, BW_GOPCDATA_STACKMAPINDEX, targetpc);
	}
	if (pcdata == -1)
		pcdata = 0; /* likely the prologue: the entry map */
	if (varp > frame_sp) {
		__u64 va = bw_gobin__funcdata(w->gb, f, BW_GOFUNCDATA_LOCALSPOINTERMAPS);

		if (stackmap(w, va, pcdata, &nbit, &data))
			set_range(w, frame_sp, varp);
		else
			apply_bitmap(w, varp - 8ull * nbit, nbit, data);
	}
	if (f->args == BW_GOFUNC_ARGS_UNKNOWN) {
		/* reflect stubs: their args sit in the caller's frame, scanned as a whole below */
		w->conservative = 1;
	} else if (f->args > 0) {
		__u64 va = bw_gobin__funcdata(w->gb, f, BW_GOFUNCDATA_ARGSPOINTERMAPS);

		if (stackmap(w, va, pcdata, &nbit, &data))
			set_range(w, argp, argp + (__u64)f->args);
		else
			apply_bitmap(w, argp, nbit, data);
	}
	stack_objects(w, f, varp, argp, frame_sp);
}

/* The stack's return address at fp - 8, noted when the walk is traced. */
static __u64 read_lr(struct walk *w, __u64 fp)
{
	__u64 off = fp - 8 - w->sp, lr = le64(w->stack + off);

	if (w->off && w->nreads < w->max_reads) {
		w->off[w->nreads] = off;
		w->lr[w->nreads] = lr;
	}
	if (w->off && w->nreads <= w->max_reads)
		w->nreads++;
	return lr;
}

/* bw_gcmap_stack on a checked walk: reads of the stack go through read_lr only. */
static int walk_stack(struct walk *w, __u64 pc)
{
	const struct bw_gobin *gb = w->gb;
	__u64 bias = w->bias, sp = w->sp, csp = sp, end = sp + 8 * w->nwords;
	struct bw_gomodule md;
	int frames, waspanic = 0, next_conservative = 0;

	if (!bw_gobin__module(gb, &md))
		w->rodata = md.rodata;
	for (frames = 0; frames < FRAMES_MAX_ENTRIES; frames++) {
		struct bw_gofuncinfo f;
		__u64 fp, varp, argp, lr, continpc;
		__s32 spdelta;

		if (pc < bias || bw_gobin__funcinfo(gb, pc - bias, &f))
			break;
		spdelta = bw_gobin__pcvalue(gb, &f, BW_GOPC_SP, pc - bias);
		if (spdelta < 0 || (__u64)spdelta + 8 > end - csp)
			break;
		fp = csp + spdelta + 8; /* the CALL pushed the return address */
		varp = fp - 8;
		if (varp > csp) /* the saved frame pointer */
			varp -= 8;
		argp = fp;
		if (next_conservative || f.special == BW_GOSPECIAL_ASYNC_PREEMPT ||
		    f.special == BW_GOSPECIAL_DEBUG_CALL) {
			set_range(w, csp, varp);
			if (f.args > 0)
				set_range(w, argp, argp + (__u64)f.args);
			/* asyncPreempt's caller stopped at any instruction: no map */
			next_conservative = f.special == BW_GOSPECIAL_ASYNC_PREEMPT;
		} else {
			continpc = pc - bias;
			if (waspanic)
				continpc = f.deferreturn ? f.entry + f.deferreturn + 1 : 0;
			scan_frame(w, &f, continpc, csp, varp, argp);
			if (f.special == BW_GOSPECIAL_REFLECT_CALL)
				next_conservative = 1;
		}
		if ((f.flag & BW_GOFLAG_TOPFRAME) || f.special == BW_GOSPECIAL_GOEXIT)
			return w->conservative;
		if ((f.flag & BW_GOFLAG_SPWRITE) && frames > 0) {
			csp = fp; /* the unwinder stops: what is above is not walked */
			break;
		}
		lr = read_lr(w, fp);
		if (!lr)
			return w->conservative;
		waspanic = f.special == BW_GOSPECIAL_SIGPANIC;
		csp = fp;
		pc = lr;
	}
	set_range(w, csp, end);
	return 1;
}

int bw_gcmap_stack(const struct bw_gobin *gb, __u64 bias, __u64 pc, __u64 sp, const __u8 *stack,
		   size_t len, __u8 *bits)
{
	struct walk w = { .gb = gb, .bias = bias, .sp = sp, .nwords = len / 8, .stack = stack };

	if (!gb || !stack || !bits || sp & 7 || sp + 8 * (len / 8) < sp)
		return -EINVAL;
	w.bits = bits;
	return walk_stack(&w, pc);
}

/*
 * A walk's result depends on the binary, the bias, pc, len and the return
 * addresses it read (every offset is relative to sp): one walk per (pc,
 * len) is kept with what it read, and reused for a stack holding the same
 * words at the same offsets.
 */
#define MEMO_SLOTS 256
#define MEMO_READS_MAX 64

struct memo_walk {
	__u64 pc;
	size_t len; /* 0: empty */
	int rc;
	__u32 nreads;
	__u32 off[MEMO_READS_MAX];
	__u64 lr[MEMO_READS_MAX];
	__u8 *bits; /* (len / 8 + 7) / 8 bytes */
	size_t cap_bits;
};

struct bw_gcmap_memo {
	const struct bw_gobin *gb;
	__u64 bias;
	size_t hits, misses;
	struct memo_walk walks[MEMO_SLOTS];
};

int bw_gcmap_memo__new(struct bw_gcmap_memo **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void bw_gcmap_memo__free(struct bw_gcmap_memo *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < MEMO_SLOTS; i++)
		free(m->walks[i].bits);
	free(m);
}

size_t bw_gcmap_memo__hits(const struct bw_gcmap_memo *m)
{
	return m ? m->hits : 0;
}

static bool memo_matches(const struct memo_walk *e, __u64 pc, const __u8 *stack, size_t len)
{
	__u32 i;

	if (e->len != len || e->pc != pc)
		return false;
	for (i = 0; i < e->nreads; i++)
		if (le64(stack + e->off[i]) != e->lr[i])
			return false;
	return true;
}

int bw_gcmap_stack_memo(struct bw_gcmap_memo *m, const struct bw_gobin *gb, __u64 bias, __u64 pc,
			__u64 sp, const __u8 *stack, size_t len, __u8 *bits)
{
	struct walk w = { .gb = gb, .bias = bias, .sp = sp, .nwords = len / 8, .stack = stack };
	size_t nbytes = (len / 8 + 7) / 8, i;
	struct memo_walk *e;
	int rc;

	if (!m || !gb || !stack || !bits || sp & 7 || sp + 8 * (len / 8) < sp || !len)
		return bw_gcmap_stack(gb, bias, pc, sp, stack, len, bits);
	if (m->gb != gb || m->bias != bias) {
		for (i = 0; i < MEMO_SLOTS; i++)
			m->walks[i].len = 0;
		m->gb = gb;
		m->bias = bias;
	}
	e = &m->walks[bw_hash_bits(bw_fnv1a_u64(bw_fnv1a_u64(BW_FNV_OFFSET, pc), len), 8)];
	if (memo_matches(e, pc, stack, len)) {
		for (i = 0; i < nbytes; i++)
			bits[i] |= e->bits[i];
		m->hits++;
		return e->rc;
	}
	m->misses++;
	w.bits = bits;
	w.off = e->off;
	w.lr = e->lr;
	w.max_reads = MEMO_READS_MAX;
	e->len = 0; /* the trace is written in place: the entry is void until done */
	rc = walk_stack(&w, pc);
	if (w.nreads > MEMO_READS_MAX || rc < 0)
		return rc;
	if (nbytes > e->cap_bits) {
		__u8 *nb = realloc(e->bits, nbytes);

		if (!nb)
			return rc;
		e->bits = nb;
		e->cap_bits = nbytes;
	}
	memcpy(e->bits, bits, nbytes);
	e->pc = pc;
	e->rc = rc;
	e->nreads = w.nreads;
	e->len = len;
	return rc;
}

/* ---- globals --------------------------------------------------------------- */

static int section_mask(const struct bw_gobin *gb, __u64 start, __u64 end, __u64 prog,
			struct bw_gcmask *out)
{
	__u64 nwords = (end - start) / 8, avail;
	const __u8 *p;

	out->start = start;
	out->end = end;
	out->bits = calloc(nwords / 8 + 1, 1);
	if (!out->bits)
		return -ENOMEM;
	if (!nwords)
		return 0;
	p = bw_gobin__bytes(gb, prog, &avail);
	if (!p || bw_gcprog_run(p, avail, out->bits, nwords)) {
		free(out->bits);
		out->bits = NULL;
		return -ENOENT;
	}
	return 0;
}

int bw_gcmap_globals(const struct bw_gobin *gb, struct bw_gcmask *data, struct bw_gcmask *bss)
{
	struct bw_gomodule md;
	int err;

	if (!gb || !data || !bss)
		return -EINVAL;
	memset(data, 0, sizeof(*data));
	memset(bss, 0, sizeof(*bss));
	if (bw_gobin__module(gb, &md))
		return -ENOENT;
	/* Sections of more than 4 GiB are not a Go binary we can read. */
	if (md.edata - md.data > 1ull << 32 || md.ebss - md.bss > 1ull << 32)
		return -ENOENT;
	err = section_mask(gb, md.data, md.edata, md.gcdata, data);
	if (!err)
		err = section_mask(gb, md.bss, md.ebss, md.gcbss, bss);
	if (err) {
		free(data->bits);
		free(bss->bits);
		memset(data, 0, sizeof(*data));
		memset(bss, 0, sizeof(*bss));
	}
	return err;
}

/* ---- heap objects (1.22+) ---------------------------------------------------- */

#define GO_PAGE_BYTES 8192
#define MALLOC_HEADER_MIN_BYTES 512

int bw_gcmap_heap_bits_range(const struct bw_golayout *l, const struct bw_gospan *s, __u64 *addr,
			     __u64 *len)
{
	__u64 span_size;

	if (!l || !s || !s->npages || s->npages > (1ull << 32) || !s->elemsize ||
	    s->elemsize > MALLOC_HEADER_MIN_BYTES)
		return -EINVAL;
	span_size = s->npages * GO_PAGE_BYTES;
	*len = span_size / 8 / 8;
	*addr = s->base + span_size - *len;
	/* Green Tea: the inline mark bits end the span of objects of 16..512 bytes. */
	if (l->span_inline_marks > 0 && s->elemsize >= 16)
		*addr -= l->span_inline_marks;
	return 0;
}

int bw_gcmap_heap_small(const struct bw_gospan *s, const __u8 *hbits, size_t len, __u64 obj,
			__u8 *bits)
{
	__u64 word, nwords, j;

	if (!s || !hbits || !bits || !s->elemsize || s->elemsize > MALLOC_HEADER_MIN_BYTES ||
	    obj < s->base || (obj - s->base) % s->elemsize)
		return -EINVAL;
	if (s->spanclass & 1)
		return 0; /* noscan */
	word = (obj - s->base) / 8;
	nwords = s->elemsize / 8;
	if ((word + nwords + 7) / 8 > len)
		return -EINVAL;
	for (j = 0; j < nwords; j++)
		if (bit_get(hbits, word + j))
			bit_set(bits, j);
	return 0;
}

int bw_gcmap_heap_typed(const __u8 *mask, size_t masklen, __u64 typsize, __u64 ptrbytes,
			__u64 objsize, __u8 *bits)
{
	__u64 off, j;

	if (!mask || !bits || !typsize || typsize % 8 || ptrbytes > typsize ||
	    (ptrbytes / 8 + 7) / 8 > masklen || objsize > (1ull << 40))
		return -EINVAL;
	for (off = 0; off + 8 <= objsize; off += typsize)
		for (j = 0; j < ptrbytes / 8 && off + 8 * j + 8 <= objsize; j++)
			if (bit_get(mask, j))
				bit_set(bits, off / 8 + j);
	return 0;
}
