// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/hash.h"
#include "core/hashmap.h"
#include "go/gcmap.h"
#include "go/gobin.h"
#include "go/goheap.h"
#include "go/goreach.h"
#include "go/goscan.h"
#include "go/goversions.h"
#include "go/goverdict.h"
#include "go/goversions.h"
#include "platform/memread.h"

#define GSCAN_BIT 0x1000
#define MAX_ALLGS (1u << 24)
#define MAX_MS 65536
#define ALLP_CANDIDATES 8
#define G_BUF 2048
/* Bytes of a parked stack hashed to see whether the goroutine ran. */
#define STACK_HASH_BYTES 512
#define STACK_READ_MAX 65536
/* Goroutines read per batch of process_vm_readv calls, and each one's first stack bytes. */
#define BATCH 256
#define STACK_FIRST 2048
#define SUDOG_HOPS 64
/*
 * linux/amd64 heap geometry of Go 1.19-1.26: 64 MiB arenas indexed from
 * arenaBaseOffset 0xffff800000000000 in a single-level map, 8 KiB pages.
 */
#define ARENA_BASE_OFFSET 0xffff800000000000ULL
#define LOG_ARENA_BYTES 26
#define ARENA_L2_ENTRIES (1ULL << 22)
#define PAGE_SHIFT 13
#define PAGES_PER_ARENA 8192
#define ARENA_CACHE 64
#define SPAN_FIELDS 256 /* bytes of an mspan read to get startAddr and elemsize */

struct stack_ent {
	__u32 npcs;
	__u32 gen; /* last scan that used it */
	__u64 pcs[];
};

/* One goroutine of a batch while it is being read. */
struct pending {
	__u64 gaddr;
	struct bw_goroutine *g;
	__u64 lo, hi;
	__u64 sudog; /* next sudog of the chain to read, 0 when done */
	__u64 m, procid;
	__u8 sd[64]; /* the bytes of a sudog from c to waitlink */
	__u64 chans[BW_GO_CHANS_MAX];
	__u32 nchans;
	__u32 stack_len; /* bytes of stack to read */
	int hops;
	bool live; /* still a candidate */
	bool sync; /* sleeps on a sync object (semaphore or notifyList) */
	__u64 sync_sudog;
	bool walk; /* has a stack to walk */
};

struct batch {
	struct pending p[BATCH];
	struct bw_memvec v[2 * BATCH];
	__u8 gbuf[BATCH][G_BUF];
	__u8 sbuf[BATCH][STACK_FIRST];
};

struct bw_goscan {
	pid_t pid;
	struct bw_mem *mem; /* not owned */
	struct bw_gobin *gb;
	struct bw_golayout lay;
	__u64 bias;
	__u64 allgs; /* runtime addresses */
	__u64 allm;
	/* tid -> goid from the last walk of allm */
	__u32 *m_tids;
	__u64 *m_goids;
	size_t nms;
	__u8 *stack_buf;  /* STACK_READ_MAX, for the few deep stacks */
	__u8 *stack_bits; /* STACK_READ_MAX / 64 + 1: live words of one stack */
	__u64 *lwords;	  /* live stack words of the last scan's goroutines */
	size_t nlwords, cap_lwords;
	struct batch *batch;
	__u64 *chanv; /* channels of the last scan's goroutines */
	size_t nchanv, cap_chanv;
	struct bw_hashmap *stacks; /* interned pcs: their hash -> struct stack_ent * */
	__u32 gen, last_ok_gen;	   /* scan counter; stacks are kept two good scans */
	struct bw_range *segs;	   /* writable PT_LOADs: the globals */
	size_t nsegs;
	struct bw_range *roots; /* segs, then stacks of goroutines not stuck */
	size_t nroots, cap_roots;
	struct bw_range *heap;
	size_t nheap;
	struct bw_range *opaque; /* goroutine and g0 stacks */
	size_t nopaque, cap_opaque;
	__u64 allp;			  /* runtime.allp, 0 when unknown */
	__u64 allp_cand[ALLP_CANDIDATES]; /* where allp may be, without symbols */
	size_t nallp_cand;
	struct sudog_memo {
		__u64 pc;  /* sched.pc + 1, 0 = empty */
		__u32 off; /* stack offset of the sudog pointer last found there */
	} sudog_at[256];
	__u64 *ptrs; /* allgs as bw_goscan__begin read it */
	size_t nptrs, cap_ptrs;
	__u64 allgs_array;
	bool has_symbols; /* the runtime's globals are carved out of segs */
	__u64 mheap;	  /* runtime.mheap_, 0 when unknown */
	struct span_slot {
		__u64 page; /* page number + 1, 0 = empty */
		__u64 start;
		__u64 elemsize;
		__u64 npages, largetype; /* when the layout has them (span_class) */
		__u8 spanclass;
		bool span_class;
	} spans[4096];	 /* per-scan cache of page -> span */
	__u64 l2;	 /* mheap_.arenas[0], per scan */
	__u8 stuck[256]; /* by wait reason index: 0 unknown, 1 not stuck, 2 stuck */
	const char *stuck_reason[256];
	__u64 arena_idx[ARENA_CACHE], arena_ptr[ARENA_CACHE]; /* arena index + 1 -> heapArena */
	__u64 *stops; /* g structs and sudogs: the runtime's bookkeeping */
	size_t nstops, cap_stops;
	struct bw_gospecials spc; /* finalizers and cleanups */
	bool have_spc;
	__u64 allfin;		    /* runtime.allfin, 0 when unknown */
	__u64 gccleanups;	    /* runtime.gcCleanups (1.25+), 0 when unknown */
	struct bw_goheap *heapbits; /* which words of a heap object are pointers */
};

static struct bw_memvec vec(__u64 addr, void *buf, size_t len)
{
	return (struct bw_memvec){ .addr = addr, .buf = buf, .len = len };
}

/* The writable PT_LOAD segments (link addresses): where globals live. */
static int writable_segments(Elf *elf, struct bw_range **out, size_t *n)
{
	struct bw_range *r;
	size_t i, nph, k = 0;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &nph))
		return -ENOEXEC;
	r = calloc(nph ? nph : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < nph; i++)
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_W))
			r[k++] = (struct bw_range){ ph.p_vaddr, ph.p_vaddr + ph.p_memsz };
	*out = r;
	*n = k;
	return 0;
}

/* Load bias of a PIE: where the first PT_LOAD landed minus its link address. */
static int load_bias(pid_t pid, __u64 *bias, struct bw_range **segs, size_t *nsegs)
{
	char path[64], exe[4096], line[4096 + 128];
	__u64 vaddr = 0, off = 0, start, moff;
	GElf_Ehdr eh;
	GElf_Phdr ph;
	Elf *elf = NULL;
	FILE *maps = NULL;
	ssize_t len;
	size_t i, nph;
	int fd, err = -ENOENT;

	*bias = 0;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || !gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &nph)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	err = writable_segments(elf, segs, nsegs);
	if (err)
		goto cleanup;
	err = -ENOENT;
	if (eh.e_type != ET_DYN) {
		err = 0;
		goto cleanup;
	}
	for (i = 0; i < nph; i++) {
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD) {
			vaddr = ph.p_vaddr & ~0xfffULL;
			off = ph.p_offset & ~0xfffULL;
			break;
		}
	}
	len = readlink(path, exe, sizeof(exe) - 1);
	if (len <= 0)
		goto cleanup;
	exe[len] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "re");
	if (!maps) {
		err = -errno;
		goto cleanup;
	}
	while (fgets(line, sizeof(line), maps)) {
		char *p = strchr(line, '/');

		if (!p || sscanf(line, "%llx-%*[0-9a-f] %*s %llx", (unsigned long long *)&start,
				 (unsigned long long *)&moff) != 2)
			continue;
		p[strcspn(p, "\n")] = '\0';
		if (moff == off && !strcmp(p, exe)) {
			*bias = start - vaddr;
			err = 0;
			break;
		}
	}
cleanup:
	if (maps)
		fclose(maps);
	elf_end(elf);
	close(fd);
	return err;
}

struct carve {
	struct bw_range *out;
	size_t n, cap;
	int err;
};

/* Globals of the runtime's own packages: their pointers are bookkeeping. */
static bool runtime_owned(const char *name)
{
	return !strncmp(name, "runtime.", 8) || !strncmp(name, "runtime/", 8) ||
	       !strncmp(name, "internal/", 9) || !strncmp(name, "sync.", 5) ||
	       !strncmp(name, "sync/", 5) || !strncmp(name, "syscall.", 8) ||
	       !strncmp(name, "unique.", 7) || !strncmp(name, "weak.", 5);
}

