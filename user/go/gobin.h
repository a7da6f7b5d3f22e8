/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reader for Go executables (ELF, linux/amd64, Go 1.16+): pure file parsing
 * with libelf and libdw, no process access. Everything a goroutine walker
 * needs to know about a target before it reads the target's memory:
 *
 *  - the Go version, from .go.buildinfo (both the pre-1.18 pointer format and
 *    the 1.18+ inline format);
 *  - pc -> function, file, line from the pclntab (magics 0xfffffffa 1.16-1.17,
 *    0xfffffff0 1.18-1.19, 0xfffffff1 1.20+), inlined frames expanded;
 *  - the addresses of runtime.allgs, allglen, allm, waitReasonStrings,
 *    buildVersion, also in stripped binaries (recovered from code and data);
 *  - the runtime.g / m / gobuf / sudog field offsets, from DWARF or a
 *    per-version table;
 *  - the wait reason names, from the binary's own runtime.waitReasonStrings.
 *
 * Stripped (-ldflags='-s -w'), PIE (-buildmode=pie) and externally linked
 * (cgo) binaries are handled; tested on Go 1.19 and 1.21-1.27 (the 1.16-1.17
 * layout, magic 0xfffffffa with absolute entry and funcdata pointers, follows
 * the Go sources untested). All addresses are link-time virtual addresses:
 * for a PIE process, subtract the load bias from runtime pcs before asking,
 * and add it to the data addresses returned.
 *
 * The file is untrusted: every offset and length read from it is checked
 * against the mapped image. Strings returned (function and file names, wait
 * reasons, the version) point into the reader's memory, stay valid until
 * bw_gobin__free(), and are target-controlled: escape them on output.
 */
#ifndef BW_GOBIN_H
#define BW_GOBIN_H

#include <linux/types.h>
#include "core/gomodel.h"

struct bw_gobin;

/* struct bw_goinfo.flags */
#define BW_GOBIN_PIE (1u << 0)	   /* ET_DYN: addresses need the load bias */
#define BW_GOBIN_SYMTAB (1u << 1)  /* has .symtab (not built with -s) */
#define BW_GOBIN_DWARF (1u << 2)   /* has the runtime types in DWARF */
#define BW_GOBIN_EXTLINK (1u << 3) /* linked by the external (C) linker: cgo */
#define BW_GOBIN_INLINE (1u << 4)  /* inline trees readable (gofunc found) */

struct bw_goinfo {
	char version[64];    /* "go1.19.8" from .go.buildinfo, "" when unknown */
	__u32 major;	     /* 1 */
	__u32 minor;	     /* 19; from the pclntab magic (16/18/20) if no version */
	__u32 patch;	     /* 8; 0 for "go1.21rc2" and such */
	__u32 pclntab_magic; /* 0xfffffffa, 0xfffffff0 or 0xfffffff1 */
	__u32 nfunc;	     /* functions in the pclntab */
	__u32 flags;	     /* BW_GOBIN_* */
	__u64 pclntab;	     /* address of the pcHeader */
	__u64 text_start;    /* runtime.text (1.18+: the base of the entry offsets) */
	__u64 moduledata;    /* runtime.firstmoduledata, 0 when not found */
	__u64 gofunc;	     /* go:func.* (base of funcdata offsets), 0 if unknown */
};

/*
 * Field offsets in bytes; -1 when the field does not exist in this version
 * (g.parentGoid before 1.21) or was not found. Types: g.atomicstatus u32,
 * g.goid u64 (s64), g.waitreason u8, g.waitsince s64 (ns), g.sched a
 * runtime.gobuf; m.procid u64 (the thread id); pointers are 8 bytes.
 */
