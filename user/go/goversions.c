// SPDX-License-Identifier: GPL-2.0
/* Per-version facts of the Go runtime (linux/amd64): see goversions.h. */
#include <errno.h>
#include <stddef.h>
#include "go/goversions.h"

/* ---- wait reasons ----------------------------------------------------------- */

/* Per-version tables, from each version's runtime/runtime2.go (Debian's sources; 1.27 has 1.26's). */
/* clang-format off */
static const char *const wr_119[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)",
	"dumping heap", "garbage collection", "garbage collection scan", "panicwait", "select",
	"select (no cases)", "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep", "sync.Cond.Wait",
	"timer goroutine (idle)", "trace reader (blocked)", "wait for GC cycle",
	"GC worker (idle)", "preempted", "debug call", NULL,
};

/* 1.22 appends to it, 1.24 inserts sync.WaitGroup.Wait at 24, 1.25 and 1.26 reorder. */
static const char *const wr_121[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)",
	"dumping heap", "garbage collection", "garbage collection scan", "panicwait", "select",
	"select (no cases)", "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep", "sync.Cond.Wait",
	"sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock", "trace reader (blocked)",
	"wait for GC cycle", "GC worker (idle)", "GC worker (active)", "preempted", "debug call",
	"GC mark termination", "stopping the world", NULL,
};

static const char *const wr_122[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)",
	"dumping heap", "garbage collection", "garbage collection scan", "panicwait", "select",
	"select (no cases)", "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep", "sync.Cond.Wait",
	"sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock", "trace reader (blocked)",
	"wait for GC cycle", "GC worker (idle)", "GC worker (active)", "preempted", "debug call",
	"GC mark termination", "stopping the world", "flushing proc caches",
	"trace goroutine status", "trace proc status", "page trace flush", "coroutine",
	"GC weak to strong wait" /* 1.23 */, NULL,
};

static const char *const wr_124[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)",
	"dumping heap", "garbage collection", "garbage collection scan", "panicwait", "select",
	"select (no cases)", "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep", "sync.Cond.Wait",
	"sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock", "sync.WaitGroup.Wait",
	"trace reader (blocked)", "wait for GC cycle", "GC worker (idle)", "GC worker (active)",
	"preempted", "debug call", "GC mark termination", "stopping the world",
	"flushing proc caches", "trace goroutine status", "trace proc status", "page trace flush",
	"coroutine", "GC weak to strong wait", "synctest.Run", "synctest.Wait",
	"chan receive (synctest)", "chan send (synctest)", "select (synctest)", NULL,
};

static const char *const wr_125[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)",
	"dumping heap", "garbage collection", "garbage collection scan", "panicwait", "select",
	"select (no cases)", "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "GOMAXPROCS updater (idle)",
	"semacquire", "sleep", "sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock",
	"sync.RWMutex.Lock", "sync.WaitGroup.Wait", "trace reader (blocked)", "wait for GC cycle",
	"GC worker (idle)", "GC worker (active)", "preempted", "debug call", "GC mark termination",
	"stopping the world", "flushing proc caches", "trace goroutine status",
	"trace proc status", "page trace flush", "coroutine", "GC weak to strong wait",
	"synctest.Run", "synctest.Wait", "chan receive (durable)", "chan send (durable)",
	"select (durable)", "sync.WaitGroup.Wait (durable)", "cleanup wait", NULL,
};

static const char *const wr_126[] = {
	"", "GC assist marking", "IO wait", "dumping heap", "garbage collection",
	"garbage collection scan", "panicwait", "GC assist wait", "GC sweep wait",
	"GC scavenge wait", "finalizer wait", "force gc (idle)", "GOMAXPROCS updater (idle)",
	"semacquire", "sleep", "chan receive (nil chan)", "chan send (nil chan)",
	"select (no cases)", "select", "chan receive", "chan send", "sync.Cond.Wait",
	"sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock", "sync.WaitGroup.Wait",
	"trace reader (blocked)", "wait for GC cycle", "GC worker (idle)", "GC worker (active)",
	"preempted", "debug call", "GC mark termination", "stopping the world",
	"flushing proc caches", "trace goroutine status", "trace proc status", "page trace flush",
	"coroutine", "GC weak to strong wait", "synctest.Run", "synctest.Wait",
	"chan receive (durable)", "chan send (durable)", "select (durable)",
	"sync.WaitGroup.Wait (durable)", "cleanup wait", NULL,
};

