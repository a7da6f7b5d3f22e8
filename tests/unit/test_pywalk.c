// SPDX-License-Identifier: GPL-2.0
/*
 * bw_pywalk over a synthetic CPython 3.11 address space (the table layout):
 * thread states, frames, code objects and strings laid out by hand, then
 * the walk's answers, its shims and non-code frames skipped, and its bounds
 * on torn memory: an unmapped frame, a frame cycle, a thread list cycle, a
 * misaligned pointer, an unreadable runtime. Also the str decoder, the
 * /proc/PID/maps parser, the version from a file name, and bw_pybin's
 * sources of _PyRuntime agreeing on the system's python3.11.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "python/pybin.h"
#include "python/pyproc.h"
#include "python/pyversions.h"
#include "python/pywalk.h"

#define BASE 0x10000000ULL
#define SPACE (1u << 20)

struct space {
	__u8 *mem;
	__u64 next;
	unsigned int reads;
};

static struct space sp;
static const struct bw_pylayout *L;

static int space_read(void *ctx, __u64 addr, void *buf, size_t len)
{
	struct space *s = ctx;

	s->reads++;
	if (addr < BASE || addr + len > BASE + SPACE || addr + len < addr)
		return -EFAULT;
	memcpy(buf, s->mem + (addr - BASE), len);
	return 0;
}

static __u64 alloc(size_t len)
{
	__u64 a = sp.next;

	sp.next += (len + 15) & ~15ULL;
	cr_assert_leq(sp.next, BASE + SPACE);
	return a;
}

static void put(__u64 addr, const void *v, size_t len)
{
	memcpy(sp.mem + (addr - BASE), v, len);
}

static void put64(__u64 addr, __u64 v)
{
	put(addr, &v, 8);
}

static void put32(__u64 addr, __u32 v)
{
	put(addr, &v, 4);
}

/* A compact str: kind 1 (ASCII or Latin-1), 2 or 4. */
static __u64 str_obj(const void *chars, size_t n, unsigned int kind, int ascii)
{
	size_t hdr = ascii ? L->unicode_ascii_size : L->unicode_compact_size;
	__u64 a = alloc(hdr + (n + 1) * kind);

	put32(a + (__u64)L->unicode_state, kind << 2 | 1u << 5 | (ascii ? 1u << 6 : 0));
	put64(a + (__u64)L->unicode_length, n);
	put(a + hdr, chars, n * kind);
	return a;
}

static __u64 str(const char *s)
{
	return str_obj(s, strlen(s), 1, 1);
}

static __u64 code_type, other_type;

static __u64 type_obj(const char *name)
{
	__u64 t = alloc(64), n = alloc(strlen(name) + 1);

	put(n, name, strlen(name) + 1);
	put64(t + (__u64)L->type_tp_name, n);
	return t;
}

/* A code object whose location table says: units 0-1 line first, units 2-3 first + 2. */
static __u64 code_obj(const char *name, const char *qualname, const char *file, int first)
{
	static const __u8 table[] = { 0xe9, 0x00, 0xe9, 0x04 };
	__u64 c = alloc((size_t)L->code_code_adaptive + 8), lt = alloc(64);

	put64(lt + (__u64)L->bytes_ob_size, sizeof(table));
	put(lt + (__u64)L->bytes_ob_sval, table, sizeof(table));
	put64(c + (__u64)L->ob_type, code_type);
	put32(c + (__u64)L->code_firstlineno, (__u32)first);
	put64(c + (__u64)L->code_name, str(name));
	put64(c + (__u64)L->code_qualname, str(qualname));
	put64(c + (__u64)L->code_filename, str(file));
	put64(c + (__u64)L->code_linetable, lt);
	return c;
}

/* A frame at code unit `unit` (negative: before the first) of code, owner kind. */
static __u64 frame(__u64 code, int unit, __u64 previous, __u8 owner)
{
	__u64 f = alloc(L->frame_size);

	put64(f + (__u64)L->frame_executable, code);
	put64(f + (__u64)L->frame_previous, previous);
	put64(f + (__u64)L->frame_instr_ptr, code + (__u64)L->code_code_adaptive + 2 * unit);
	put(f + (__u64)L->frame_owner, &owner, 1);
	return f;
}

