// SPDX-License-Identifier: GPL-2.0
/* Python frames of every thread, from the target's memory (see pywalk.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "core/hashmap.h"
#include "python/pylinetable.h"
#include "python/pywalk.h"

#define USER_TOP 0x0000800000000000ULL
/* Bytes of a code object read at once: its fields up to the bytecode. */
#define CODE_HEAD_MAX 512
#define LINETABLE_MAX (1u << 20)
/* Characters read with a string's header, in the same read. */
#define STR_SPECULATIVE 192
/*
 * Frames are read a page at a time: a thread's frames sit next to each other
 * in its data stack chunks, so one read serves the frames a page holds (a
 * 3.11 frame of a small function is about 100 bytes) instead of one read each.
 */
#define FRAME_PAGE_BYTES 4096
/* Bytes of a thread state read at once: its fields up to the kernel tid (3.14: 232). */
#define TSTATE_HEAD_MAX 512

struct code {
	__u64 addr;
	char *name, *qualname, *file;
	__u8 *linetable;
	__u32 linetable_len;
	__s32 firstlineno;
	bool valid; /* a code object (its type is "code") */
};

struct bw_pywalk {
	struct bw_pylayout L;
	struct bw_pymem_ops mem;
	struct bw_hashmap *codes; /* code objects of this scan: address -> struct code */
	__u64 code_type;	  /* the type object known to be "code", 0 until seen */
	struct bw_pyframe *scratch;
	/* The page of frames last read, for this thread only (0: none). */
	__u64 page_addr;
	__u8 page[FRAME_PAGE_BYTES];
};

static const char unknown[] = "?";

static bool ptr_ok(__u64 p)
{
	return p && !(p & 7) && p < USER_TOP;
}

static int rd(struct bw_pywalk *w, __u64 addr, void *buf, size_t len)
{
	if (!addr || addr >= USER_TOP || len > USER_TOP - addr)
		return -EFAULT;
	return w->mem.read(w->mem.ctx, addr, buf, len);
}

/*
 * A frame's fixed part, from the page cached when it holds it, else from its
 * page read whole, else (a page that ends a mapping) read exactly.
 */
static int rd_frame(struct bw_pywalk *w, __u64 addr, void *buf, size_t len)
{
	__u64 page = addr & ~(__u64)(FRAME_PAGE_BYTES - 1);

	if (addr + len > page + FRAME_PAGE_BYTES)
		return rd(w, addr, buf, len);
	if (!w->page_addr || w->page_addr != page) {
		w->page_addr = 0;
		if (rd(w, page, w->page, FRAME_PAGE_BYTES) != 0)
			return rd(w, addr, buf, len);
		w->page_addr = page;
	}
	memcpy(buf, w->page + (addr - page), len);
	return 0;
}

static int rd_u64(struct bw_pywalk *w, __u64 addr, __u64 *v)
{
	return rd(w, addr, v, sizeof(*v));
}