static int collect_owned(void *ctx, const char *name, __u64 addr, __u64 size)
{
	struct carve *c = ctx;

	if (!size || !runtime_owned(name))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		struct bw_range *r = realloc(c->out, cap * sizeof(*r));

		if (!r)
			return c->err = -ENOMEM;
		c->out = r;
		c->cap = cap;
	}
	c->out[c->n++] = (struct bw_range){ addr, addr + size };
	return 0;
}

static int cmp_range_start(const void *a, const void *b)
{
	const struct bw_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The writable segments minus the runtime's own globals, when the symbol
 * table tells where those are. Without it the globals stay whole and the
 * caller follows no pointer out of them.
 */
static int user_globals(struct bw_goscan *gs)
{
	struct carve owned = {}, keep = {};
	size_t i, j;
	__u64 at;

	bw_gobin__foreach_symbol(gs->gb, collect_owned, &owned);
	if (owned.err) {
		free(owned.out);
		return owned.err;
	}
	gs->has_symbols = owned.n > 0;
	if (!owned.n)
		return 0;
	qsort(owned.out, owned.n, sizeof(*owned.out), cmp_range_start);
	for (i = 0; i < gs->nsegs; i++) {
		at = gs->segs[i].start;
		for (j = 0; j < owned.n && at < gs->segs[i].end; j++) {
			if (owned.out[j].end <= at || owned.out[j].start >= gs->segs[i].end)
				continue;
			if (owned.out[j].start > at)
				collect_owned(&keep, "runtime.", at, owned.out[j].start - at);
			if (owned.out[j].end > at)
				at = owned.out[j].end;
		}
		if (at < gs->segs[i].end)
			collect_owned(&keep, "runtime.", at, gs->segs[i].end - at);
	}
	free(owned.out);
	if (keep.err) {
		free(keep.out);
		return keep.err;
	}
	free(gs->segs);
	gs->segs = keep.out;
	gs->nsegs = keep.n;
	return 0;
}

/*
 * runtime.mheap_ in a binary without symbols: runtime.mallocinit calls
 * mheap_.init() as LEAQ runtime.mheap_(SB), AX; CALL runtime.(*mheap).init
 * (48 8d 05 disp32, e8 rel32) in every Go version of the register ABI.
 * 0 when not found.
 */
static __u64 mheap_from_code(const struct bw_gobin *gb)
{
	__u64 init, fn, size, avail, i;
	const __u8 *code;
	__s32 d, r;

	if (bw_gobin__lookup(gb, "runtime.mallocinit", &fn, &size) ||
	    bw_gobin__lookup(gb, "runtime.(*mheap).init", &init, &size) ||
	    !(code = bw_gobin__bytes(gb, fn, &avail)))
		return 0;
	if (avail > 8192)
		avail = 8192;
	for (i = 0; i + 12 <= avail; i++) {
		if (code[i] != 0x48 || code[i + 1] != 0x8d || code[i + 2] != 0x05 ||
		    code[i + 7] != 0xe8)
			continue;
		memcpy(&d, code + i + 3, 4);
		memcpy(&r, code + i + 8, 4);
		if (fn + i + 12 + r == init)
			return fn + i + 7 + d;
	}
	return 0;
}

/* The heap metadata offsets when DWARF does not give them: stripped binaries get object sizes too. */
static void heap_layout_fallback(struct bw_goscan *gs)
{
	const struct bw_goinfo *info = bw_gobin__info(gs->gb);

	if (gs->lay.mheap_arenas >= 0 || !gs->mheap)
		return;
	bw_goversion_heap(info->major, info->minor, &gs->lay);
}

/* The mspan fields of the pointer bits (npages, spanclass, largeType) the same way. */
static void span_class_fallback(struct bw_goscan *gs)
{
	struct bw_golayout *l = &gs->lay;
	__u32 minor = bw_gobin__info(gs->gb)->minor;

	if (l->mspan_spanclass >= 0 || l->mspan_elemsize < 0 || minor < 19 || minor > 27 ||
	    minor == 20)
		return;
	l->mspan_npages = 32;
	l->mspan_spanclass = minor == 21 ? 106 : 98;
	l->mspan_largetype = minor >= 22 ? 152 : -1;
}

int bw_goscan__new(pid_t pid, struct bw_mem *mem, struct bw_goscan **out)
{
	struct bw_goscan *gs;
	char path[64];
	__u64 size;
	int err;

	*out = NULL;
	gs = calloc(1, sizeof(*gs));
	if (!gs)
		return -ENOMEM;
	gs->pid = pid;
	gs->mem = mem;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	err = bw_gobin__open(path, &gs->gb);
	if (err)
		goto cleanup;
	err = bw_gobin__layout(gs->gb, &gs->lay);
	if (err)
		goto cleanup;
	err = load_bias(pid, &gs->bias, &gs->segs, &gs->nsegs);
	if (err)
		goto cleanup;
	err = user_globals(gs);
	if (err)
		goto cleanup;
	if (bw_gobin__lookup(gs->gb, "runtime.mheap_", &gs->mheap, &size))
		gs->mheap = mheap_from_code(gs->gb);
	if (gs->mheap)
		gs->mheap += gs->bias;
	heap_layout_fallback(gs);
	gs->have_spc = !bw_goversion_specials(bw_gobin__info(gs->gb)->major,
					      bw_gobin__info(gs->gb)->minor, &gs->spc);
	if (!bw_gobin__lookup(gs->gb, "runtime.allfin", &gs->allfin, &size))
		gs->allfin += gs->bias;
	if (!bw_gobin__lookup(gs->gb, "runtime.gcCleanups", &gs->gccleanups, &size))
		gs->gccleanups += gs->bias;
	span_class_fallback(gs);
	if (gs->mheap && gs->lay.mspan_spanclass >= 0 && gs->lay.mspan_npages >= 0) {
		err = bw_goheap__new(gs->mem, &gs->lay, bw_gobin__info(gs->gb)->minor,
				     &gs->heapbits);
		if (err)
			goto cleanup;
	}
	for (size_t i = 0; i < gs->nsegs; i++) {
		gs->segs[i].start += gs->bias;
		gs->segs[i].end += gs->bias;
	}
	err = bw_gobin__lookup(gs->gb, "runtime.allgs", &gs->allgs, &size);
	if (err)
		goto cleanup;
	gs->allgs += gs->bias;
	if (!bw_gobin__lookup(gs->gb, "runtime.allm", &gs->allm, &size))
		gs->allm += gs->bias;
	if (gs->has_symbols && !bw_gobin__lookup(gs->gb, "runtime.allp", &gs->allp, &size))
		gs->allp += gs->bias;
	/* Without symbols: the slices runtime.retake reads (allp among them), checked at scan. */
	if (!gs->has_symbols) {
		gs->nallp_cand = bw_gobin__slice_refs(gs->gb, "runtime.retake", gs->allp_cand,
						      ALLP_CANDIDATES);
		for (size_t i = 0; i < gs->nallp_cand; i++)
			gs->allp_cand[i] += gs->bias;
	}
	gs->stack_buf = malloc(STACK_READ_MAX);
	gs->stack_bits = malloc(STACK_READ_MAX / 64 + 1);
	gs->batch = malloc(sizeof(*gs->batch));
	if (!gs->stack_buf || !gs->stack_bits || !gs->batch ||
	    bw_hashmap__new(sizeof(struct stack_ent *), &gs->stacks)) {
		err = -ENOMEM;
		goto cleanup;
	}
	*out = gs;
	return 0;
cleanup:
	bw_goscan__free(gs);
	return err;
}

static void free_stacks(struct bw_hashmap *stacks)
{
	struct stack_ent **e;
	size_t it = 0;
	__u64 h;

	while (stacks && bw_hashmap__next(stacks, &it, &h, (void **)&e))
		free(*e);
	bw_hashmap__free(stacks);
}

void bw_goscan__free(struct bw_goscan *gs)
{
	if (!gs)
		return;
	bw_gobin__free(gs->gb);
	bw_goheap__free(gs->heapbits);
	free(gs->m_tids);
	free(gs->m_goids);
	free(gs->stack_buf);
	free(gs->stack_bits);
	free(gs->lwords);
	free(gs->batch);
	free(gs->ptrs);
	free(gs->chanv);
	free_stacks(gs->stacks);
	free(gs->segs);
	free(gs->roots);
	free(gs->heap);
	free(gs->opaque);
	free(gs->stops);
	free(gs);
}

static void add_stop(struct bw_goscan *gs, __u64 addr)
{
	if (gs->nstops == gs->cap_stops) {
		size_t cap = gs->cap_stops ? 2 * gs->cap_stops : 256;
		__u64 *s = realloc(gs->stops, cap * sizeof(*s));

		if (!s)
			return;
		gs->stops = s;
		gs->cap_stops = cap;
	}
	gs->stops[gs->nstops++] = addr;
}

static int cmp_u64(const void *a, const void *b);

static void add_opaque(struct bw_goscan *gs, __u64 lo, __u64 hi)
{
	if (lo >= hi || hi - lo > (1ULL << 30))
		return;
	if (gs->nopaque == gs->cap_opaque) {
		size_t cap = gs->cap_opaque ? 2 * gs->cap_opaque : 256;
		struct bw_range *r = realloc(gs->opaque, cap * sizeof(*r));

		if (!r)
			return; /* a stack followed as an object: more live, never fewer */
		gs->opaque = r;
		gs->cap_opaque = cap;
	}
	gs->opaque[gs->nopaque++] = (struct bw_range){ lo, hi };
}

/* A million and more addresses each scan: radix sort, qsort when short of memory. */
static void sort_u64(__u64 *a, size_t n)
{
	__u64 *tmp = n > 4096 ? malloc(n * sizeof(*tmp)) : NULL, *src = a, *dst = tmp, *t;
	size_t count[256], i, pass, sum;

	if (!tmp) {
		qsort(a, n, sizeof(*a), cmp_u64);
		return;
	}
	for (pass = 0; pass < 8; pass++) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(src[i] >> (pass * 8)) & 0xff]++;
		if (count[(src[0] >> (pass * 8)) & 0xff] == n)
			continue; /* this byte is the same everywhere */
		for (i = sum = 0; i < 256; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i] >> (pass * 8)) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
	free(tmp);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