static __u64 tstate(__u64 next, __u64 top, __u64 ident, __u64 tid)
{
	__u64 t = alloc(256), cf = alloc(32);

	put64(t + (__u64)L->tstate_next, next);
	put64(t + (__u64)L->tstate_cframe, top ? cf : 0);
	put64(cf + (__u64)L->cframe_current_frame, top);
	put64(t + (__u64)L->tstate_thread_id, ident);
	put64(t + (__u64)L->tstate_native_thread_id, tid);
	return t;
}

static __u64 runtime_with(__u64 threads)
{
	__u64 rt = alloc(128), in = alloc(128);

	put64(rt + (__u64)L->runtime_interpreters_head, in);
	put64(in + (__u64)L->interp_next, 0);
	put64(in + (__u64)L->interp_threads_head, threads);
	put64(in + (__u64)L->interp_id, 0);
	return rt;
}

static void setup(void)
{
	L = bw_pyversions__table(3, 11);
	cr_assert_not_null(L);
	sp.mem = calloc(1, SPACE);
	cr_assert_not_null(sp.mem);
	sp.next = BASE + 4096;
	sp.reads = 0;
	code_type = type_obj("code");
	other_type = type_obj("function");
}

static void teardown(void)
{
	free(sp.mem);
}

static struct bw_pywalk *walker(void)
{
	struct bw_pymem_ops ops = { .read = space_read, .ctx = &sp };
	struct bw_pywalk *w;

	cr_assert_eq(bw_pywalk__new(L, &ops, &w), 0);
	return w;
}

TestSuite(pywalk, .init = setup, .fini = teardown);

Test(pywalk, threads_frames_and_lines)
{
	__u64 run = code_obj("run", "Worker.run", "/w.py", 10);
	__u64 wait = code_obj("wait", "Event.wait", "/t.py", 600);
	__u64 notcode = alloc(64), shim, f3, f2, f1, f0, t2, t1, rt;
	struct bw_pythread *th;
	struct bw_pywalk *w = walker();
	size_t n;

	put64(notcode + (__u64)L->ob_type, other_type);
	/* Outermost to innermost: run before its first instruction, a shim, a non-code, run, wait. */
	f3 = frame(run, -1, 0, 0);
	shim = frame(run, 0, f3, 3);
	f2 = frame(notcode, 0, shim, 0);
	f1 = frame(run, 3, f2, 0);
	f0 = frame(wait, 1, f1, 1);
	t2 = tstate(0, 0, 0x7f0000000200ULL, 4243);
	t1 = tstate(t2, f0, 0x7f0000000100ULL, 4242);
	rt = runtime_with(t1);
	cr_assert_eq(bw_pywalk__threads(w, rt, &th, &n), 0);
	cr_assert_eq(n, 2);
	cr_expect_eq(th[0].native_tid, 4242);
	cr_expect_eq(th[0].thread_id, 0x7f0000000100ULL);
	cr_expect_eq(th[0].flags, 0);
	cr_assert_eq(th[0].nframes, 3);
	cr_expect_str_eq(th[0].frames[0].name, "wait");
	cr_expect_str_eq(th[0].frames[0].qualname, "Event.wait");
	cr_expect_str_eq(th[0].frames[0].file, "/t.py");
	cr_expect_eq(th[0].frames[0].line, 600);
	cr_expect_str_eq(th[0].frames[1].qualname, "Worker.run");
	cr_expect_eq(th[0].frames[1].line, 12);
	cr_expect_eq(th[0].frames[2].line, 10, "before the first instruction: co_firstlineno");
	/* One code object read once: the same strings. */
	cr_expect_eq(th[0].frames[1].name, th[0].frames[2].name);
	cr_expect_eq(th[1].native_tid, 4243);
	cr_expect_eq(th[1].nframes, 0);
	bw_pywalk__free_threads(th, n);
	bw_pywalk__free(w);
}

/*
 * Where each activation of the eval loop begins: 3.11's is_entry on the frame
 * a C call entered the loop with, a shim under it on 3.12+ (one layout takes
 * both here); a shim with no frame kept since the last boundary is flagged.
 */
