// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/hash.h"
#include "go/gcmap.h"
#include "go/goheap.h"
#include "platform/memread.h"

#define MALLOC_HEADER_MIN_BYTES 512 /* objects above it have a header (size class != 0) */
#define SPAN_CACHE_ENTRIES 1024
#define TYPE_CACHE_ENTRIES 1024
#define MASK_MAX_BYTES 65536	    /* bytes of a type's mask read at most */
#define WINDOW_MAX_WORDS (1u << 17) /* words of a large object decoded at most */
/* internal/abi: Type.TFlag +20, Type.Kind_ +23, Type.GCData +32 */
#define TYPE_TFLAG 20
#define TYPE_KIND 23
#define TYPE_GCDATA 32
#define TFLAG_BIT4 0x10	 /* 1.22-1.23 TFlagUnrolledBitmap, 1.24+ TFlagGCMaskOnDemand */
#define KIND_GCPROG 0x40 /* 1.22-1.23 */

struct span_bits {
	__u64 base; /* span start + 1, 0 = empty */
	__u8 *bits;
	size_t len;
	int err;
};

struct type_mask {
	__u64 addr; /* type address + 1, 0 = empty */
	__u64 size, ptrbytes;
	__u8 *mask;
	size_t len;
	int err;
};

struct bw_goheap {
	struct bw_mem *mem;
	const struct bw_golayout *l;
	__u32 minor;
	struct span_bits spans[SPAN_CACHE_ENTRIES];
	struct type_mask types[TYPE_CACHE_ENTRIES];
	__u8 *win;
	size_t win_cap;
};

int bw_goheap__new(struct bw_mem *mem, const struct bw_golayout *l, __u32 minor,
		   struct bw_goheap **out)
{
	struct bw_goheap *h = calloc(1, sizeof(*h));

	*out = h;
	if (!h)
		return -ENOMEM;
	h->mem = mem;
	h->l = l;
	h->minor = minor;
	return 0;
}

void bw_goheap__reset(struct bw_goheap *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < SPAN_CACHE_ENTRIES; i++) {
		free(h->spans[i].bits);
		h->spans[i] = (struct span_bits){ 0 };
	}
	for (i = 0; i < TYPE_CACHE_ENTRIES; i++) {
		free(h->types[i].mask);
		h->types[i] = (struct type_mask){ 0 };
	}
}

void bw_goheap__free(struct bw_goheap *h)
{
	if (!h)
		return;
	bw_goheap__reset(h);
	free(h->win);
	free(h);
}

static size_t slot_of(__u64 v, size_t n)
{
	return (bw_hash_u64(v) >> 32) % n;
}

/* The heap bits of a small-object span, read once a scan. */
static const struct span_bits *span_bits(struct bw_goheap *h, const struct bw_gospan *s)
{
	struct span_bits *e = &h->spans[slot_of(s->base, SPAN_CACHE_ENTRIES)];
	__u64 addr, len;

	if (e->base == s->base + 1)
		return e;
	free(e->bits);
	*e = (struct span_bits){ .base = s->base + 1, .err = -EINVAL };
	if (bw_gcmap_heap_bits_range(h->l, s, &addr, &len) || len > MASK_MAX_BYTES)
		return e;
	e->bits = malloc(len ? len : 1);
	e->err = -ENOMEM;
	if (!e->bits)
		return e;
	e->len = len;
	e->err = bw_mem__read(h->mem, addr, e->bits, len);
	return e;
}