bool bw_goscan__precise_roots(const struct bw_goscan *gs)
{
	return gs->has_symbols && gs->mheap && gs->lay.mheap_arenas >= 0 &&
	       gs->lay.heaparena_spans >= 0 && gs->lay.mspan_startaddr >= 0 &&
	       gs->lay.mspan_elemsize >= 0;
}

static struct span_slot *span_slot(struct bw_goscan *gs, __u64 addr)
{
	return &gs->spans[(addr >> PAGE_SHIFT) % (sizeof(gs->spans) / sizeof(gs->spans[0]))];
}

/* The object of addr from a cached span (slot filled for addr's page). */
static int object_in(const struct span_slot *slot, __u64 addr, __u64 *base, __u64 *size)
{
	if (!slot->elemsize || addr < slot->start)
		return -ENOENT;
	*base = slot->start + (addr - slot->start) / slot->elemsize * slot->elemsize;
	*size = slot->elemsize;
	return 0;
}

/* The heapArena of addr (its spans index), 0 when unknown; a few per scan. */
static __u64 arena_of(struct bw_goscan *gs, __u64 addr)
{
	const struct bw_golayout *l = &gs->lay;
	__u64 idx = (addr - ARENA_BASE_OFFSET) >> LOG_ARENA_BYTES, arena = 0;
	size_t slot = idx % ARENA_CACHE;

	if (idx >= ARENA_L2_ENTRIES)
		return 0;
	if (gs->arena_idx[slot] == idx + 1)
		return gs->arena_ptr[slot];
	if (!gs->l2 && bw_mem__read_u64(gs->mem, gs->mheap + l->mheap_arenas, &gs->l2))
		gs->l2 = 0;
	if (!gs->l2 || bw_mem__read_u64(gs->mem, gs->l2 + idx * 8, &arena) || !arena)
		return 0;
	gs->arena_idx[slot] = idx + 1;
	gs->arena_ptr[slot] = arena;
	return arena;
}

static int object_slow(struct bw_goscan *gs, __u64 addr, __u64 *base, __u64 *size)
{
	const struct bw_golayout *l = &gs->lay;
	__u64 page = addr >> PAGE_SHIFT, span = 0, start, elem, arena = arena_of(gs, addr);
	struct span_slot *slot = span_slot(gs, addr);

	if (slot->page != page + 1) {
		if (!arena ||
		    bw_mem__read_u64(gs->mem,
				     arena + l->heaparena_spans + (page % PAGES_PER_ARENA) * 8,
				     &span) ||
		    !span || bw_mem__read_u64(gs->mem, span + l->mspan_startaddr, &start) ||
		    bw_mem__read_u64(gs->mem, span + l->mspan_elemsize, &elem))
			return -ENOENT;
		slot->page = page + 1;
		slot->start = start;
		slot->elemsize = elem;
		slot->span_class = false;
	}
	return object_in(slot, addr, base, size);
}

int bw_goscan__object(void *ctx, __u64 addr, __u64 *base, __u64 *size)
{
	int err;

	bw_goscan__objects(ctx, &addr, 1, base, size, &err);
	return err;
}

/* Pages whose span is looked up per round trip. */
#define SPAN_BATCH 256

/*
 * The bytes [*lo, *hi) of an mspan read for each span: startAddr and
 * elemsize, and the pointer bits' fields when they fit. True with those.
 */
static bool span_fields(const struct bw_goscan *gs, __s32 *lo, __s32 *hi)
{
	const struct bw_golayout *l = &gs->lay;
	const __s32 f[] = { l->mspan_npages, l->mspan_spanclass, l->mspan_largetype };
	__s32 a = l->mspan_startaddr < l->mspan_elemsize ? l->mspan_startaddr : l->mspan_elemsize;
	__s32 b =
		(l->mspan_startaddr > l->mspan_elemsize ? l->mspan_startaddr : l->mspan_elemsize) +
		8;
	size_t i;

	*lo = a;
	*hi = b;
	if (!gs->heapbits)
		return false;
	for (i = 0; i < 3; i++) {
		if (f[i] < 0)
			continue;
		if (f[i] < a)
			a = f[i];
		if (f[i] + 8 > b)
			b = f[i] + 8;
	}
	if (b - a > SPAN_FIELDS)
		return false;
	*lo = a;
	*hi = b;
	return true;
}

static void objects_batch(struct bw_goscan *gs, const __u64 *addr, size_t n, __u64 *base,
			  __u64 *size, int *err)
{
	const struct bw_golayout *l = &gs->lay;
	__s32 lo, hi;
	bool cls = span_fields(gs, &lo, &hi);
	struct bw_memvec v[SPAN_BATCH];
	__u64 span[SPAN_BATCH], fields[SPAN_BATCH][SPAN_FIELDS / 8], arena;
	size_t miss[SPAN_BATCH], i, k, nm = 0, nv;

	for (i = 0; i < n; i++) {
		struct span_slot *slot = span_slot(gs, addr[i]);

		err[i] = -ENOENT;
		if (slot->page == (addr[i] >> PAGE_SHIFT) + 1)
			err[i] = object_in(slot, addr[i], &base[i], &size[i]);
		else if ((arena = arena_of(gs, addr[i]))) {
			span[nm] = arena + l->heaparena_spans +
				   ((addr[i] >> PAGE_SHIFT) % PAGES_PER_ARENA) * 8;
			miss[nm++] = i;
		}
	}
	for (k = 0; k < nm; k++)
		v[k] = vec(span[k], &span[k], 8);
	bw_mem__readv(gs->mem, v, nm);
	for (k = nv = 0; k < nm; k++) {
		if (v[k].err || !span[k])
			continue;
		miss[nv] = miss[k];
		span[nv++] = span[k];
	}
	nm = nv;
	/* startAddr and elemsize: one piece of each span. */
	for (k = 0; k < nm; k++)
		/* cppcheck-suppress uninitvar ; span[0..nm) was written by the loops above */
		v[k] = vec(span[k] + lo, fields[k], hi - lo);
	bw_mem__readv(gs->mem, v, nm);
	for (k = 0; k < nm; k++) {
		struct span_slot *slot;

		/* cppcheck-suppress uninitvar ; as span[0..nm) */
		i = miss[k];
		if (v[k].err)
			continue;
		slot = span_slot(gs, addr[i]);
		slot->page = (addr[i] >> PAGE_SHIFT) + 1;
		memcpy(&slot->start, (__u8 *)fields[k] + (l->mspan_startaddr - lo), 8);
		memcpy(&slot->elemsize, (__u8 *)fields[k] + (l->mspan_elemsize - lo), 8);
		slot->span_class = cls;
		if (cls) {
			const __u8 *f = (const __u8 *)fields[k];

			memcpy(&slot->npages, f + (l->mspan_npages - lo), 8);
			slot->spanclass = f[l->mspan_spanclass - lo];
			slot->largetype = 0;
			if (l->mspan_largetype >= 0)
				memcpy(&slot->largetype, f + (l->mspan_largetype - lo), 8);
		}
		err[i] = object_in(slot, addr[i], &base[i], &size[i]);
	}
}