Test(pywalk, activation_entries)
{
	__u64 a = code_obj("a", "a", "/a.py", 1), b = code_obj("b", "b", "/b.py", 5);
	__u64 f3, shim, f2, f1, f0, e1, e0, eshim;
	struct bw_pywalk *w = walker();
	struct bw_pythread *th;
	__u8 one = 1;
	size_t n;

	/* Outermost first: a (entry), b, [shim], a, b. */
	f3 = frame(a, 0, 0, 0);
	put(f3 + (__u64)L->frame_is_entry, &one, 1);
	f2 = frame(b, 0, f3, 0);
	shim = frame(a, 0, f2, 3);
	f1 = frame(a, 0, shim, 0);
	f0 = frame(b, 0, f1, 0);
	cr_assert_eq(bw_pywalk__threads(w, runtime_with(tstate(0, f0, 1, 2)), &th, &n), 0);
	cr_assert_eq(th[0].nframes, 4);
	cr_expect_eq(th[0].frames[0].entry, 0);
	cr_expect_eq(th[0].frames[1].entry, 1, "the frame over the shim opened its activation");
	cr_expect_eq(th[0].frames[1].shim, shim, "where its activation's C frame is");
	cr_expect_eq(th[0].frames[3].shim, 0, "3.11's is_entry has no shim");
	cr_expect_eq(th[0].frames[2].entry, 0);
	cr_expect_eq(th[0].frames[3].entry, 1, "is_entry");
	cr_expect_eq(th[0].flags, 0);
	bw_pywalk__free_threads(th, n);

	/* A shim right under an entry frame: an activation that ran nothing kept. */
	e1 = frame(a, 0, 0, 0);
	put(e1 + (__u64)L->frame_is_entry, &one, 1);
	eshim = frame(a, 0, e1, 3);
	e0 = frame(b, 0, eshim, 0);
	put(e0 + (__u64)L->frame_is_entry, &one, 1);
	cr_assert_eq(bw_pywalk__threads(w, runtime_with(tstate(0, e0, 1, 2)), &th, &n), 0);
	cr_expect(th[0].flags & BW_PYTHREAD_EMPTY_ACTIVATION);
	bw_pywalk__free_threads(th, n);
	bw_pywalk__free(w);
}

/* Frames next to each other are read a page at a time, not one read each. */
Test(pywalk, neighbour_frames_share_a_read)
{
	__u64 a = code_obj("a", "a", "/a.py", 1), prev = 0, rt;
	struct bw_pywalk *w = walker();
	struct bw_pythread *th;
	size_t n;
	int i;

	for (i = 0; i < 20; i++)
		prev = frame(a, 0, prev, 0);
	rt = runtime_with(tstate(0, prev, 1, 2));
	sp.reads = 0;
	cr_assert_eq(bw_pywalk__threads(w, rt, &th, &n), 0);
	cr_assert_eq(th[0].nframes, 20);
	cr_expect_eq(th[0].flags, 0);
	/* runtime, interpreter, thread state, one code object with its strings, a page or two */
	cr_expect_lt(sp.reads, 16, "%u reads for 20 frames", sp.reads);
	bw_pywalk__free_threads(th, n);
	bw_pywalk__free(w);
}

/* A hostile co_firstlineno before the first instruction: no line, not a negative one. */
Test(pywalk, negative_first_line_is_no_line)
{
	__u64 f0 = frame(code_obj("a", "a", "/a.py", -7), -1, 0, 0);
	struct bw_pywalk *w = walker();
	struct bw_pythread *th;
	size_t n;

	cr_assert_eq(bw_pywalk__threads(w, runtime_with(tstate(0, f0, 1, 2)), &th, &n), 0);
	cr_assert_eq(th[0].nframes, 1);
	cr_expect_eq(th[0].frames[0].line, -1);
	bw_pywalk__free_threads(th, n);
	bw_pywalk__free(w);
}