/* A type's size, pointer bytes and mask, read once a scan. */
static const struct type_mask *type_mask(struct bw_goheap *h, __u64 typ)
{
	struct type_mask *e = &h->types[slot_of(typ, TYPE_CACHE_ENTRIES)];
	__u8 t[TYPE_GCDATA + 8];
	__u64 gcdata;

	if (e->addr == typ + 1)
		return e;
	free(e->mask);
	*e = (struct type_mask){ .addr = typ + 1 };
	e->err = bw_mem__read(h->mem, typ, t, sizeof(t));
	if (e->err)
		return e;
	memcpy(&e->size, t, 8);
	memcpy(&e->ptrbytes, t + 8, 8);
	memcpy(&gcdata, t + TYPE_GCDATA, 8);
	e->err = -EINVAL;
	if (!e->size || e->size % 8 || e->ptrbytes > e->size)
		return e;
	e->err = -EOPNOTSUPP;
	if (h->minor < 24 && (t[TYPE_KIND] & KIND_GCPROG) && !(t[TYPE_TFLAG] & TFLAG_BIT4))
		return e; /* a GC program: the runtime unrolls it only for large objects */
	e->err = -ENOENT;
	if (h->minor >= 24 && (t[TYPE_TFLAG] & TFLAG_BIT4) &&
	    (bw_mem__read_u64(h->mem, gcdata, &gcdata) || !gcdata))
		return e; /* the mask is built on demand, not yet */
	e->len = (e->ptrbytes / 8 + 7) / 8;
	e->err = -E2BIG;
	if (e->len > MASK_MAX_BYTES)
		return e;
	e->err = -ENOMEM;
	e->mask = malloc(e->len ? e->len : 1);
	if (!e->mask)
		return e;
	e->err = e->len ? bw_mem__read(h->mem, gcdata, e->mask, e->len) : 0;
	return e;
}

static int bit(const __u8 *b, __u64 i)
{
	return b[i / 8] >> (i % 8) & 1;
}

int bw_goheap__ptrs(struct bw_goheap *h, const struct bw_goheap_span *sp, __u64 addr, size_t len,
		    __u8 *bits)
{
	struct bw_gospan s = { sp->base, sp->npages, sp->elemsize, sp->spanclass };
	__u64 obj, first, data, typ, objsize, nwin, i;
	const struct type_mask *t;
	int err;

	if (!h || !sp->elemsize || addr < sp->base || addr % 8 || len % 8)
		return -EINVAL;
	if (sp->spanclass & 1)
		return 0; /* noscan */
	if (h->minor < 22)
		return -EOPNOTSUPP;
	obj = sp->base + (addr - sp->base) / sp->elemsize * sp->elemsize;
	if (addr + len > obj + sp->elemsize)
		return -EINVAL;
	first = (addr - obj) / 8;
	if (sp->spanclass >> 1 && sp->elemsize <= MALLOC_HEADER_MIN_BYTES) {
		const struct span_bits *e = span_bits(h, &s);
		__u8 ob[MALLOC_HEADER_MIN_BYTES / 64] = { 0 };

		if (e->err)
			return e->err;
		err = bw_gcmap_heap_small(&s, e->bits, e->len, obj, ob);
		if (err)
			return err;
		for (i = 0; i < len / 8; i++)
			if (bit(ob, first + i))
				bits[i / 8] |= 1 << (i % 8);
		return 0;
	}
	if (sp->spanclass >> 1) {
		if (bw_mem__read_u64(h->mem, obj, &typ))
			return -EFAULT;
		data = obj + 8;
		objsize = sp->elemsize - 8;
	} else {
		typ = sp->largetype;
		data = obj;
		objsize = sp->elemsize;
	}
	if (!typ)
		return -ENOENT;
	t = type_mask(h, typ);
	if (t->err)
		return t->err;
	if (addr + len <= data)
		return 0; /* the header only */
	nwin = (addr + len - data) / 8;
	if (nwin > WINDOW_MAX_WORDS || nwin * 8 > objsize)
		return nwin > WINDOW_MAX_WORDS ? -E2BIG : -EINVAL;
	if (nwin / 8 + 1 > h->win_cap) {
		__u8 *w = realloc(h->win, nwin / 8 + 1);

		if (!w)
			return -ENOMEM;
		h->win = w;
		h->win_cap = nwin / 8 + 1;
	}
	memset(h->win, 0, nwin / 8 + 1);
	err = bw_gcmap_heap_typed(t->mask ? t->mask : (const __u8 *)"", t->len ? t->len : 1,
				  t->size, t->ptrbytes, nwin * 8, h->win);
	if (err)
		return err;
	for (i = 0; i < len / 8; i++) {
		__u64 a = addr + 8 * i;

		if (a >= data && bit(h->win, (a - data) / 8))
			bits[i / 8] |= 1 << (i % 8);
	}
	return 0;
}
