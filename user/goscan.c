// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gobin.h"
#include "goreach.h"
#include "goscan.h"
#include "goverdict.h"
#include "memread.h"

#define GSCAN_BIT 0x1000
#define MAX_ALLGS (1u << 24)
#define MAX_MS 65536
#define G_BUF 2048
/* Bytes of a parked stack hashed to see whether the goroutine ran. */
#define STACK_HASH_BYTES 512
#define STACK_READ_MAX 65536

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
	__u8 *stack_buf;
	struct bw_range *segs; /* writable PT_LOADs: the globals */
	size_t nsegs;
	struct bw_range *roots; /* segs, then stacks of goroutines not stuck */
	size_t nroots, cap_roots;
	struct bw_range *heap;
	size_t nheap;
	bool has_symbols; /* the runtime's globals are carved out of segs */
	__u64 mheap;	  /* runtime.mheap_, 0 when unknown */
	struct span_slot {
		__u64 page; /* page number + 1, 0 = empty */
		__u64 start;
		__u64 elemsize;
	} spans[4096]; /* per-scan cache of page -> span */
	__u64 *stops;  /* g structs and sudogs: the runtime's bookkeeping */
	size_t nstops, cap_stops;
};

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
	if (!bw_gobin__lookup(gs->gb, "runtime.mheap_", &gs->mheap, &size))
		gs->mheap += gs->bias;
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
	gs->stack_buf = malloc(STACK_READ_MAX);
	if (!gs->stack_buf) {
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
	free(gs->m_tids);
	free(gs->m_goids);
	free(gs->stack_buf);
	free(gs->segs);
	free(gs->roots);
	free(gs->heap);
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

/*
 * linux/amd64 heap geometry of Go 1.19-1.26: 64 MiB arenas indexed from
 * arenaBaseOffset 0xffff800000000000 in a single-level map, 8 KiB pages.
 */
#define ARENA_BASE_OFFSET 0xffff800000000000ULL
#define LOG_ARENA_BYTES 26
#define ARENA_L2_ENTRIES (1ULL << 22)
#define PAGE_SHIFT 13
#define PAGES_PER_ARENA 8192

int bw_goscan__object(void *ctx, __u64 addr, __u64 *base, __u64 *size)
{
	struct bw_goscan *gs = ctx;
	const struct bw_golayout *l = &gs->lay;
	__u64 idx = (addr - ARENA_BASE_OFFSET) >> LOG_ARENA_BYTES, page = addr >> PAGE_SHIFT;
	struct span_slot *slot = &gs->spans[page % (sizeof(gs->spans) / sizeof(gs->spans[0]))];
	__u64 l2, arena, span, start, elem;

	if (slot->page != page + 1) {
		if (idx >= ARENA_L2_ENTRIES ||
		    bw_mem__read_u64(gs->mem, gs->mheap + l->mheap_arenas, &l2) || !l2 ||
		    bw_mem__read_u64(gs->mem, l2 + idx * 8, &arena) || !arena ||
		    bw_mem__read_u64(gs->mem,
				     arena + l->heaparena_spans + (page % PAGES_PER_ARENA) * 8,
				     &span) ||
		    !span || bw_mem__read_u64(gs->mem, span + l->mspan_startaddr, &start) ||
		    bw_mem__read_u64(gs->mem, span + l->mspan_elemsize, &elem))
			return -ENOENT;
		slot->page = page + 1;
		slot->start = start;
		slot->elemsize = elem;
	}
	start = slot->start;
	elem = slot->elemsize;
	if (!elem || addr < start)
		return -ENOENT;
	*base = start + (addr - start) / elem * elem;
	*size = elem;
	return 0;
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
static bool stuck_class(const char *reason)
{
	enum bw_gowait_class c = bw_gowait_class(reason);

	return c == BW_GOWAIT_CHAN || c == BW_GOWAIT_NILCHAN || c == BW_GOWAIT_SYNC;
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

static __u64 fnv1a(const __u8 *p, size_t n, __u64 h)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/*
 * Walks the frame-pointer chain of a parked goroutine inside its own stack
 * [lo, hi): [bp] is the caller's bp, [bp+8] the return pc. The stack is read
 * once; a chain leaving it, or not growing upwards, ends the walk.
 */
static void walk_stack(struct bw_goscan *gs, struct bw_goroutine *g, __u64 lo, __u64 hi)
{
	__u64 sp = g->sched_sp, bp = g->sched_bp, len, ret, next;
	__u8 *buf = gs->stack_buf;

	g->pcs[0] = g->sched_pc - gs->bias;
	g->npcs = 1;
	if (sp < lo || sp >= hi)
		return;
	len = hi - sp < STACK_READ_MAX ? hi - sp : STACK_READ_MAX;
	if (bw_mem__read(gs->mem, sp, buf, len))
		return;
	g->stack_hash =
		fnv1a(buf, len < STACK_HASH_BYTES ? len : STACK_HASH_BYTES, 0xcbf29ce484222325ULL);
	while (g->npcs < BW_GO_STACK_MAX && bp >= sp && bp + 16 <= sp + len && !(bp & 7)) {
		memcpy(&next, buf + (bp - sp), 8);
		memcpy(&ret, buf + (bp - sp) + 8, 8);
		if (!ret)
			break;
		g->pcs[g->npcs++] = ret - gs->bias;
		if (next <= bp)
			break;
		bp = next;
	}
}

static int read_g(struct bw_goscan *gs, __u64 gaddr, __u8 *buf, struct bw_goroutine *g)
{
	const struct bw_golayout *l = &gs->lay;
	__u64 m, lo, hi;

	if (l->g_size > G_BUF || bw_mem__read(gs->mem, gaddr, buf, l->g_size))
		return -EFAULT;
	memset(g, 0, sizeof(*g));
	g->gaddr = gaddr;
	g->status = get32(buf, l->g_atomicstatus) & ~GSCAN_BIT;
	lo = get64(buf, l->g_stack_lo);
	hi = get64(buf, l->g_stack_hi);
	if (g->status != BW_GSTATUS_WAITING && g->status != BW_GSTATUS_SYSCALL &&
	    g->status != BW_GSTATUS_LEAKED) {
		/* Running or runnable: all of its stack may hold live references. */
		if (g->status != BW_GSTATUS_DEAD && g->status != 0)
			add_root(gs, lo, hi);
		return -ENOENT;
	}
	g->goid = get64(buf, l->g_goid);
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
	lo = get64(buf, l->g_stack_lo);
	hi = get64(buf, l->g_stack_hi);
	m = get64(buf, l->g_m);
	if (m && l->m_procid >= 0) {
		__u64 procid = 0;

		if (!bw_mem__read_u64(gs->mem, m + l->m_procid, &procid))
			g->tid = procid;
	}
	if (g->waiting && l->sudog_c >= 0) {
		__u64 s = g->waiting, c;

		bw_mem__read_u64(gs->mem, s + l->sudog_c, &g->chan);
		/* A select waits on one sudog per case, chained by waitlink. */
		while (s && g->nchans < BW_GO_CHANS_MAX) {
			add_stop(gs, s);
			if (bw_mem__read_u64(gs->mem, s + l->sudog_c, &c))
				break;
			if (c)
				g->chans[g->nchans++] = c;
			if (l->sudog_waitlink < 0 ||
			    bw_mem__read_u64(gs->mem, s + l->sudog_waitlink, &s))
				break;
		}
	}
	if (g->status == BW_GSTATUS_SYSCALL)
		add_root(gs, lo, hi);
	else if (!stuck_class(g->wait_reason))
		add_root(gs, g->sched_sp, hi);
	if (g->status != BW_GSTATUS_SYSCALL && g->sched_pc)
		walk_stack(gs, g, lo, hi);
	/* The g may have been reused while we read its stack: re-check it. */
	if (bw_mem__read(gs->mem, gaddr, buf, l->g_size) || get64(buf, l->g_goid) != g->goid ||
	    get64(buf, l->g_sched + l->gobuf_sp) != g->sched_sp)
		return -EAGAIN;
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

static void walk_allm(struct bw_goscan *gs)
{
	const struct bw_golayout *l = &gs->lay;
	__u64 m = 0, procid, curg, goid;
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

__u64 bw_goscan__goid_of_tid(struct bw_goscan *gs, __u32 tid)
{
	size_t i;

	for (i = 0; i < gs->nms; i++)
		if (gs->m_tids[i] == tid)
			return gs->m_goids[i];
	return 0;
}

int bw_goscan__scan(struct bw_goscan *gs, struct bw_goroutine **out, size_t *n, size_t *skipped)
{
	__u64 slice[3], *ptrs = NULL;
	struct bw_goroutine *gr = NULL;
	__u8 gbuf[G_BUF];
	size_t i, len, cnt = 0, skip = 0;
	int err;

	*out = NULL;
	*n = 0;
	gs->nroots = 0;
	gs->nstops = 0;
	memset(gs->spans, 0, sizeof(gs->spans)); /* spans are reused between scans */
	for (i = 0; i < gs->nsegs; i++)
		add_root(gs, gs->segs[i].start, gs->segs[i].end);
	err = bw_mem__read(gs->mem, gs->allgs, slice, sizeof(slice));
	if (err)
		return err;
	len = slice[1];
	if (len > slice[2] || len > MAX_ALLGS)
		return -EIO; /* torn or garbage: the caller retries next scan */
	ptrs = malloc((len ? len : 1) * sizeof(*ptrs));
	gr = malloc((len ? len : 1) * sizeof(*gr));
	if (!ptrs || !gr) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = len ? bw_mem__read(gs->mem, slice[0], ptrs, len * sizeof(*ptrs)) : 0;
	if (err)
		goto cleanup;
	for (i = 0; i < len; i++) {
		int r = ptrs[i] ? read_g(gs, ptrs[i], gbuf, &gr[cnt]) : -ENOENT;

		if (ptrs[i])
			add_stop(gs, ptrs[i]);
		if (!r)
			cnt++;
		else if (r != -ENOENT)
			skip++;
	}
	walk_allm(gs);
	read_heap_ranges(gs);
	add_stop(gs, slice[0]); /* the allgs array */
	qsort(gs->stops, gs->nstops, sizeof(*gs->stops), cmp_u64);
	*out = gr;
	*n = cnt;
	gr = NULL;
cleanup:
	if (skipped)
		*skipped = skip;
	free(ptrs);
	free(gr);
	return err;
}