Test(pywalk, unmapped_frame_keeps_the_frames_before)
{
	__u64 run = code_obj("run", "run", "/w.py", 1);
	__u64 f1 = frame(run, 0, BASE + 2 * SPACE, 0), f0 = frame(run, 2, f1, 0);
	struct bw_pywalk *w = walker();
	struct bw_pythread *th;
	size_t n;

	cr_assert_eq(bw_pywalk__threads(w, runtime_with(tstate(0, f0, 1, 2)), &th, &n), 0);
	cr_assert_eq(n, 1);
	cr_expect_eq(th[0].nframes, 2);
	cr_expect(th[0].flags & BW_PYTHREAD_TORN);
	bw_pywalk__free_threads(th, n);
	bw_pywalk__free(w);
}

Test(pywalk, misaligned_code_pointer_is_torn)
{
	__u64 f0 = frame(code_obj("a", "a", "/a.py", 1) + 3, 0, 0, 0);
	struct bw_pywalk *w = walker();
	struct bw_pythread *th;
	size_t n;

	cr_assert_eq(bw_pywalk__threads(w, runtime_with(tstate(0, f0, 1, 2)), &th, &n), 0);
	cr_expect_eq(th[0].nframes, 0);
	cr_expect(th[0].flags & BW_PYTHREAD_TORN);
	bw_pywalk__free_threads(th, n);
	bw_pywalk__free(w);
}

Test(pywalk, frame_cycle_is_capped)
{
	__u64 f0 = frame(code_obj("spin", "spin", "/s.py", 1), 0, 0, 0);
	struct bw_pywalk *w = walker();
	struct bw_pythread *th;
	unsigned int reads;
	size_t n;

	put64(f0 + (__u64)L->frame_previous, f0);
	cr_assert_eq(bw_pywalk__threads(w, runtime_with(tstate(0, f0, 1, 2)), &th, &n), 0);
	cr_expect_eq(th[0].nframes, BW_PY_FRAMES_MAX);
	cr_expect(th[0].flags & BW_PYTHREAD_TRUNCATED);
	/* One read per frame once the code object is cached. */
	reads = sp.reads;
	cr_expect_lt(reads, BW_PY_FRAMES_MAX + 64, "%u reads", reads);
	bw_pywalk__free_threads(th, n);
	bw_pywalk__free(w);
}

Test(pywalk, thread_list_cycle_is_bounded)
{
	__u64 t = tstate(0, 0, 1, 2);
	struct bw_pywalk *w = walker();
	struct bw_pythread *th;
	size_t n;

	put64(t + (__u64)L->tstate_next, t);
	cr_assert_eq(bw_pywalk__threads(w, runtime_with(t), &th, &n), 0);
	cr_expect_eq(n, BW_PY_THREADS_MAX);
	bw_pywalk__free_threads(th, n);
	bw_pywalk__free(w);
}

Test(pywalk, unreadable_runtime)
{
	struct bw_pywalk *w = walker();
	struct bw_pythread *th;
	size_t n;

	cr_expect_eq(bw_pywalk__threads(w, BASE + 2 * SPACE, &th, &n), -EFAULT);
	cr_expect_null(th);
	cr_expect_eq(n, 0);
	bw_pywalk__free(w);
}

Test(pywalk, unicode_kinds)
{
	const __u8 latin[] = { 'c', 'a', 'f', 0xe9 };
	const __u16 ucs2[] = { 0x20ac, '1' };
	const __u32 ucs4[] = { 0x1f40d };
	char buf[64];
	size_t need;
	__u64 a;

	a = str_obj(latin, 4, 1, 0);
	cr_assert_eq(bw_pywalk__unicode(L, sp.mem + (a - BASE), 256, buf, sizeof(buf), &need), 0);
	cr_expect_str_eq(buf, "caf\xc3\xa9");
	a = str_obj(ucs2, 2, 2, 0);
	cr_assert_eq(bw_pywalk__unicode(L, sp.mem + (a - BASE), 256, buf, sizeof(buf), &need), 0);
	cr_expect_str_eq(buf, "\xe2\x82\xac"
			      "1");
	a = str_obj(ucs4, 1, 4, 0);
	cr_assert_eq(bw_pywalk__unicode(L, sp.mem + (a - BASE), 256, buf, sizeof(buf), &need), 0);
	cr_expect_str_eq(buf, "\xf0\x9f\x90\x8d");
	/* Characters past what was read: asks for more. */
	a = str("a_rather_long_name");
	cr_expect_eq(bw_pywalk__unicode(L, sp.mem + (a - BASE), L->unicode_ascii_size + 4, buf,
					sizeof(buf), &need),
		     -EAGAIN);
	cr_expect_eq(need, L->unicode_ascii_size + 18);
	/* Not compact, or a kind that does not exist. */
	put32(a + (__u64)L->unicode_state, 1u << 2);
	cr_expect_eq(bw_pywalk__unicode(L, sp.mem + (a - BASE), 256, buf, sizeof(buf), &need),
		     -EINVAL);
	put32(a + (__u64)L->unicode_state, 3u << 2 | 1u << 5);
	cr_expect_eq(bw_pywalk__unicode(L, sp.mem + (a - BASE), 256, buf, sizeof(buf), &need),
		     -EINVAL);
}