void bw_goscan__objects(void *ctx, const __u64 *addr, size_t n, __u64 *base, __u64 *size, int *err)
{
	struct bw_goscan *gs = ctx;
	const struct bw_golayout *l = &gs->lay;
	size_t i;

	/* Far apart fields (never seen): one read each, as a slow path. */
	if (abs(l->mspan_startaddr - l->mspan_elemsize) + 8 > SPAN_FIELDS) {
		for (i = 0; i < n; i++)
			err[i] = object_slow(gs, addr[i], &base[i], &size[i]);
		return;
	}
	for (i = 0; i < n; i += SPAN_BATCH)
		objects_batch(gs, addr + i, n - i < SPAN_BATCH ? n - i : SPAN_BATCH, base + i,
			      size + i, err + i);
}

int bw_goscan__pointers(void *ctx, __u64 addr, size_t len, __u8 *bits)
{
	struct bw_goscan *gs = ctx;
	const struct span_slot *slot = span_slot(gs, addr);
	struct bw_goheap_span sp;
	__u64 base, size;

	if (!gs->heapbits)
		return -EOPNOTSUPP;
	if (slot->page != (addr >> PAGE_SHIFT) + 1 && bw_goscan__object(gs, addr, &base, &size))
		return -ENOENT;
	if (slot->page != (addr >> PAGE_SHIFT) + 1 || !slot->span_class)
		return -ENOENT;
	sp = (struct bw_goheap_span){ .base = slot->start,
				      .npages = slot->npages,
				      .elemsize = slot->elemsize,
				      .largetype = slot->largetype,
				      .spanclass = slot->spanclass };
	return bw_goheap__ptrs(gs->heapbits, &sp, addr, len, bits);
}

bool bw_goscan__heap_bits(const struct bw_goscan *gs, bool *all)
{
	*all = gs->heapbits && bw_gobin__info(gs->gb)->minor >= 22;
	return gs->heapbits;
}

const __u64 *bw_goscan__stops(const struct bw_goscan *gs, size_t *n)
{
	*n = gs->nstops;
	return gs->stops;
}

const struct bw_range *bw_goscan__roots(const struct bw_goscan *gs, size_t *n)
{
	*n = gs->nroots;
	return gs->roots;
}

const struct bw_range *bw_goscan__heap(const struct bw_goscan *gs, size_t *n)
{
	*n = gs->nheap;
	return gs->heap;
}

struct bw_mem *bw_goscan__mem(const struct bw_goscan *gs)
{
	return gs->mem;
}

static void add_root(struct bw_goscan *gs, __u64 start, __u64 end)
{
	if (start >= end || end - start > (1ULL << 30))
		return;
	if (gs->nroots == gs->cap_roots) {
		size_t cap = gs->cap_roots ? 2 * gs->cap_roots : 64;
		struct bw_range *r = realloc(gs->roots, cap * sizeof(*r));

		if (!r)
			return; /* fewer roots: more leak verdicts, never fewer */
		gs->roots = r;
		gs->cap_roots = cap;
	}
	gs->roots[gs->nroots++] = (struct bw_range){ start, end };
}

/* Stuck goroutines are not roots: what only they reference is what leaks. */
static bool stuck_class(struct bw_goscan *gs, __u8 idx, const char *reason)
{
	enum bw_gowait_class c;

	/* Per wait reason index: one string classification each, not one per goroutine. */
	if (gs->stuck[idx] && gs->stuck_reason[idx] == reason)
		return gs->stuck[idx] == 2;
	c = bw_gowait_class(reason);
	gs->stuck_reason[idx] = reason;
	gs->stuck[idx] =
		c == BW_GOWAIT_CHAN || c == BW_GOWAIT_NILCHAN || c == BW_GOWAIT_SYNC ? 2 : 1;
	return gs->stuck[idx] == 2;
}

const struct bw_gobin *bw_goscan__gobin(const struct bw_goscan *gs)
{
	return gs->gb;
}

__u64 bw_goscan__bias(const struct bw_goscan *gs)
{
	return gs->bias;
}

static __u64 get64(const __u8 *buf, __s32 off)
{
	__u64 v = 0;

	if (off >= 0 && off + 8 <= G_BUF)
		memcpy(&v, buf + off, 8);
	return v;
}

static __u32 get32(const __u8 *buf, __s32 off)
{
	__u32 v = 0;

	if (off >= 0 && off + 4 <= G_BUF)
		memcpy(&v, buf + off, 4);
	return v;
}

/* A word at a time: it runs over a million stacks each scan. */
static __u64 hash_bytes(const __u8 *p, size_t n)
{
	__u64 h = BW_FNV_OFFSET ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = bw_hash_u64(h ^ w);
		h ^= h >> 32;
	}
	return bw_fnv1a(h, p, n);
}

struct pcs_key {
	const __u64 *pcs;
	__u32 n;
};

static bool same_pcs(const void *val, const void *probe)
{
	const struct stack_ent *e = *(struct stack_ent *const *)val;
	const struct pcs_key *k = probe;

	return e->npcs == k->n && !memcmp(e->pcs, k->pcs, k->n * sizeof(*k->pcs));
}

/* The shared copy of pcs[0..n): goroutines parked alike share one. NULL on ENOMEM. */
static const __u64 *intern_stack(struct bw_goscan *gs, const __u64 *pcs, __u32 n)
{
	__u64 h = hash_bytes((const __u8 *)pcs, n * sizeof(*pcs));
	const struct pcs_key key = { pcs, n };
	struct stack_ent *e, **slot;

	slot = bw_hashmap__find_hashed(gs->stacks, h, same_pcs, &key);
	if (slot) {
		(*slot)->gen = gs->gen;
		return (*slot)->pcs;
	}
	e = malloc(sizeof(*e) + n * sizeof(*pcs));
	if (!e)
		return NULL;
	e->npcs = n;
	e->gen = gs->gen;
	memcpy(e->pcs, pcs, n * sizeof(*pcs));
	if (bw_hashmap__add_hashed(gs->stacks, h, (void **)&slot)) {
		free(e);
		return NULL;
	}
	*slot = e;
	return e->pcs;
}

/* Stacks last used before the scan *ctx (a __u32) go. */
static bool stack_used(__u64 hash, void *val, void *ctx)
{
	struct stack_ent *e = *(struct stack_ent **)val;

	if (e->gen >= *(const __u32 *)ctx)
		return true;
	free(e);
	return false;
}

/*
 * Walks the frame-pointer chain of a parked goroutine in buf, its stack
 * bytes [sp, sp + len): [bp] is the caller's bp, [bp+8] the return pc. A
 * chain leaving the bytes, or not growing upwards, ends the walk. True when
 * it ended only because the next frame lies past len.
 */
static bool walk_frames(const __u8 *buf, __u64 sp, __u64 len, __u64 bp, __u64 bias, __u64 *pcs,
			__u32 *npcs)
{
	__u64 ret, next;

	while (*npcs < BW_GO_STACK_MAX && bp >= sp && bp + 16 <= sp + len && !(bp & 7)) {
		memcpy(&next, buf + (bp - sp), 8);
		memcpy(&ret, buf + (bp - sp) + 8, 8);
		if (!ret)
			return false;
		pcs[(*npcs)++] = ret - bias;
		if (next <= bp)
			return false;
		bp = next;
	}
	return *npcs < BW_GO_STACK_MAX && bp >= sp && !(bp & 7) && bp + 16 > sp + len;
}