struct bw_golayout {
	__u32 source; /* BW_GOLAYOUT_DWARF or BW_GOLAYOUT_TABLE */
	__u32 g_size;
	__s32 g_stack_lo;
	__s32 g_stack_hi;
	__s32 g_m;
	__s32 g_sched;
	__s32 g_atomicstatus;
	__s32 g_goid;
	__s32 g_waitsince;
	__s32 g_waitreason;
	__s32 g_parent_goid;
	__s32 g_gopc;
	__s32 g_startpc;
	__s32 g_waiting; /* *sudog */
	__s32 gobuf_sp;
	__s32 gobuf_pc;
	__s32 gobuf_bp;
	__s32 m_procid;
	__s32 m_curg;
	__s32 m_alllink;
	__s32 sudog_c;
	__s32 sudog_is_select;
	__s32 g_tracking_seq; /* u8, moves each time the goroutine stops running */
	__s32 sudog_waitlink; /* next sudog of a select */
	/* Heap metadata, from DWARF only (-1 otherwise): object sizes by span. */
	__s32 mheap_arenas;    /* mheap.arenas: [1]*[1<<22]*heapArena on linux/amd64 */
	__s32 heaparena_spans; /* heapArena.spans: [8192]*mspan, one per 8 KiB page */
	__s32 mspan_startaddr;
	__s32 mspan_elemsize;
	/*
	 * runtime.moduledata (firstmoduledata): the uintptr fields bounding the
	 * data and bss sections, their GC programs, rodata (base of the stack
	 * objects' gcdata offsets) and gofunc (base of funcdata offsets).
	 */
	__s32 md_data;
	__s32 md_edata;
	__s32 md_bss;
	__s32 md_ebss;
	__s32 md_gcdata;
	__s32 md_gcbss;
	__s32 md_types;
	__s32 md_rodata;
	__s32 md_gofunc;
	/*
	 * Heap bitmaps (Go 1.22+ allocation headers), mspan fields from DWARF
	 * only (-1 otherwise): npages u64, spanclass u8 (size class << 1 |
	 * noscan), largeType *_type. span_inline_marks: bytes of the Green Tea
	 * GC's spanInlineMarkBits between a small-object span's heap bits and
	 * its end (128 when runtime.scanSpan exists: 1.26+ by default, else 0).
	 */
	__s32 mspan_npages;
	__s32 mspan_spanclass;
	__s32 mspan_largetype;
	__s32 span_inline_marks;
	/*
	 * Where the GC starts a goroutine's stack walk: g.syscallsp/syscallpc
	 * when syscallsp != 0 (in a system call), else g.sched.sp/pc; and the
	 * gobuf's ctxt word (a live closure pointer the GC scans as a root).
	 */
	__s32 g_syscallsp;
	__s32 g_syscallpc;
	__s32 gobuf_ctxt;
};

#define BW_GOLAYOUT_DWARF 1
#define BW_GOLAYOUT_TABLE 2

/*
 * Opens and indexes path. 0 or a negative errno: -ENOEXEC when path is not
 * ELF or has no Go pclntab; -EOPNOTSUPP for other machines than x86-64 and
 * for Go older than 1.16 (pclntab magic 0xfffffffb); errors of open(2).
 */
int bw_gobin__open(const char *path, struct bw_gobin **out);
void bw_gobin__free(struct bw_gobin *gb);

const struct bw_goinfo *bw_gobin__info(const struct bw_gobin *gb);

/*
 * The physical function containing pc, with the source position of pc
 * itself: for code inlined from another function, file:line are those of
 * the inlined code (as `go tool addr2line` prints them) while name is the
 * physical function. -ENOENT when pc is in no Go function.
 */
int bw_gobin__func(const struct bw_gobin *gb, __u64 pc, struct bw_gofunc *out);

/*
 * The logical call chain at pc, innermost first: the inlined functions, then
 * the physical one; the file:line of each outer frame is its call site.
 * Writes at most max frames; returns how many (>= 1), or -ENOENT as above,
 * or -EINVAL for max < 1. Without inline data only the physical frame. As
 * the runtime's traceback does, ask for pc - 1 for return addresses.
 */
int bw_gobin__frames(const struct bw_gobin *gb, __u64 pc, struct bw_gofunc *out, int max);

/* The idx-th function of the pclntab (by address), idx < info->nfunc. */
int bw_gobin__func_at(const struct bw_gobin *gb, __u32 idx, struct bw_gofunc *out);

/*
 * Address (and size, 0 if unknown) of a symbol: from .symtab when present,
 * else a function entry from the pclntab, else one of the runtime data
 * symbols recovered without symbols:
 *   runtime.allgs (24) and runtime.allglen (8)  from the code of runtime.allgadd
 *   runtime.allm (8)                            from the code of runtime.mcommoninit
 *   runtime.waitReasonStrings (N * 16)          from a data scan ("GC assist marking")
 *   runtime.buildVersion (16)                   from a data scan (the version string)
 *   runtime.firstmoduledata (0)                 from a data scan (pointer to pcHeader)
 * -ENOENT when not found.
 */
int bw_gobin__lookup(const struct bw_gobin *gb, const char *name, __u64 *addr, __u64 *size);

/*
 * Writable globals that func reads as slices (base and length both
 * referenced, 8-aligned), link-time addresses, at most max: to find a
 * runtime slice without symbols, each candidate checked against memory by
 * the caller. Returns how many.
 */
size_t bw_gobin__slice_refs(const struct bw_gobin *gb, const char *func, __u64 *out, size_t max);

/* Calls fn for each .symtab symbol (none when stripped); stops at fn's first non-zero. */
int bw_gobin__foreach_symbol(const struct bw_gobin *gb,
			     int (*fn)(void *ctx, const char *name, __u64 addr, __u64 size),
			     void *ctx);

/*
 * What a stack scan needs of a function (runtime._func), as the GC's
 * unwinder reads it: see gcmap.h. flag holds BW_GOFLAG_* (0 before 1.17);
 * special tells the functions the unwinder treats apart, found by name.
 */
