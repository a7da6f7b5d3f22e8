// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "go/gobin.h"
#include "go/goheap.h"
#include "go/goinplace.h"
#include "go/goreach.h"
#include "go/goscan.h"
#include "go/goscan_internal.h"
#include "go/goversions.h"
#include "go/gowait.h"
#include "platform/memread.h"

#define GSCAN_BIT 0x1000
#define ALLGS_MAX_ENTRIES (1u << 24)
#define ALLM_MAX_ENTRIES 65536

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
	gs->stack_buf = malloc(STACK_READ_MAX_BYTES);
	gs->stack_bits = malloc(STACK_READ_MAX_BYTES / 64 + 1);
	gs->batch = malloc(sizeof(*gs->batch));
	if (!gs->stack_buf || !gs->stack_bits || !gs->batch ||
	    bw_hashmap__new(sizeof(struct stack_ent *), &gs->stacks) ||
	    bw_hashmap__new(sizeof(__u64), &gs->cond_tails) || bw_gcmap_memo__new(&gs->walks)) {
		err = -ENOMEM;
		goto cleanup;
	}
	*out = gs;
	return 0;
cleanup:
	bw_goscan__free(gs);
	return err;
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
	bw_goscan_free_stacks(gs->stacks);
	bw_hashmap__free(gs->cond_tails);
	bw_gcmap_memo__free(gs->walks);
	free(gs->segs);
	free(gs->roots);
	free(gs->heap);
	free(gs->opaque);
	free(gs->stops);
	free(gs);
}

void bw_goscan_add_stop(struct bw_goscan *gs, __u64 addr)
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

void bw_goscan_add_root(struct bw_goscan *gs, __u64 start, __u64 end)
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

static int append_chans(struct bw_goscan *gs, const __u64 *c, __u32 n)
{
	/* A goroutine on no channel: nothing to copy, and memcpy takes no NULL chanv. */
	if (!n)
		return 0;
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
			bw_goscan_add_root(gs, p->lo, p->hi);
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
	g->tracking_seq = l->g_tracking_seq >= 0 && l->g_tracking_seq < G_BUF_BYTES
				  ? buf[l->g_tracking_seq]
				  : 0;
	p->m = l->m_procid >= 0 ? get64(buf, l->g_m) : 0;
	p->sudog = l->sudog_c >= 0 ? g->waiting : 0;
	/* Parked ones lend their stacks to the liveness search once it finds them live. */
	if (g->status == BW_GSTATUS_SYSCALL)
		bw_goscan_add_root(gs, p->lo, p->hi);
	p->sync = g->status != BW_GSTATUS_SYSCALL && stuck_class(gs, g->wait_idx, g->wait_reason) &&
		  bw_gowait_class(g->wait_reason) == BW_GOWAIT_SYNC;
	p->walk = g->status != BW_GSTATUS_SYSCALL && g->sched_pc;
	return true;
}