Test(pyproc, maps_lines)
{
	__u64 s, e, o;
	char path[64];

	cr_assert_eq(bw_pyproc__parse_maps_line("00400000-00452000 r-xp 00001000 08:02 173521      "
						"/usr/bin/python3.11\n",
						&s, &e, &o, path, sizeof(path)),
		     0);
	cr_expect_eq(s, 0x400000);
	cr_expect_eq(e, 0x452000);
	cr_expect_eq(o, 0x1000);
	cr_expect_str_eq(path, "/usr/bin/python3.11");
	cr_assert_eq(bw_pyproc__parse_maps_line("7ffd1000-7ffd2000 rw-p 00000000 00:00 0\n", &s, &e,
						&o, path, sizeof(path)),
		     0);
	cr_expect_str_eq(path, "");
	cr_expect_eq(bw_pyproc__parse_maps_line("garbage", &s, &e, &o, path, sizeof(path)),
		     -EINVAL);
}

Test(pyproc, version_from_name)
{
	cr_expect_eq(bw_pyproc__version_from_name("/usr/bin/python3.11"), 0x030b0000);
	cr_expect_eq(bw_pyproc__version_from_name("/x/libpython3.13.so.1.0"), 0x030d0000);
	cr_expect_eq(bw_pyproc__version_from_name("python3.14d"), 0x030e0000);
	cr_expect_eq(bw_pyproc__version_from_name("/usr/bin/perl"), 0);
}

/* .dynsym, the .PyRuntime section and the debug file name the same _PyRuntime. */
Test(pybin, sources_agree)
{
	const char *exe = "/usr/bin/python3.11";
	struct bw_pybin *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	unsigned int skip = BW_PYBIN_SKIP(BW_PYBIN_SYMTAB) | BW_PYBIN_SKIP(BW_PYBIN_DYNSYM);

	cr_assert(a && b);
	if (access(exe, R_OK) != 0) {
		free(a);
		free(b);
		cr_skip_test("no %s", exe);
	}
	cr_assert_eq(bw_pybin__read(exe, NULL, 0, a), 0);
	cr_assert_neq(a->runtime, 0);
	cr_expect_eq(bw_py_minor(a->version_hex), 11);
	cr_assert_eq(bw_pybin__read(exe, NULL, skip, b), 0);
	cr_expect_eq(b->runtime_from, BW_PYBIN_SECTION);
	cr_expect_eq(b->runtime, a->runtime);
	cr_assert_eq(bw_pybin__read(exe, NULL, skip | BW_PYBIN_SKIP(BW_PYBIN_SECTION), b), 0);
	if (b->runtime_from == BW_PYBIN_DEBUGFILE)
		cr_expect_eq(b->runtime, a->runtime);
	else
		cr_log_warn("skip: no debug file of %s (python3.11-dbg)", exe);
	/* Not Python: no runtime, no error. */
	cr_assert_eq(bw_pybin__read("/bin/sh", NULL, 0, b), 0);
	cr_expect_eq(b->runtime, 0);
	cr_expect_lt(bw_pybin__read("/nonexistent", NULL, 0, b), 0);
	free(a);
	free(b);
}