static int append_chans(struct bw_goscan *gs, const __u64 *c, __u32 n)
{
	if (gs->nchanv + n > gs->cap_chanv) {
		size_t cap = gs->cap_chanv ? 2 * gs->cap_chanv : 1024;
		__u64 *v;

		while (cap < gs->nchanv + n)
			cap *= 2;
		v = realloc(gs->chanv, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		gs->chanv = v;
		gs->cap_chanv = cap;
	}
	memcpy(gs->chanv + gs->nchanv, c, n * sizeof(*c));
	gs->nchanv += n;
	return 0;
}

/* The fields of the g in buf; false when it is not parked nor in a syscall. */
static bool parse_g(struct bw_goscan *gs, const __u8 *buf, struct pending *p)
{
	const struct bw_golayout *l = &gs->lay;
	struct bw_goroutine *g = p->g;

	memset(g, 0, sizeof(*g));
	g->gaddr = p->gaddr;
	g->status = get32(buf, l->g_atomicstatus) & ~GSCAN_BIT;
	p->lo = get64(buf, l->g_stack_lo);
	p->hi = get64(buf, l->g_stack_hi);
	add_opaque(gs, p->lo, p->hi);
	if (g->status != BW_GSTATUS_WAITING && g->status != BW_GSTATUS_SYSCALL &&
	    g->status != BW_GSTATUS_LEAKED) {
		/* Running or runnable: all of its stack may hold live references. */
		if (g->status != BW_GSTATUS_DEAD && g->status != 0)
			add_root(gs, p->lo, p->hi);
		return false;
	}
	g->goid = get64(buf, l->g_goid);
	g->stack_lo = p->lo;
	g->stack_hi = p->hi;
	g->wait_idx = l->g_waitreason >= 0 ? buf[l->g_waitreason] : 0;
	g->wait_reason = bw_gobin__wait_reason(gs->gb, g->wait_idx);
	if (!g->wait_reason)
		g->wait_reason = "";
	if (g->status == BW_GSTATUS_SYSCALL)
		g->wait_reason = "syscall";
	g->waitsince_ns = get64(buf, l->g_waitsince);
	g->parent_goid = l->g_parent_goid >= 0 ? get64(buf, l->g_parent_goid) : 0;
	g->gopc = get64(buf, l->g_gopc);
	if (g->gopc)
		g->gopc -= gs->bias;
	g->sched_sp = get64(buf, l->g_sched + l->gobuf_sp);
	g->sched_pc = get64(buf, l->g_sched + l->gobuf_pc);
	g->sched_bp = get64(buf, l->g_sched + l->gobuf_bp);
	g->waiting = get64(buf, l->g_waiting);
	g->tracking_seq =
		l->g_tracking_seq >= 0 && l->g_tracking_seq < G_BUF ? buf[l->g_tracking_seq] : 0;
	p->m = l->m_procid >= 0 ? get64(buf, l->g_m) : 0;
	p->sudog = l->sudog_c >= 0 ? g->waiting : 0;
	/* Parked ones lend their stacks to the liveness search once it finds them live. */
	if (g->status == BW_GSTATUS_SYSCALL)
		add_root(gs, p->lo, p->hi);
	p->sync = g->status != BW_GSTATUS_SYSCALL && stuck_class(gs, g->wait_idx, g->wait_reason) &&
		  bw_gowait_class(g->wait_reason) == BW_GOWAIT_SYNC;
	p->walk = g->status != BW_GSTATUS_SYSCALL && g->sched_pc;
	return true;
}

/* The channels of each select: one sudog per case, chained by waitlink. */
static void read_sudogs(struct bw_goscan *gs, struct batch *b, size_t nb)
{
	const struct bw_golayout *l = &gs->lay;
	__s32 lo = l->sudog_c, hi = l->sudog_c + 8;
	size_t k, nv;
	bool more = true;

	/* c and waitlink sit side by side: one piece each. */
	if (l->sudog_waitlink >= 0) {
		lo = l->sudog_waitlink < lo ? l->sudog_waitlink : lo;
		hi = l->sudog_waitlink + 8 > hi ? l->sudog_waitlink + 8 : hi;
	}
	if (hi - lo > (__s32)sizeof(b->p[0].sd))
		hi = lo + 8; /* far apart: c alone, then waitlink alone */
	while (more) {
		for (k = nv = 0; k < nb; k++) {
			struct pending *p = &b->p[k];

			if (!p->live || !p->sudog || p->nchans >= BW_GO_CHANS_MAX ||
			    p->hops >= SUDOG_HOPS) {
				p->sudog = 0;
				continue;
			}
			add_stop(gs, p->sudog);
			b->v[nv++] = vec(p->sudog + lo, p->sd, hi - lo);
		}
		bw_mem__readv(gs->mem, b->v, nv);
		more = false;
		for (k = nv = 0; k < nb; k++) {
			struct pending *p = &b->p[k];
			__u64 c = 0, next = 0;
			int err;

			if (!p->sudog)
				continue;
			err = b->v[nv++].err;
			if (err) {
				p->sudog = 0;
				continue;
			}
			memcpy(&c, p->sd + (l->sudog_c - lo), 8);
			if (l->sudog_waitlink < 0)
				err = -ENOENT;
			else if (l->sudog_waitlink >= lo && l->sudog_waitlink + 8 <= hi)
				memcpy(&next, p->sd + (l->sudog_waitlink - lo), 8);
			else
				err = bw_mem__read_u64(gs->mem, p->sudog + l->sudog_waitlink,
						       &next);
			if (!p->hops++)
				p->g->chan = c;
			if (c)
				p->chans[p->nchans++] = c;
			p->sudog = err ? 0 : next;
			more = more || p->sudog;
		}
	}
}

/*
 * Words the liveness search can do anything with: in the heap, where it
 * follows pointers, or below a heap range by less than the extent it gives
 * an object waited on whose size is unknown (gowatch's UNSIZED_READ, 256).
 * Objects waited on outside the heap are live from the start: a word into
 * them changes nothing.
 */
#define HEAP_MARGIN 4096

static bool near_heap(const struct bw_goscan *gs, __u64 w)
{
	size_t i;

	for (i = 0; i < gs->nheap; i++)
		if (w < gs->heap[i].end && w + HEAP_MARGIN >= gs->heap[i].start)
			return true;
	return false;
}

/*
 * The live words of g's stack by the stack maps, from buf[0, len) read at
 * its sp: kept when they are those a read of the whole stack would give
 * (the whole stack is in buf, or the walk reached the outermost frame with
 * maps for every frame), so that the liveness search does not read the
 * stack again. Left unmapped otherwise, or when out of memory.
 */
static void map_stack(struct bw_goscan *gs, struct bw_goroutine *g, const __u8 *buf, __u64 len)
{
	__u64 whole = g->stack_hi - g->sched_sp, i, n = 0, bits = 0;
	int rc;

	g->map = 0;
	g->live_n = g->live_bits = 0;
	if (g->status == BW_GSTATUS_SYSCALL || whole > STACK_READ_MAX || len > whole)
		return;
	memset(gs->stack_bits, 0, len / 64 + 1);
	rc = bw_gcmap_stack(gs->gb, gs->bias, g->sched_pc, g->sched_sp, buf, len, gs->stack_bits);
	if (rc < 0 || (rc && len != whole))
		return;
	if (gs->nlwords + len / 8 > gs->cap_lwords) {
		size_t cap = gs->cap_lwords ? 2 * gs->cap_lwords : 65536;
		__u64 *v;

		while (cap < gs->nlwords + len / 8)
			cap *= 2;
		v = realloc(gs->lwords, cap * sizeof(*v));
		if (!v)
			return;
		gs->lwords = v;
		gs->cap_lwords = cap;
	}
	for (i = 0; i < len / 8; i++) {
		__u64 w;

		if (!(gs->stack_bits[i / 8] & (1u << (i % 8))))
			continue;
		bits++;
		memcpy(&w, buf + 8 * i, 8);
		if (w && !(w & 7) && near_heap(gs, w)) /* the search skips the others */
			gs->lwords[gs->nlwords + n++] = w;
	}
	g->live_at = gs->nlwords;
	g->live_n = n;
	g->live_bits = bits;
	g->map = rc ? BW_GOMAP_CONSERVATIVE : BW_GOMAP_PRECISE;
	gs->nlwords += n;
}

const __u64 *bw_goscan__stack_words(const struct bw_goscan *gs, size_t *n)
{
	*n = gs->nlwords;
	return gs->lwords;
}

void bw_goscan__drop_stack_words(struct bw_goscan *gs)
{
	free(gs->lwords);
	gs->lwords = NULL;
	gs->nlwords = gs->cap_lwords = 0;
}

/* pcs and stack_hash of each goroutine to walk: its first stack bytes in one go. */
static void read_stacks(struct bw_goscan *gs, struct batch *b, size_t nb)
{
	__u64 pcs[BW_GO_STACK_MAX];
	size_t k, nv = 0;

	for (k = 0; k < nb; k++) {
		struct pending *p = &b->p[k];
		__u64 sp = p->g->sched_sp;

		p->stack_len = 0;
		if (!p->live || !p->walk || sp < p->lo || sp >= p->hi)
			continue;
		p->stack_len = p->hi - sp < STACK_READ_MAX ? p->hi - sp : STACK_READ_MAX;
		b->v[nv++] = vec(sp, b->sbuf[k],
				 p->stack_len < STACK_FIRST ? p->stack_len : STACK_FIRST);
	}
	bw_mem__readv(gs->mem, b->v, nv);
	for (k = nv = 0; k < nb; k++) {
		struct pending *p = &b->p[k];
		struct bw_goroutine *g = p->g;
		__u32 len, npcs = 0;
		bool err;

		if (!p->live)
			continue;
		if (p->walk)
			pcs[npcs++] = g->sched_pc - gs->bias;
		if (p->stack_len) {
			len = b->v[nv].len;
			err = b->v[nv++].err;
			if (!err) {
				g->stack_hash =
					hash_bytes(b->sbuf[k],
						   len < STACK_HASH_BYTES ? len : STACK_HASH_BYTES);
				/* Deeper than the first bytes: read the whole of it. */
				if (walk_frames(b->sbuf[k], g->sched_sp, len, g->sched_bp, gs->bias,
						pcs, &npcs) &&
				    len < p->stack_len) {
					npcs = 1;
					if (bw_mem__read(gs->mem, g->sched_sp, gs->stack_buf,
							 p->stack_len)) {
						g->stack_hash = 0;
					} else {
						walk_frames(gs->stack_buf, g->sched_sp,
							    p->stack_len, g->sched_bp, gs->bias,
							    pcs, &npcs);
						map_stack(gs, g, gs->stack_buf, p->stack_len);
					}
				} else {
					map_stack(gs, g, b->sbuf[k], len);
				}
			}
		}
		g->npcs = npcs;
		g->pcs = npcs ? intern_stack(gs, pcs, npcs) : NULL;
		if (!g->pcs)
			g->npcs = 0;
	}
}

/* sync.Cond: L (16 bytes), then the notifyList {wait, notify, lock, head, tail}. */
#define COND_NOTIFY 16
#define COND_HEAD 32
#define COND_TAIL 40
/* Stack bytes searched for the waiter's own sudog, or its Cond. */
#define SYNC_SEARCH 1024
#define SYNC_CANDS (SYNC_SEARCH / 8)

static bool in_heap(const struct bw_goscan *gs, __u64 v)
{
	size_t lo = 0, hi = gs->nheap;

	if (!v || (v & 7))
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v < gs->heap[mid].start)
			hi = mid;
		else if (v >= gs->heap[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static struct sudog_memo *sudog_memo(struct bw_goscan *gs, __u64 pc)
{
	return &gs->sudog_at[bw_hash_bits(pc, 8)];
}

/*
 * The stack words of a waiter that may point to what it sleeps on (its
 * sudog or its Cond): heap pointers among its first stack bytes.
 */
static size_t candidates(const struct bw_goscan *gs, const struct pending *p, const __u8 *sbuf,
			 __u64 *cand, __u32 *off)
{
	size_t n = 0, len = p->stack_len < STACK_FIRST ? p->stack_len : STACK_FIRST, i;
	__u64 w;

	if (len > SYNC_SEARCH)
		len = SYNC_SEARCH;
	for (i = 0; i + 8 <= len && n < SYNC_CANDS; i += 8) {
		memcpy(&w, sbuf + i, 8);
		/* Pointers into its own stack (frame pointers, locals) are neither. */
		if (in_heap(gs, w) && (w < p->lo || w >= p->hi)) {
			off[n] = i;
			cand[n++] = w;
		}
	}
	return n;
}

/*
 * The sync object a waiter sleeps on: its sudog's elem (the semaphore's
 * address; from Go 1.26 also the notifyList of a Cond), the sudog found
 * through g.waiting (1.26+) or on the waiter's own stack (semacquire1 and
 * notifyListWait keep it there across the park), checked by sudog.g. A
 * Cond waiter before 1.26 has no elem: its Cond is the stack word whose
 * notifyList holds the sudog at its head or tail. Unknown stays 0: the
 * waiter is then never called leaked.
 */
static void read_sync_one(struct bw_goscan *gs, struct batch *b, size_t k)
{
	struct pending *p = &b->p[k];
	struct bw_goroutine *g = p->g;
	__u64 cand[SYNC_CANDS], words[SYNC_CANDS][6], s = 0, elem = 0;
	__u32 off[SYNC_CANDS];
	struct bw_memvec v[SYNC_CANDS];
	struct sudog_memo *m;
	size_t n, i;

	if (g->waiting && !bw_mem__read(gs->mem, g->waiting, words[0], 32) &&
	    words[0][BW_GO_SUDOG_G / 8] == p->gaddr) {
		s = g->waiting;
		elem = words[0][BW_GO_SUDOG_ELEM / 8];
	}
	n = s || !g->stack_hash ? 0 : candidates(gs, p, b->sbuf[k], cand, off);
	m = sudog_memo(gs, g->sched_pc);
	/* Goroutines parked alike keep the sudog at the same stack offset: try it first. */
	for (i = 0; i < n && m->pc == g->sched_pc + 1; i++) {
		if (off[i] != m->off)
			continue;
		if (!bw_mem__read(gs->mem, cand[i], words[0], 32) &&
		    words[0][BW_GO_SUDOG_G / 8] == p->gaddr) {
			s = cand[i];
			elem = words[0][BW_GO_SUDOG_ELEM / 8];
		}
		break;
	}
	if (!s && n) {
		for (i = 0; i < n; i++)
			v[i] = vec(cand[i], words[i], 32);
		bw_mem__readv(gs->mem, v, n);
		for (i = 0; i < n && !s; i++) {
			if (v[i].err || words[i][BW_GO_SUDOG_G / 8] != p->gaddr)
				continue;
			s = cand[i];
			elem = words[i][BW_GO_SUDOG_ELEM / 8];
			*m = (struct sudog_memo){ .pc = g->sched_pc + 1, .off = off[i] };
		}
	}
	if (!s)
		return;
	p->sync_sudog = s;
	if (!elem && !strcmp(g->wait_reason, "sync.Cond.Wait") && g->stack_hash) {
		n = candidates(gs, p, b->sbuf[k], cand, off);
		for (i = 0; i < n; i++)
			v[i] = vec(cand[i], words[i], 48);
		bw_mem__readv(gs->mem, v, n);
		for (i = 0; i < n && !elem; i++)
			if (!v[i].err &&
			    (words[i][COND_HEAD / 8] == s || words[i][COND_TAIL / 8] == s))
				elem = cand[i] + COND_NOTIFY;
	}
	g->sync_obj = elem;
}

static void read_sync(struct bw_goscan *gs, struct batch *b, size_t nb)
{
	size_t k;

	for (k = 0; k < nb; k++) {
		if (!b->p[k].live || !b->p[k].sync)
			continue;
		read_sync_one(gs, b, k);
		if (b->p[k].sync_sudog)
			add_stop(gs, b->p[k].sync_sudog);
	}
}

/* Reads one batch of g pointers; the goroutines read whole go to out + *cnt * stride. */
static int read_batch(struct bw_goscan *gs, const __u64 *gaddrs, size_t nb, void *out_v,
		      size_t stride, size_t *cnt, size_t *skip)
{
	const struct bw_golayout *l = &gs->lay;
	struct bw_goroutine gtmp[BATCH];
	struct batch *b = gs->batch;
	__u8 *out = out_v;
	size_t k, nv;
	__s32 lo, hi;

	for (k = 0; k < nb; k++) {
		add_stop(gs, gaddrs[k]);
		b->p[k] = (struct pending){ .gaddr = gaddrs[k], .g = &gtmp[k] };
		b->v[k] = vec(gaddrs[k], b->gbuf[k], l->g_size);
	}
	if (l->g_size > G_BUF) {
		*skip += nb;
		return 0;
	}
	bw_mem__readv(gs->mem, b->v, nb);
	for (k = 0; k < nb; k++) {
		if (b->v[k].err)
			(*skip)++;
		else
			b->p[k].live = parse_g(gs, b->gbuf[k], &b->p[k]);
	}
	for (k = nv = 0; k < nb; k++)
		if (b->p[k].live && b->p[k].m)
			b->v[nv++] = vec(b->p[k].m + l->m_procid, &b->p[k].procid, 8);
	bw_mem__readv(gs->mem, b->v, nv);
	for (k = nv = 0; k < nb; k++)
		if (b->p[k].live && b->p[k].m && !b->v[nv++].err)
			b->p[k].g->tid = b->p[k].procid;
	read_sudogs(gs, b, nb);
	read_stacks(gs, b, nb);
	read_sync(gs, b, nb);
	/* A g may have been reused while we read its stack: check it again. */
	lo = l->g_goid < l->g_sched + l->gobuf_sp ? l->g_goid : l->g_sched + l->gobuf_sp;
	hi = (l->g_goid > l->g_sched + l->gobuf_sp ? l->g_goid : l->g_sched + l->gobuf_sp) + 8;
	for (k = nv = 0; k < nb; k++)
		if (b->p[k].live)
			b->v[nv++] = vec(b->p[k].gaddr + lo, b->gbuf[k] + lo, hi - lo);
	bw_mem__readv(gs->mem, b->v, nv);
	for (k = nv = 0; k < nb; k++) {
		struct pending *p = &b->p[k];
		struct bw_goroutine *g;
		bool same;

		if (!p->live)
			continue;
		same = !b->v[nv++].err && get64(b->gbuf[k], l->g_goid) == p->g->goid &&
		       get64(b->gbuf[k], l->g_sched + l->gobuf_sp) == p->g->sched_sp;
		if (!same) {
			(*skip)++;
			continue;
		}
		g = (struct bw_goroutine *)(out + *cnt * stride);
		memset(g, 0, stride);
		*g = *p->g;
		g->chans_at = gs->nchanv;
		g->nchans = p->nchans;
		if (append_chans(gs, p->chans, p->nchans))
			return -ENOMEM;
		(*cnt)++;
	}
	return 0;
}

static void read_heap_ranges(struct bw_goscan *gs)
{
	char path[64];
	FILE *f;

	free(gs->heap);
	gs->heap = NULL;
	gs->nheap = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", gs->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (bw_parse_anon_rw(f, &gs->heap, &gs->nheap))
		gs->nheap = 0;
	fclose(f);
	gs->nheap = bw_go_arenas(gs->heap, gs->nheap);
}

/* A g of the runtime's own (no goroutine): its struct a stop, its stack never entered. */
static void add_system_g(struct bw_goscan *gs, __u64 g)
{
	__u64 st[2];

	add_stop(gs, g);
	if (!bw_mem__read(gs->mem, g + gs->lay.g_stack_lo, st, sizeof(st)) && st[0] < st[1])
		add_opaque(gs, st[0], st[1]);
}

static void walk_allm(struct bw_goscan *gs)
{
	const struct bw_golayout *l = &gs->lay;
	__u64 m = 0, procid, curg, goid, g0, gsig;
	size_t n = 0;

	gs->nms = 0;
	if (!gs->allm || l->m_alllink < 0 || l->m_procid < 0 || l->m_curg < 0 ||
	    bw_mem__read_u64(gs->mem, gs->allm, &m))
		return;
	while (m && n < MAX_MS) {
		if (n % 64 == 0) {
			__u32 *t = realloc(gs->m_tids, (n + 64) * sizeof(*t));
			__u64 *g = t ? realloc(gs->m_goids, (n + 64) * sizeof(*g)) : NULL;

			if (t)
				gs->m_tids = t;
			if (!g)
				break;
			gs->m_goids = g;
		}
		procid = curg = goid = 0;
		/*
		 * m.g0 (its first field) and m.gsignal (right after m.procid in
		 * every version): the scheduler's and the signal handler's g.
		 * Their stacks hold stale words, and a signal frame the
		 * registers of whatever goroutine it interrupted; the GC scans
		 * neither.
		 */
		if (!bw_mem__read_u64(gs->mem, m, &g0) && g0)
			add_system_g(gs, g0);
		if (!bw_mem__read_u64(gs->mem, m + l->m_procid + 8, &gsig) && gsig)
			add_system_g(gs, gsig);
		if (bw_mem__read_u64(gs->mem, m + l->m_procid, &procid) ||
		    bw_mem__read_u64(gs->mem, m + l->m_curg, &curg))
			break;
		if (curg)
			bw_mem__read_u64(gs->mem, curg + l->g_goid, &goid);
		gs->m_tids[n] = procid;
		gs->m_goids[n++] = goid;
		if (bw_mem__read_u64(gs->mem, m + l->m_alllink, &m))
			break;
	}
	gs->nms = n;
}

/*
 * The runtime's references that keep waiters alive, when its globals are
 * left out of the roots (symbols known): each P's timers (they hold the
 * channels of time.After, NewTimer and tickers). Only p.timers is a root:
 * the rest of a P holds stale pointers (the write barrier buffer, GC work
 * buffers) that would keep leaked channels alive. Whole Ps for versions
 * whose p.timers offset is not known (bw_goversion_p_timers).
 */
#define P_BYTES_FALLBACK 16384
#define P_TIMERS_BYTES 64
#define MAX_PS 1024

/* Runtime globals that hold channels its own goroutines wait on (ensureSigM's, unique's). */
static const char *const runtime_chans[] = {
	"runtime.enableSigChan", "runtime.disableSigChan", "runtime.maskUpdatedChan",
	"runtime.uniqueMapCleanup", /* unique's cleanup goroutine, 1.23+ */
};

/*
 * The Ps of a slice that may be allp: n of them, with p.id (an int32 at
 * offset 0 in every version) equal to the index. 0 when it is not allp.
 */
static size_t read_allp(struct bw_goscan *gs, __u64 at, __u64 *slice, __u64 *ps)
{
	size_t i, n;
	__s32 id;

	if (bw_mem__read(gs->mem, at, slice, 3 * 8) || !slice[1] || slice[1] > slice[2] ||
	    slice[1] > MAX_PS)
		return 0;
	n = slice[1];
	if (bw_mem__read(gs->mem, slice[0], ps, n * 8))
		return 0;
	for (i = 0; i < n; i++)
		if (!ps[i] || (ps[i] & 7) || bw_mem__read(gs->mem, ps[i], &id, sizeof(id)) ||
		    id != (__s32)i)
			return 0;
	return n;
}

static void add_keepalive_roots(struct bw_goscan *gs)
{
	__u64 slice[3], ps[MAX_PS], base, size;
	size_t i, n = 0;

	for (i = 0; gs->has_symbols && i < sizeof(runtime_chans) / sizeof(runtime_chans[0]); i++)
		if (!bw_gobin__lookup(gs->gb, runtime_chans[i], &base, &size))
			add_root(gs, base + gs->bias, base + gs->bias + 8);

	if (gs->allp)
		n = read_allp(gs, gs->allp, slice, ps);
	for (i = 0; !gs->allp && !n && i < gs->nallp_cand; i++)
		n = read_allp(gs, gs->allp_cand[i], slice, ps);
	if (!n)
		return;
	/*
	 * A P is never entered (without symbols allp stays a root): its
	 * uintptr fields (the page cache base, the write barrier buffer) hold
	 * heap addresses that keep nothing alive. Its timers are the root.
	 */
	add_stop(gs, slice[0]);
	for (i = 0; i < n; i++) {
		__s32 off = bw_goversion_p_timers(bw_gobin__info(gs->gb)->major,
						  bw_gobin__info(gs->gb)->minor);

		add_stop(gs, ps[i]);
		if (off >= 0) {
			add_root(gs, ps[i] + off, ps[i] + off + P_TIMERS_BYTES);
			continue;
		}
		if (bw_goscan__object(gs, ps[i], &base, &size) || base != ps[i])
			size = P_BYTES_FALLBACK;
		add_root(gs, ps[i], ps[i] + size);
	}
}

/*
 * Finalizers and cleanups, as the GC marks them (markrootSpans and the
 * finalizer and cleanup queue roots): the special records of the spans
 * whose first page has its pageSpecials bit set, in the arenas of the heap
 * ranges. A finalizer's fn word and its object's contents, a cleanup's
 * pointer words, and the queued-to-run entries become roots; the records
 * and queue blocks are off the heap, the closures they point to on it.
 */
#define MAX_SPECIALS (1u << 22) /* a guard against a torn list, not a budget */
#define MAX_FIN_BLOCKS 4096
#define SPECIAL_BYTES 48

static void add_span_specials(struct bw_goscan *gs, __u64 span, size_t *budget)
{
	const struct bw_gospecials *sp = &gs->spc;
	__u64 rec, start, elem, off;
	__u8 buf[SPECIAL_BYTES];

	if (bw_mem__read_u64(gs->mem, span + sp->mspan_specials, &rec) ||
	    bw_mem__read_u64(gs->mem, span + gs->lay.mspan_startaddr, &start) ||
	    bw_mem__read_u64(gs->mem, span + gs->lay.mspan_elemsize, &elem))
		return;
	for (; rec && *budget; (*budget)--) {
		if (bw_mem__read(gs->mem, rec, buf, sizeof(buf)))
			return;
		if (buf[sp->special_kind] == sp->kind_finalizer) {
			__u16 off16;

			memcpy(&off16, buf + sp->special_offset, sizeof(off16));
			off = sp->special_offset_size == 2 ? off16 : get64(buf, sp->special_offset);
			add_root(gs, rec + sp->finalizer_fn, rec + sp->finalizer_fn + 8);
			if (elem)
				add_root(gs, start + off / elem * elem,
					 start + off / elem * elem + elem);
		} else if (sp->kind_cleanup && buf[sp->special_kind] == sp->kind_cleanup) {
			add_root(gs, rec + sp->cleanup_ptrs,
				 rec + sp->cleanup_ptrs + sp->cleanup_nptrs * 8);
		}
		rec = get64(buf, 0);
	}
}

/*
 * A chain of the runtime's queue blocks from block (next at link, a u32
 * count at cnt_off, entries of size bytes at items, at most bytes of them):
 * each block's entries are roots.
 */
static void add_queued(struct bw_goscan *gs, __u64 block, __s32 link, __s32 cnt_off, __s32 items,
		       __s32 size, __u32 bytes)
{
	size_t nb;
	__u32 cnt;

	for (nb = 0; block && nb < MAX_FIN_BLOCKS; nb++) {
		if (bw_mem__read(gs->mem, block + cnt_off, &cnt, sizeof(cnt)))
			break;
		if (cnt <= bytes / (__u32)size)
			add_root(gs, block + items, block + items + (__u64)cnt * size);
		if (bw_mem__read_u64(gs->mem, block + link, &block))
			break;
	}
}

static void add_finalizer_roots(struct bw_goscan *gs)
{
	const struct bw_gospecials *sp = &gs->spc;
	__u64 last = 0, a, ha, block, span;
	__u8 bits[PAGES_PER_ARENA / 8];
	size_t i, budget = MAX_SPECIALS;

	if (!gs->have_spc)
		return;
	for (i = 0; gs->mheap && gs->lay.mheap_arenas >= 0 && gs->lay.heaparena_spans >= 0 &&
		    gs->lay.mspan_startaddr >= 0 && gs->lay.mspan_elemsize >= 0 && i < gs->nheap;
	     i++) {
		for (a = gs->heap[i].start & ~((1ULL << LOG_ARENA_BYTES) - 1); a < gs->heap[i].end;
		     a += 1ULL << LOG_ARENA_BYTES) {
			if (a + 1 <= last || !(ha = arena_of(gs, a)))
				continue;
			last = a + 1;
			if (bw_mem__read(gs->mem, ha + sp->arena_page_specials, bits, sizeof(bits)))
				continue;
			for (size_t p = 0; p < PAGES_PER_ARENA && budget; p++) {
				if (!(bits[p / 8] & (1u << (p % 8))) ||
				    bw_mem__read_u64(gs->mem, ha + gs->lay.heaparena_spans + p * 8,
						     &span) ||
				    !span)
					continue;
				add_span_specials(gs, span, &budget);
			}
		}
	}
	/* Queued to run: finblock.fin[0:cnt], then 1.25+'s cleanupBlock.cleanups[0:n]. */
	if (gs->allfin && !bw_mem__read_u64(gs->mem, gs->allfin, &block))
		add_queued(gs, block, 0, sp->finblock_cnt, sp->finblock_fin, sp->finalizer_size,
			   4096);
	if (gs->gccleanups && sp->cleanupq_all >= 0 &&
	    !bw_mem__read_u64(gs->mem, gs->gccleanups + sp->cleanupq_all, &block))
		add_queued(gs, block, sp->cleanupblock_alllink, sp->cleanupblock_n,
			   sp->cleanupblock_cleanups, sp->cleanup_entry_size, 512);
}

/* Sorted and merged: the search looks words up in it. */
static void sort_opaque(struct bw_goscan *gs)
{
	size_t i, k = 0;

	qsort(gs->opaque, gs->nopaque, sizeof(*gs->opaque), cmp_range_start);
	for (i = 0; i < gs->nopaque; i++) {
		if (k && gs->opaque[i].start <= gs->opaque[k - 1].end) {
			if (gs->opaque[i].end > gs->opaque[k - 1].end)
				gs->opaque[k - 1].end = gs->opaque[i].end;
			continue;
		}
		gs->opaque[k++] = gs->opaque[i];
	}
	gs->nopaque = k;
}

const struct bw_range *bw_goscan__stacks(const struct bw_goscan *gs, size_t *n)
{
	*n = gs->nopaque;
	return gs->opaque;
}

__u64 bw_goscan__goid_of_tid(struct bw_goscan *gs, __u32 tid)
{
	size_t i;

	for (i = 0; i < gs->nms; i++)
		if (gs->m_tids[i] == tid)
			return gs->m_goids[i];
	return 0;
}

const __u64 *bw_goscan__chans(const struct bw_goscan *gs, size_t *n)
{
	*n = gs->nchanv;
	return gs->chanv;
}

int bw_goscan__scan(struct bw_goscan *gs, struct bw_goroutine **out, size_t *n, size_t *skipped)
{
	size_t len;
	int err;

	*out = NULL;
	*n = 0;
	if (skipped)
		*skipped = 0;
	err = bw_goscan__begin(gs, &len);
	if (err)
		return err;
	*out = calloc(len ? len : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	err = bw_goscan__read(gs, *out, sizeof(**out), n, skipped);
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

int bw_goscan__begin(struct bw_goscan *gs, size_t *len)
{
	__u64 slice[3], *ptrs;
	int err;

	*len = 0;
	err = bw_mem__read(gs->mem, gs->allgs, slice, sizeof(slice));
	if (err)
		return err;
	if (slice[1] > slice[2] || slice[1] > MAX_ALLGS)
		return -EIO; /* torn or garbage: the caller retries next scan */
	if (slice[1] > gs->cap_ptrs) {
		ptrs = realloc(gs->ptrs, slice[1] * sizeof(*ptrs));
		if (!ptrs)
			return -ENOMEM;
		gs->ptrs = ptrs;
		gs->cap_ptrs = slice[1];
	}
	err = slice[1] ? bw_mem__read(gs->mem, slice[0], gs->ptrs, slice[1] * sizeof(*ptrs)) : 0;
	if (err)
		return err;
	gs->allgs_array = slice[0];
	gs->nptrs = *len = slice[1];
	return 0;
}

int bw_goscan__read(struct bw_goscan *gs, void *out, size_t stride, size_t *n, size_t *skipped)
{
	__u64 batch[BATCH];
	size_t i, nb, cnt = 0, skip = 0;
	int err = 0;

	*n = 0;
	gs->gen++;
	gs->nroots = 0;
	gs->nstops = 0;
	gs->nopaque = 0;
	gs->nchanv = 0;
	gs->nlwords = 0;
	memset(gs->spans, 0, sizeof(gs->spans)); /* spans are reused between scans */
	bw_goheap__reset(gs->heapbits);
	memset(gs->arena_idx, 0, sizeof(gs->arena_idx));
	gs->l2 = 0;
	for (i = 0; i < gs->nsegs; i++)
		add_root(gs, gs->segs[i].start, gs->segs[i].end);
	read_heap_ranges(gs);
	for (i = nb = 0; i < gs->nptrs && !err; i++) {
		if (gs->ptrs[i])
			batch[nb++] = gs->ptrs[i];
		if (nb == BATCH || (i + 1 == gs->nptrs && nb)) {
			err = read_batch(gs, batch, nb, out, stride, &cnt, &skip);
			nb = 0;
		}
	}
	gs->nptrs = 0; /* read once */
	if (skipped)
		*skipped = skip;
	if (err)
		return err;
	walk_allm(gs);
	add_keepalive_roots(gs);
	add_finalizer_roots(gs);
	add_stop(gs, gs->allgs_array);
	sort_u64(gs->stops, gs->nstops);
	sort_opaque(gs);
	/* Stacks neither this scan nor the previous one uses: no record points there. */
	bw_hashmap__retain(gs->stacks, stack_used, &gs->last_ok_gen);
	gs->last_ok_gen = gs->gen;
	*n = cnt;
	return 0;
}