#define BW_GOFUNC_ARGS_UNKNOWN ((__s32)0x80000000) /* abi.ArgsSizeUnknown */
#define BW_GOFLAG_TOPFRAME 0x1			   /* the outermost frame of a stack */
#define BW_GOFLAG_SPWRITE 0x2			   /* writes SP: cannot be unwound */
#define BW_GOFLAG_ASM 0x4

enum bw_gospecial {
	BW_GOSPECIAL_NONE,
	BW_GOSPECIAL_GOEXIT,	    /* runtime.goexit: the walk ends here */
	BW_GOSPECIAL_ASYNC_PREEMPT, /* runtime.asyncPreempt: it and its caller conservative */
	BW_GOSPECIAL_SIGPANIC,	    /* runtime.sigpanic: its caller continues at deferreturn */
	BW_GOSPECIAL_DEBUG_CALL,    /* runtime.debugCallV2: conservative */
	BW_GOSPECIAL_REFLECT_CALL,  /* reflect.makeFuncStub, reflect.methodValueCall */
	BW_GOSPECIAL_COUNT,
};

struct bw_gofuncinfo {
	__u64 entry;
	__u64 end;
	__s32 args;	   /* bytes of arguments, or BW_GOFUNC_ARGS_UNKNOWN */
	__u32 deferreturn; /* offset of the deferreturn call from entry, 0 if none */
	__u8 flag;	   /* BW_GOFLAG_* */
	__u8 special;	   /* enum bw_gospecial */
	__u32 rec_npcdata; /* private: the _func record */
	__u32 rec_nfuncdata;
	__u64 rec_off;
};

/* The function containing pc (link-time). 0 or -ENOENT. */
int bw_gobin__funcinfo(const struct bw_gobin *gb, __u64 pc, struct bw_gofuncinfo *out);

/*
 * runtime.pcvalue: the value at pc of the function's pcsp table (table
 * BW_GOPC_SP: the frame size below the return address) or of its pcdata
 * table number table (1: PCDATA_StackMapIndex). -1 when the function has no
 * such table or pc is past its end.
 */
#define BW_GOPC_SP (-1)
#define BW_GOPCDATA_STACKMAPINDEX 1
__s32 bw_gobin__pcvalue(const struct bw_gobin *gb, const struct bw_gofuncinfo *f, int table,
			__u64 pc);

/* Link-time address of the function's funcdata i (FUNCDATA_*), 0 when none. */
#define BW_GOFUNCDATA_ARGSPOINTERMAPS 0
#define BW_GOFUNCDATA_LOCALSPOINTERMAPS 1
#define BW_GOFUNCDATA_STACKOBJECTS 2
__u64 bw_gobin__funcdata(const struct bw_gobin *gb, const struct bw_gofuncinfo *f, __u32 i);

/*
 * The file's bytes at link-time address va, and in *avail how many follow
 * in the same segment; NULL when va is not backed by the file (.bss, out of
 * every segment). The pointer is into the image: bound reads by *avail.
 */
const __u8 *bw_gobin__bytes(const struct bw_gobin *gb, __u64 va, __u64 *avail);

/* The module's sections and GC programs, from runtime.firstmoduledata (link-time addresses). */
struct bw_gomodule {
	__u64 data, edata; /* [data, edata): .data, scanned with the gcdata program */
	__u64 bss, ebss;   /* [bss, ebss): .bss, with the gcbss program */
	__u64 gcdata;	   /* GC program (runtime.gcdata) for the data section */
	__u64 gcbss;	   /* GC program (runtime.gcbss) */
	__u64 types;
	__u64 rodata; /* base of the stack objects' gcdataoff */
	__u64 gofunc; /* base of funcdata offsets (1.18+) */
};

/* 0, or -ENOENT when the moduledata is not found or its fields are not known. */
int bw_gobin__module(const struct bw_gobin *gb, struct bw_gomodule *out);

/* 0, or -ENOENT when the binary has no DWARF and its version is not in the table. */
int bw_gobin__layout(const struct bw_gobin *gb, struct bw_golayout *out);

/*
 * Wait reasons (g.waitreason is an index). Names come from the binary's own
 * runtime.waitReasonStrings (resolved in the file), else from a per-version
 * table (Go 1.17-1.19, 1.21-1.27; none for 1.20). bw_gobin__wait_reason()
 * returns NULL for an index out of range; index 0 is "".
 */
#define BW_GOWAIT_FILE 1
#define BW_GOWAIT_TABLE 2
/* Number of reasons known, 0 if none; *source (may be NULL) gets BW_GOWAIT_*. */
__u32 bw_gobin__nwait_reasons(const struct bw_gobin *gb, __u32 *source);
const char *bw_gobin__wait_reason(const struct bw_gobin *gb, __u32 index);
/* Index of the reason named name ("chan receive"), or -ENOENT. */
int bw_gobin__wait_reason_index(const struct bw_gobin *gb, const char *name);

#endif