static const struct {
	__u32 minor_lo, minor_hi, count;
	const char *const *names;
} wr_tables[] = {
	{ 17, 19, 27, wr_119 }, { 21, 21, 32, wr_121 }, { 22, 22, 37, wr_122 },
	{ 23, 23, 38, wr_122 }, { 24, 24, 44, wr_124 }, { 25, 25, 47, wr_125 },
	{ 26, 27, 47, wr_126 },
};
/* clang-format on */

int bw_goversion_wait_reasons(__u32 major, __u32 minor, const char *const **names, __u32 *count)
{
	size_t t;

	if (major != 1)
		return -ENOENT;
	for (t = 0; t < sizeof(wr_tables) / sizeof(wr_tables[0]); t++) {
		if (minor < wr_tables[t].minor_lo || minor > wr_tables[t].minor_hi)
			continue;
		*names = wr_tables[t].names;
		*count = wr_tables[t].count;
		return 0;
	}
	return -ENOENT;
}

/* ---- runtime.g layout -------------------------------------------------------- */

/*
 * Per-version offsets, measured from the DWARF of Debian's toolchains (1.19,
 * 1.21-1.27; the tests compare them again) and taken from GO-RUNTIME.md for
 * 1.17, 1.18 and 1.20, where m.alllink was not measured (-1) and g.trackingSeq
 * is assumed to sit where 1.19 has it (the fields before it did not move). In all of them
 * g.stack is at 0, g.m at 48, g.sched at 56, gobuf.sp/pc at 0/8.
 */
/* NOLINTBEGIN(bugprone-macro-parentheses): each argument is a whole initializer */
#define LAYOUT(lo, hi, size, st, goid, ws, wr, pgoid, gopc, startpc, waiting, bp, procid, curg,    \
	       alllink, c, issel, track)                                                           \
	{                                                                                          \
		lo, hi,                                                                            \
		{                                                                                  \
			.g_size = size, .g_stack_lo = 0, .g_stack_hi = 8, .g_m = 48,               \
			.g_sched = 56, .g_atomicstatus = st, .g_goid = goid, .g_waitsince = ws,    \
			.g_waitreason = wr, .g_parent_goid = pgoid, .g_gopc = gopc,                \
			.g_startpc = startpc, .g_waiting = waiting, .gobuf_sp = 0, .gobuf_pc = 8,  \
			.gobuf_bp = bp, .m_procid = procid, .m_curg = curg, .m_alllink = alllink,  \
			.sudog_c = c, .sudog_is_select = issel, .g_tracking_seq = track            \
		}                                                                                  \
	}
/* NOLINTEND(bugprone-macro-parentheses) */

static const struct {
	__u32 minor_lo, minor_hi;
	struct bw_golayout l;
} layouts[] = {
	LAYOUT(17, 18, 392, 144, 152, 168, 176, -1, 296, 312, 328, 48, 72, 192, -1, 80, 52, 189),
	LAYOUT(19, 19, 392, 144, 152, 168, 176, -1, 296, 312, 328, 48, 72, 192, 336, 80, 52, 189),
	LAYOUT(20, 20, 392, 144, 152, 168, 176, -1, 296, 312, 328, 48, 72, 192, -1, 80, 52, 189),
	LAYOUT(21, 21, 408, 144, 152, 168, 176, 272, 280, 296, 312, 48, 72, 192, 336, 80, 52, 188),
	LAYOUT(22, 22, 424, 144, 152, 168, 176, 272, 280, 296, 312, 48, 72, 192, 328, 80, 52, 191),
	LAYOUT(23, 24, 0, 152, 160, 176, 184, 280, 288, 304, 320, 48, 72, 192, 328, 80, 52, 199),
	LAYOUT(25, 25, 440, 144, 152, 168, 176, 272, 280, 296, 312, 40, 64, 184, 344, 80, 52, 191),
	LAYOUT(26, 27, 456, 144, 152, 168, 176, 280, 288, 304, 320, 40, 64, 184, 352, 88, 60, 191),
};

