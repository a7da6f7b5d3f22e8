/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a CPython binary (a python3.X executable, statically or dynamically
 * linked, or a libpython3.X.so) says about itself, read from the file with
 * libelf, no process access:
 *  - the link-time address of _PyRuntime: from .symtab, else .dynsym (CPython
 *    exports it), else the ".PyRuntime" section it is placed in (3.11+ builds
 *    of Debian, 3.13+ upstream), else the debug file found by build-id under
 *    each debug root's .build-id/ (Debian's python3.X-dbg);
 *  - PY_VERSION_HEX, from the exported constant Py_Version (3.11+);
 *  - the first bytes of _PyRuntime as the file initialises them (3.13+:
 *    _Py_DebugOffsets, so the layout is known before the process is read);
 *  - the loadable segments, to find the load bias of a PIE or a library.
 * The file is untrusted: every offset is checked against it.
 */
#ifndef BW_PYBIN_H
#define BW_PYBIN_H

#include <stddef.h>
#include <linux/types.h>
#include "python/pyversions.h"

/* struct bw_pybin.runtime_from */
enum bw_pybin_source {
	BW_PYBIN_NONE = 0,
	BW_PYBIN_SYMTAB,
	BW_PYBIN_DYNSYM,
	BW_PYBIN_SECTION,
	BW_PYBIN_DEBUGFILE,
};

/* The `skip` mask of bw_pybin__read: sources not to use (tests of the fallbacks). */
#define BW_PYBIN_SKIP(src) (1u << (src))

#define BW_PYBIN_MAX_LOADS 16

struct bw_pyload {
	__u64 vaddr, offset, memsz;
};

struct bw_pybin {
	__u64 runtime;	    /* link-time address of _PyRuntime; 0: not a CPython binary */
	__u64 runtime_size; /* its size, 0 when only the section start is known */
	__u32 version_hex;  /* Py_Version, 0 when the binary has none */
	__u32 runtime_from; /* enum bw_pybin_source */
	int dyn;	    /* ET_DYN (PIE or library): addresses need the load bias */
	__u32 nloads;
	struct bw_pyload loads[BW_PYBIN_MAX_LOADS];
	__u8 build_id[64];
	__u32 build_id_len;
	/* The start of _PyRuntime from the file; len 0 when it is not file-backed. */
	__u8 runtime_head[BW_PY_DEBUG_OFFSETS_MAX];
	__u32 runtime_head_len;
	char debug_file[512]; /* the debug file used, "" when none */
};

/*
 * Reads path. debug_roots: NULL, or a NULL-terminated list of folders that
 * hold .build-id/ (default "/usr/lib/debug"). 0 (check out->runtime: 0 for a
 * binary without _PyRuntime), or a negative errno for an unreadable file or
 * one that is not a 64-bit ELF.
 */
int bw_pybin__read(const char *path, const char *const *debug_roots, unsigned int skip,
		   struct bw_pybin *out);

/*
 * The load bias of a binary mapped at start from file offset off (a line of
 * /proc/PID/maps): start minus the link address of that page; 0 for an
 * ET_EXEC. -ENOENT when no segment of the binary is at that offset.
 */
int bw_pybin__bias(const struct bw_pybin *bin, __u64 start, __u64 off, __u64 *bias);

/* "symtab", "dynsym", "section", "debugfile" or "none". */
const char *bw_pybin__source_name(__u32 source);

#endif