static __u64 get_u64(const __u8 *b, __s32 off)
{
	__u64 v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static __s32 get_s32(const __u8 *b, __s32 off)
{
	__s32 v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

int bw_pywalk__new(const struct bw_pylayout *layout, const struct bw_pymem_ops *mem,
		   struct bw_pywalk **out)
{
	struct bw_pywalk *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->scratch = calloc(BW_PY_FRAMES_MAX, sizeof(*w->scratch));
	if (!w->scratch || bw_hashmap__new(sizeof(struct code), &w->codes)) {
		free(w->scratch);
		free(w);
		return -ENOMEM;
	}
	w->L = *layout;
	w->mem = *mem;
	*out = w;
	return 0;
}

static void put_utf8(char *buf, size_t len, size_t *pos, __u32 c)
{
	__u8 u[4];
	size_t n, i;

	if (c < 0x80) {
		u[0] = (__u8)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (__u8)(0xc0 | (c >> 6));
		u[1] = (__u8)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (__u8)(0xe0 | (c >> 12));
		u[1] = (__u8)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (__u8)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		if (c > 0x10ffff)
			c = 0xfffd;
		u[0] = (__u8)(0xf0 | (c >> 18));
		u[1] = (__u8)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (__u8)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (__u8)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (*pos + n >= len)
		return;
	for (i = 0; i < n; i++)
		buf[(*pos)++] = (char)u[i];
}

int bw_pywalk__unicode(const struct bw_pylayout *L, const __u8 *head, size_t head_len, char *buf,
		       size_t len, size_t *need)
{
	size_t hdr = L->unicode_compact_size, data, i, pos = 0, nchars;
	__u32 state, kind, compact, ascii;
	__s64 length;

	*need = 0;
	if (!len)
		return -EINVAL;
	buf[0] = '\0';
	if (head_len < L->unicode_ascii_size)
		return -EINVAL;
	memcpy(&state, head + L->unicode_state, sizeof(state));
	memcpy(&length, head + L->unicode_length, sizeof(length));
	kind = (state >> 2) & 7;
	compact = (state >> 5) & 1;
	ascii = (state >> 6) & 1;
	if (!compact || length < 0 || (kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1))
		return -EINVAL;
	nchars = (size_t)length < BW_PY_STR_MAX ? (size_t)length : BW_PY_STR_MAX;
	data = ascii ? L->unicode_ascii_size : hdr;
	if (data + nchars * kind > head_len) {
		*need = data + nchars * kind;
		return -EAGAIN;
	}
	for (i = 0; i < nchars; i++) {
		const __u8 *p = head + data + i * kind;
		__u32 c;

		if (kind == 1)
			c = p[0];
		else if (kind == 2)
			c = (__u32)p[0] | (__u32)p[1] << 8;
		else
			c = (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
		if (ascii && c >= 0x80)
			return -EINVAL;
		put_utf8(buf, len, &pos, c);
	}
	buf[pos] = '\0';
	return 0;
}

/* A str object of the target as a new UTF-8 string; NULL when unreadable. */
static char *read_str(struct bw_pywalk *w, __u64 addr)
{
	size_t head_len = w->L.unicode_compact_size + STR_SPECULATIVE, need = 0;
	__u8 *head = NULL;
	char *s = NULL, *shrunk;
	int err;

	if (!ptr_ok(addr))
		return NULL;
	head = malloc(head_len);
	s = malloc(4 * BW_PY_STR_MAX + 1);
	if (!head || !s)
		goto fail;
	/* One read usually; a string near the end of a mapping is read exactly. */
	if (rd(w, addr, head, head_len) != 0) {
		head_len = w->L.unicode_ascii_size;
		if (rd(w, addr, head, head_len) != 0)
			goto fail;
	}
	err = bw_pywalk__unicode(&w->L, head, head_len, s, 4 * BW_PY_STR_MAX + 1, &need);
	if (err == -EAGAIN) {
		__u8 *big = realloc(head, need);

		if (!big)
			goto fail;
		head = big;
		if (rd(w, addr, head, need) != 0)
			goto fail;
		err = bw_pywalk__unicode(&w->L, head, need, s, 4 * BW_PY_STR_MAX + 1, &need);
	}
	if (err)
		goto fail;
	free(head);
	shrunk = realloc(s, strlen(s) + 1);
	return shrunk ? shrunk : s;
fail:
	free(head);
	free(s);
	return NULL;
}

/* True when type (an object's ob_type) is the type named "code". */
static bool is_code_type(struct bw_pywalk *w, __u64 type)
{
	char tp_name[8];
	__u64 name;

	if (!ptr_ok(type))
		return false;
	if (w->code_type)
		return type == w->code_type;
	if (rd_u64(w, type + (__u64)w->L.type_tp_name, &name) != 0 || !name ||
	    rd(w, name, tp_name, 5) != 0 || memcmp(tp_name, "code", 5) != 0)
		return false;
	w->code_type = type;
	return true;
}

static void read_linetable(struct bw_pywalk *w, __u64 bytes, struct code *c)
{
	__u8 head[64];
	__s64 size;

	if (!ptr_ok(bytes) || (size_t)w->L.bytes_ob_sval > sizeof(head) ||
	    rd(w, bytes, head, (size_t)w->L.bytes_ob_sval) != 0)
		return;
	memcpy(&size, head + w->L.bytes_ob_size, sizeof(size));
	if (size <= 0 || size > LINETABLE_MAX)
		return;
	c->linetable = malloc((size_t)size);
	if (!c->linetable)
		return;
	if (rd(w, bytes + (__u64)w->L.bytes_ob_sval, c->linetable, (size_t)size) != 0) {
		free(c->linetable);
		c->linetable = NULL;
		return;
	}
	c->linetable_len = (__u32)size;
}

static void fill_code(struct bw_pywalk *w, struct code *c)
{
	const struct bw_pylayout *L = &w->L;
	size_t head_len = (size_t)L->code_code_adaptive;
	__u8 head[CODE_HEAD_MAX];

	/* One read for the fields up to the bytecode, the type among them. */
	if (head_len > sizeof(head) || head_len < (size_t)L->ob_type + 8 ||
	    rd(w, c->addr, head, head_len) != 0 || !is_code_type(w, get_u64(head, L->ob_type)))
		return;
	c->valid = true;
	c->firstlineno = get_s32(head, L->code_firstlineno);
	c->name = read_str(w, get_u64(head, L->code_name));
	c->qualname = read_str(w, get_u64(head, L->code_qualname));
	c->file = read_str(w, get_u64(head, L->code_filename));
	read_linetable(w, get_u64(head, L->code_linetable), c);
}

/* Forgets the code objects read, keeping the table's slots for the next scan. */
static void clear_codes(struct bw_pywalk *w)
{
	struct code *c;
	size_t it = 0;
	__u64 addr;

	while (bw_hashmap__next(w->codes, &it, &addr, (void **)&c)) {
		free(c->name);
		free(c->qualname);
		free(c->file);
		free(c->linetable);
	}
	bw_hashmap__clear(w->codes);
}

/* The cached code object at addr, read on first sight; NULL only on -ENOMEM. */
static struct code *code_at(struct bw_pywalk *w, __u64 addr)
{
	struct code *c;
	int added = bw_hashmap__insert(w->codes, addr, (void **)&c);

	if (added < 0)
		return NULL;
	if (added) {
		c->addr = addr;
		fill_code(w, c);
	}
	return c;
}

/* The innermost frame of a thread state (head: its fields read at once): 3.13+ directly,
 * 3.11-3.12 through its cframe. */
static int first_frame(struct bw_pywalk *w, const __u8 *head, __u64 *frame)
{
	__u64 cframe;

	if (w->L.tstate_current_frame >= 0) {
		*frame = get_u64(head, w->L.tstate_current_frame);
		return 0;
	}
	cframe = get_u64(head, w->L.tstate_cframe);
	if (!cframe) {
		*frame = 0;
		return 0;
	}
	if (!ptr_ok(cframe))
		return -EFAULT;
	return rd_u64(w, cframe + (__u64)w->L.cframe_current_frame, frame);
}

/*
 * The last frame kept opened its activation (shim: the address of the shim
 * frame under it, 0 on 3.11); none kept since the last one: flagged.
 */
static void mark_entry(struct bw_pywalk *w, __u32 n, struct bw_pythread *t, __u64 shim)
{
	if (n && !w->scratch[n - 1].entry) {
		w->scratch[n - 1].entry = 1;
		w->scratch[n - 1].shim = shim;
	} else {
		t->flags |= BW_PYTHREAD_EMPTY_ACTIVATION;
	}
}

static int walk_frames(struct bw_pywalk *w, __u64 frame, struct bw_pythread *t)
{
	const struct bw_pylayout *L = &w->L;
	__u8 buf[256];
	__u32 n = 0, hops = 0;

	if (L->frame_size > sizeof(buf))
		return -EINVAL;
	w->page_addr = 0; /* another thread's frames: read afresh */
	while (frame) {
		struct bw_pyframe *f;
		struct code *c;
		__u64 code, ip, here = frame;
		__s64 addr;
		__u8 owner;

		/* Shims count towards the bound too: a cycle of them ends here. */
		if (n >= BW_PY_FRAMES_MAX || ++hops > 2 * BW_PY_FRAMES_MAX) {
			t->flags |= BW_PYTHREAD_TRUNCATED;
			break;
		}
		if (!ptr_ok(frame) || rd_frame(w, frame, buf, L->frame_size) != 0) {
			t->flags |= BW_PYTHREAD_TORN;
			break;
		}
		owner = buf[L->frame_owner];
		frame = get_u64(buf, L->frame_previous);
		if (owner >= L->owner_shim_min) {
			/* The shim under an activation's first frame: that frame opened it. */
			mark_entry(w, n, t, here);
			continue;
		}
		code = get_u64(buf, L->frame_executable) & ~(__u64)L->frame_executable_tag;
		if (!ptr_ok(code)) {
			t->flags |= BW_PYTHREAD_TORN;
			break;
		}
		c = code_at(w, code);
		if (!c)
			return -ENOMEM;
		if (!c->valid) {
			/* Not a code object: nothing Python ran there; an entry still splits. */
			if (L->frame_is_entry >= 0 && buf[L->frame_is_entry])
				mark_entry(w, n, t, 0);
			continue;
		}
		ip = get_u64(buf, L->frame_instr_ptr);
		addr = (__s64)(ip - (code + (__u64)L->code_code_adaptive));
		f = &w->scratch[n++];
		f->code = code;
		f->entry = L->frame_is_entry >= 0 && buf[L->frame_is_entry];
		f->shim = 0;
		f->name = c->name ? c->name : unknown;
		f->qualname = c->qualname ? c->qualname : f->name;
		f->file = c->file ? c->file : unknown;
		f->firstlineno = c->firstlineno;
		/* Before the first instruction, CPython says the first line (PyCode_Addr2Line). */
		if (addr < 0)
			f->line = c->firstlineno >= 0 ? c->firstlineno : -1;
		else if (c->linetable)
			f->line = bw_pylinetable__line(c->linetable, c->linetable_len,
						       c->firstlineno, (__u64)addr);
		else
			f->line = -1;
	}
	t->nframes = n;
	if (!n)
		return 0;
	t->frames = malloc(n * sizeof(*t->frames));
	if (!t->frames)
		return -ENOMEM;
	memcpy(t->frames, w->scratch, n * sizeof(*t->frames));
	return 0;
}

static int push_thread(struct bw_pythread **arr, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		struct bw_pythread *na = realloc(*arr, nc * sizeof(*na));

		if (!na)
			return -ENOMEM;
		*arr = na;
		*cap = nc;
	}
	memset(&(*arr)[*n], 0, sizeof(**arr));
	(*n)++;
	return 0;
}

static int walk_interp(struct bw_pywalk *w, __u64 interp, struct bw_pythread **arr, size_t *n,
		       size_t *cap)
{
	const struct bw_pylayout *L = &w->L;
	__s32 last = L->tstate_next;
	__u64 tstate, id = 0;
	__u8 head[TSTATE_HEAD_MAX];
	size_t count = 0;
	int err;

	/* The fields of a thread state used here, read in one go. */
	last = last > L->tstate_thread_id ? last : L->tstate_thread_id;
	last = last > L->tstate_native_thread_id ? last : L->tstate_native_thread_id;
	last = last > L->tstate_cframe ? last : L->tstate_cframe;
	last = last > L->tstate_current_frame ? last : L->tstate_current_frame;
	if (last < 0 || (size_t)last + 8 > sizeof(head))
		return -EINVAL;
	if (rd_u64(w, interp + (__u64)L->interp_threads_head, &tstate) != 0)
		return -EFAULT;
	if (L->interp_id >= 0)
		rd_u64(w, interp + (__u64)L->interp_id, &id);
	while (tstate && count++ < BW_PY_THREADS_MAX && *n < BW_PY_THREADS_MAX) {
		struct bw_pythread *t;
		__u64 frame = 0, next;

		if (!ptr_ok(tstate) || rd(w, tstate, head, (size_t)last + 8) != 0)
			break; /* a torn list: the threads seen so far stand */
		next = get_u64(head, L->tstate_next);
		err = push_thread(arr, n, cap);
		if (err)
			return err;
		t = &(*arr)[*n - 1];
		t->tstate = tstate;
		t->interp_id = (__s64)id;
		t->thread_id = get_u64(head, L->tstate_thread_id);
		t->native_tid = get_u64(head, L->tstate_native_thread_id);
		if (first_frame(w, head, &frame) != 0)
			t->flags |= BW_PYTHREAD_TORN;
		else if ((err = walk_frames(w, frame, t)) != 0)
			return err;
		tstate = next;
	}
	return 0;
}

void bw_pywalk__free_threads(struct bw_pythread *threads, size_t n)
{
	size_t i;

	for (i = 0; threads && i < n; i++)
		free(threads[i].frames);
	free(threads);
}

int bw_pywalk__threads(struct bw_pywalk *w, __u64 runtime, struct bw_pythread **out, size_t *n)
{
	struct bw_pythread *arr = NULL;
	size_t cap = 0, count = 0, ninterp = 0;
	__u64 interp;
	int err = 0;

	*out = NULL;
	*n = 0;
	clear_codes(w);
	w->code_type = 0;
	if (rd_u64(w, runtime + (__u64)w->L.runtime_interpreters_head, &interp) != 0 ||
	    !ptr_ok(interp))
		return -EFAULT;
	while (interp && ninterp++ < BW_PY_INTERPS_MAX) {
		__u64 next;

		if (!ptr_ok(interp) || rd_u64(w, interp + (__u64)w->L.interp_next, &next) != 0)
			break;
		err = walk_interp(w, interp, &arr, &count, &cap);
		if (err)
			goto cleanup;
		interp = next;
	}
cleanup:
	if (err) {
		bw_pywalk__free_threads(arr, count);
		return err;
	}
	*out = arr;
	*n = count;
	return 0;
}

void bw_pywalk__free(struct bw_pywalk *w)
{
	if (!w)
		return;
	clear_codes(w);
	bw_hashmap__free(w->codes);
	free(w->scratch);
	free(w);
}