/* Reads one batch of g pointers; the goroutines read whole go to out + *cnt * stride. */
static int read_batch(struct bw_goscan *gs, const __u64 *gaddrs, size_t nb, void *out_v,
		      size_t stride, size_t *cnt, size_t *skip)
{
	const struct bw_golayout *l = &gs->lay;
	struct bw_goroutine gtmp[BATCH_ENTRIES];
	struct batch *b = gs->batch;
	__u8 *out = out_v;
	size_t k, nv;
	__s32 lo, hi;

	for (k = 0; k < nb; k++) {
		bw_goscan_add_stop(gs, gaddrs[k]);
		b->p[k] = (struct pending){ .gaddr = gaddrs[k], .g = &gtmp[k] };
		b->v[k] = vec(gaddrs[k], b->gbuf[k], l->g_size);
	}
	if (l->g_size > G_BUF_BYTES) {
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
	bw_goscan_read_sudogs(gs, b, nb);
	bw_goscan_read_stacks(gs, b, nb);
	bw_goscan_read_sync(gs, b, nb);
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

/*
 * The fields of a second read of a g that tell it ran (bw_goinplace_same):
 * its stack bounds into *lo and *hi for the stack bytes to hash.
 */
static void reread_fields(const struct bw_goscan *gs, const __u8 *buf, __u64 gaddr,
			  struct bw_goroutine *g, __u64 *lo, __u64 *hi)
{
	const struct bw_golayout *l = &gs->lay;

	memset(g, 0, sizeof(*g));
	g->gaddr = gaddr;
	g->goid = get64(buf, l->g_goid);
	g->status = get32(buf, l->g_atomicstatus) & ~GSCAN_BIT;
	g->wait_idx = l->g_waitreason >= 0 ? buf[l->g_waitreason] : 0;
	g->sched_sp = get64(buf, l->g_sched + l->gobuf_sp);
	g->sched_pc = get64(buf, l->g_sched + l->gobuf_pc);
	g->sched_bp = get64(buf, l->g_sched + l->gobuf_bp);
	g->waiting = get64(buf, l->g_waiting);
	g->tracking_seq = l->g_tracking_seq >= 0 && l->g_tracking_seq < G_BUF_BYTES
				  ? buf[l->g_tracking_seq]
				  : 0;
	*lo = get64(buf, l->g_stack_lo);
	*hi = get64(buf, l->g_stack_hi);
}

/* One batch of bw_goscan__reread: recs[k] is the scan's record of the k-th. */
static void reread_batch(struct bw_goscan *gs, struct bw_goroutine **recs, size_t nb)
{
	const struct bw_golayout *l = &gs->lay;
	struct bw_goroutine now[BATCH_ENTRIES];
	struct batch *b = gs->batch;
	bool hashed[BATCH_ENTRIES];
	__u64 lo, hi, sp;
	size_t k, nv;

	for (k = 0; k < nb; k++)
		b->v[k] = vec(recs[k]->gaddr, b->gbuf[k], l->g_size);
	bw_mem__readv(gs->mem, b->v, nb);
	for (k = nv = 0; k < nb; k++) {
		hashed[k] = false;
		if (b->v[k].err) {
			now[k].goid = 0; /* unread: never the same */
			now[k].stack_hash = 0;
			continue;
		}
		reread_fields(gs, b->gbuf[k], recs[k]->gaddr, &now[k], &lo, &hi);
		sp = now[k].sched_sp;
		/* The bytes the scan hashed: from sp, at most STACK_HASH_BYTES (gostack.c). */
		if (now[k].status == BW_GSTATUS_SYSCALL || !now[k].sched_pc || sp < lo || sp >= hi)
			continue;
		b->v[nb + nv++] = vec(sp, b->sbuf[k],
				      hi - sp < STACK_HASH_BYTES ? hi - sp : STACK_HASH_BYTES);
		hashed[k] = true;
	}
	bw_mem__readv(gs->mem, b->v + nb, nv);
	for (k = nv = 0; k < nb; k++) {
		if (hashed[k]) {
			const struct bw_memvec *v = &b->v[nb + nv++];

			now[k].stack_hash = v->err ? 0 : bw_goscan_hash_bytes(v->buf, v->len);
		}
		recs[k]->in_place = bw_goinplace_same(recs[k], &now[k]);
	}
}

int bw_goscan__reread(struct bw_goscan *gs, void *out_v, size_t stride, const size_t *idx, size_t n)
{
	struct bw_goroutine *recs[BATCH_ENTRIES];
	__u8 *out = out_v;
	size_t i, nb = 0;

	if (gs->lay.g_size > G_BUF_BYTES)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		recs[nb++] = (struct bw_goroutine *)(out + idx[i] * stride);
		if (nb == BATCH_ENTRIES || i + 1 == n) {
			reread_batch(gs, recs, nb);
			nb = 0;
		}
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

	bw_goscan_add_stop(gs, g);
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
	while (m && n < ALLM_MAX_ENTRIES) {
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
 * By start, a radix sort (a million stacks each scan); qsort when short of
 * memory. The order of equal starts differs between the two: the merge
 * below does not depend on it.
 */
static void sort_ranges(struct bw_range *a, size_t n)
{
	struct bw_range *tmp = n > 4096 ? malloc(n * sizeof(*tmp)) : NULL, *src = a, *dst = tmp, *t;
	size_t count[256], i, pass, sum;

	if (!tmp) {
		qsort(a, n, sizeof(*a), cmp_range_start);
		return;
	}
	for (pass = 0; pass < 8; pass++) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(src[i].start >> (pass * 8)) & 0xff]++;
		if (count[(src[0].start >> (pass * 8)) & 0xff] == n)
			continue; /* this byte is the same everywhere */
		for (i = sum = 0; i < 256; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i].start >> (pass * 8)) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
	free(tmp);
}

/* Sorted and merged: the search looks words up in it. */
static void sort_opaque(struct bw_goscan *gs)
{
	size_t i, k = 0;

	sort_ranges(gs->opaque, gs->nopaque);
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

int bw_goscan__begin(struct bw_goscan *gs, size_t *len)
{
	__u64 slice[3], *ptrs;
	int err;

	*len = 0;
	err = bw_mem__read(gs->mem, gs->allgs, slice, sizeof(slice));
	if (err)
		return err;
	if (slice[1] > slice[2] || slice[1] > ALLGS_MAX_ENTRIES)
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
	__u64 batch[BATCH_ENTRIES];
	size_t i, nb, cnt = 0, skip = 0;
	int err = 0;

	*n = 0;
	gs->gen++;
	gs->nroots = 0;
	gs->nstops = 0;
	gs->nopaque = 0;
	gs->nchanv = 0;
	gs->nlwords = 0;
	bw_hashmap__clear(gs->cond_tails);	 /* sudogs are reused between scans */
	memset(gs->spans, 0, sizeof(gs->spans)); /* spans are reused between scans */
	bw_goheap__reset(gs->heapbits);
	memset(gs->arena_idx, 0, sizeof(gs->arena_idx));
	gs->l2 = 0;
	for (i = 0; i < gs->nsegs; i++)
		bw_goscan_add_root(gs, gs->segs[i].start, gs->segs[i].end);
	read_heap_ranges(gs);
	for (i = nb = 0; i < gs->nptrs && !err; i++) {
		if (gs->ptrs[i])
			batch[nb++] = gs->ptrs[i];
		if (nb == BATCH_ENTRIES || (i + 1 == gs->nptrs && nb)) {
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
	bw_goscan_add_keepalive_roots(gs);
	bw_goscan_add_finalizer_roots(gs);
	bw_goscan_add_stop(gs, gs->allgs_array);
	sort_u64(gs->stops, gs->nstops);
	sort_opaque(gs);
	/* Stacks neither this scan nor the previous one uses: no record points there. */
	bw_goscan_sweep_stacks(gs, gs->last_ok_gen);
	gs->last_ok_gen = gs->gen;
	*n = cnt;
	return 0;
}
