/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A live CPython process: finds the interpreter in it and reads the Python
 * frames of its threads (pywalk). The interpreter is the executable itself
 * (python3.X, statically linked with its runtime) or a libpython3.X.so it
 * maps (a dynamically linked python3.X, or a program that embeds Python);
 * its file is read through /proc/PID/map_files (or /proc/PID/root), so
 * deleted and containerised binaries work, its load bias from
 * /proc/PID/maps. Memory is read with platform/memread.
 */
#ifndef BW_PYPROC_H
#define BW_PYPROC_H

#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>
#include "platform/memread.h"
#include "python/pybin.h"
#include "python/pywalk.h"

struct bw_pyproc;

struct bw_pyproc_info {
	__u32 version_hex;   /* 0 when not even the version is known */
	__u32 layout_source; /* BW_PYLAYOUT_*, 0 without a layout */
	__u32 runtime_from;  /* enum bw_pybin_source */
	__u64 runtime;	     /* live address of _PyRuntime */
	__u64 bias;	     /* load bias of the binary that holds it */
	char binary[512];    /* its path as the process maps it */
	char debug_file[512];
};

struct bw_pyproc_opts {
	/* Folders holding .build-id/ debug files, NULL-terminated; NULL: /usr/lib/debug. */
	const char *const *debug_roots;
	/* BW_PYBIN_SKIP() of the sources of _PyRuntime not to use (tests of the fallbacks). */
	unsigned int skip;
};

/*
 * 0 with *out ready to read threads, or a negative errno: -ENOENT when the
 * process holds no CPython runtime (not Python), -ENOTSUP when its version
 * has no known layout (its C frames are all there is; *out is still set so
 * the version can be said, and bw_pyproc__threads fails with -ENOTSUP),
 * -ESRCH, -EACCES, -EFAULT when its runtime cannot be read. mem is the
 * caller's and must outlive the result. opts may be NULL.
 */
int bw_pyproc__open(pid_t pid, struct bw_mem *mem, const struct bw_pyproc_opts *opts,
		    struct bw_pyproc **out);
const struct bw_pyproc_info *bw_pyproc__info(const struct bw_pyproc *pp);
/* Every thread's Python frames now (see bw_pywalk__threads); strings live until the next call. */
int bw_pyproc__threads(struct bw_pyproc *pp, struct bw_pythread **out, size_t *n);
void bw_pyproc__free(struct bw_pyproc *pp);

/* One /proc/PID/maps line: 0, or -EINVAL. path is "" for an anonymous mapping. Pure. */
int bw_pyproc__parse_maps_line(const char *line, __u64 *start, __u64 *end, __u64 *off, char *path,
			       size_t path_len);
/* "3.11" in a path such as /usr/bin/python3.11 or libpython3.13.so.1.0: 0x030b0000, or 0. Pure. */
__u32 bw_pyproc__version_from_name(const char *path);

#endif