int bw_goversion_layout(__u32 major, __u32 minor, struct bw_golayout *out)
{
	size_t i;

	if (major != 1)
		return -ENOENT;
	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		if (minor < layouts[i].minor_lo || minor > layouts[i].minor_hi)
			continue;
		*out = layouts[i].l;
		out->source = BW_GOLAYOUT_TABLE;
		out->mheap_arenas = out->heaparena_spans = -1;
		out->mspan_startaddr = out->mspan_elemsize = -1;
		out->mspan_npages = out->mspan_spanclass = out->mspan_largetype = -1;
		/* g.syscallsp/pc follow g.sched, a gobuf that ends with bp (DWARF 1.19-1.27). */
		out->g_syscallsp = out->g_sched + out->gobuf_bp + 8;
		out->g_syscallpc = out->g_syscallsp + 8;
		out->gobuf_ctxt = 24;
		/* sudog.waitlink sits 16 bytes before c in every version (1.19-1.26 DWARF). */
		out->sudog_waitlink = out->sudog_c - 16;
		if (!out->g_size) /* 1.23 and 1.24 differ only in size */
			out->g_size = minor == 23 ? 432 : 440;
		return bw_goversion_moduledata(major, minor, out);
	}
	return -ENOENT;
}

/*
 * runtime.moduledata, from each version's runtime/symtab.go (checked against
 * the DWARF of the fixtures): data..ebss sit at 208..232 since 1.16; 1.20
 * added covctrs/ecovctrs before end, 1.27 typedesclen after types and
 * itaboffset/itabsize before rodata.
 */
int bw_goversion_moduledata(__u32 major, __u32 minor, struct bw_golayout *out)
{
	__s32 end;

	if (major != 1 || minor < 16)
		return -ENOENT;
	out->md_data = 208;
	out->md_edata = 216;
	out->md_bss = 224;
	out->md_ebss = 232;
	end = minor < 20 ? 256 : 272;
	out->md_gcdata = end + 8;
	out->md_gcbss = end + 16;
	out->md_types = end + 24;
	out->md_rodata = minor < 27 ? end + 40 : end + 64;
	out->md_gofunc = out->md_rodata + 8;
	if (minor < 18) /* 1.16-1.17: no gofunc (funcdata are pointers) */
		out->md_gofunc = -1;
	return 0;
}

/* ---- finalizers and cleanups ----------------------------------------------------- */

int bw_goversion_specials(__u32 major, __u32 minor, struct bw_gospecials *out)
{
	if (major != 1 || minor < 19 || minor == 20 || minor > 27)
		return -ENOENT;
	*out = (struct bw_gospecials){
		.arena_page_specials = minor == 19   ? 2164736
				       : minor == 21 ? 1132544
						     : 67584,
		.mspan_specials = minor == 21 ? 136 : 128,
		.special_offset = 8,
		.special_offset_size = minor < 24 ? 2 : 8,
		.special_kind = minor < 24 ? 10 : 16,
		.kind_finalizer = minor < 25 ? 1 : 2,
		.kind_cleanup = minor < 24    ? 0
				: minor == 24 ? 6
					      : 7,
		.finalizer_fn = minor < 24 ? 16 : 24,
		.cleanup_ptrs = 24,
		.cleanup_nptrs = minor < 26 ? 1 : 3,
		.finblock_cnt = 16,
		.finblock_fin = 24,
		.finalizer_size = 40,
		.cleanupq_all = minor < 25 ? -1 : 128,
		.cleanupblock_alllink = 16,
		.cleanupblock_n = 24,
		.cleanupblock_cleanups = 32,
		.cleanup_entry_size = minor < 26 ? 8 : 24,
	};
	return 0;
}

/*
 * The heap metadata offsets (mheap.arenas, heapArena.spans, mspan.startAddr
 * and elemsize) by Go minor version, as the DWARF of linux/amd64 builds of
 * each version says (1.19, 1.21-1.27).
 */
int bw_goversion_heap(__u32 major, __u32 minor, struct bw_golayout *out)
{
	if (major != 1 || minor < 19 || minor > 27 || minor == 20)
		return -ENOENT;
	out->mspan_startaddr = 24;
	out->mspan_elemsize = minor == 21 ? 112 : 104;
	out->mheap_arenas = minor == 19 ? 65936 : minor == 21 ? 65944 : 66008;
	out->heaparena_spans = minor == 19 ? 2097152 : minor == 21 ? 1064960 : 0;
	return 0;
}

/*
 * p.timers by Go minor version, measured from the DWARF of linux/amd64
 * builds (a slice of *timer up to 1.22, a timers struct after).
 */
__s32 bw_goversion_p_timers(__u32 major, __u32 minor)
{
	if (major != 1)
		return -1;
	switch (minor) {
	case 19:
	case 20:
	case 21:
	case 23:
	case 24:
		return 8840;
	case 22:
		return 8872;
	case 25:
		return 9392;
	case 26:
	case 27:
		return 13672;
	default:
		return -1;
	}
}
