// SPDX-License-Identifier: GPL-2.0
/*
 * Prints the Python frames of every thread of a CPython process, read from
 * its memory (user/python), in faulthandler's format plus the kernel tid and
 * the qualified name, so tests/python/check-frames.sh can compare the two:
 *
 *   python 3.11.2 layout table runtime dynsym binary /usr/bin/python3.11
 *   Thread 0x00007f0e4d3ff6c0 tid 4242 interp 0 frames 6
 *     File "/usr/lib/python3.11/threading.py", line 320 in wait [Condition.wait]
 *
 * usage: pyframes [-x SOURCE[,SOURCE...]] PID [DEBUG_ROOT...]
 * Debug roots hold .build-id/; -x leaves out sources of _PyRuntime (symtab,
 * dynsym, section, debugfile) to try the others.
 * Exit: 0, 1 on an error, 2 when PID is not Python, 3 when its version has
 * no layout. Target strings are printed as read: this is a test tool.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "platform/memread.h"
#include "python/pyproc.h"

static const char *layout_name(__u32 source)
{
	switch (source) {
	case BW_PYLAYOUT_TABLE:
		return "table";
	case BW_PYLAYOUT_DEBUG_OFFSETS:
		return "debug_offsets";
	default:
		return "none";
	}
}

static void print_version(__u32 hex)
{
	printf("python %u.%u.%u", hex >> 24, (hex >> 16) & 0xff, (hex >> 8) & 0xff);
}

int main(int argc, char **argv)
{
	const char *roots[16] = { "/usr/lib/debug" };
	struct bw_pyproc_opts opts = { .debug_roots = roots };
	const struct bw_pyproc_info *info;
	struct bw_pythread *threads = NULL;
	struct bw_pyproc *pp = NULL;
	struct bw_mem *mem = NULL;
	struct timespec t0, t1;
	size_t n = 0, i, nframes = 0;
	int err, rc = 1, r;
	pid_t pid;

	if (argc > 2 && strcmp(argv[1], "-x") == 0) {
		for (r = BW_PYBIN_SYMTAB; r <= BW_PYBIN_DEBUGFILE; r++)
			if (strstr(argv[2], bw_pybin__source_name((__u32)r)))
				opts.skip |= BW_PYBIN_SKIP(r);
		argv += 2;
		argc -= 2;
	}
	if (argc < 2 || argc > 15) {
		fprintf(stderr, "usage: pyframes [-x SOURCE[,SOURCE...]] PID [DEBUG_ROOT...]\n");
		return 1;
	}
	pid = (pid_t)strtol(argv[1], NULL, 10);
	for (r = 2; r < argc; r++)
		roots[r - 1] = argv[r];
	err = bw_mem__open(pid, &mem);
	if (err) {
		fprintf(stderr, "pyframes: failed to open memory of %d: %s\n", (int)pid,
			strerror(-err));
		goto cleanup;
	}
	err = bw_pyproc__open(pid, mem, &opts, &pp);
	if (err == -ENOENT) {
		fprintf(stderr, "pyframes: %d is not a Python process\n", (int)pid);
		rc = 2;
		goto cleanup;
	}
	if (err == -ENOTSUP) {
		info = bw_pyproc__info(pp);
		print_version(info->version_hex);
		printf(" layout none binary %s\n", info->binary);
		fprintf(stderr,
			"pyframes: python %u.%u: no layout for this version (C frames only)\n",
			info->version_hex >> 24, (info->version_hex >> 16) & 0xff);
		rc = 3;
		goto cleanup;
	}
	if (err) {
		fprintf(stderr, "pyframes: failed to find the interpreter of %d: %s\n", (int)pid,
			strerror(-err));
		goto cleanup;
	}
	info = bw_pyproc__info(pp);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = bw_pyproc__threads(pp, &threads, &n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err) {
		fprintf(stderr, "pyframes: failed to read the threads of %d: %s\n", (int)pid,
			strerror(-err));
		goto cleanup;
	}
	print_version(info->version_hex);
	printf(" layout %s runtime %s binary %s\n", layout_name(info->layout_source),
	       bw_pybin__source_name(info->runtime_from), info->binary);
	for (i = 0; i < n; i++) {
		const struct bw_pythread *t = &threads[i];
		__u32 f;

		printf("Thread 0x%016llx tid %llu interp %lld frames %u%s%s\n",
		       (unsigned long long)t->thread_id, (unsigned long long)t->native_tid,
		       (long long)t->interp_id, t->nframes,
		       t->flags & BW_PYTHREAD_TORN ? " torn" : "",
		       t->flags & BW_PYTHREAD_TRUNCATED ? " truncated" : "");
		for (f = 0; f < t->nframes; f++) {
			const struct bw_pyframe *fr = &t->frames[f];

			if (fr->line >= 0)
				printf("  File \"%s\", line %d in %s [%s]\n", fr->file, fr->line,
				       fr->name, fr->qualname);
			else
				printf("  File \"%s\", line ??? in %s [%s]\n", fr->file, fr->name,
				       fr->qualname);
		}
		nframes += t->nframes;
	}
	fprintf(stderr, "pyframes: %zu threads, %zu frames in %.3f ms\n", n, nframes,
		(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	rc = 0;
cleanup:
	bw_pywalk__free_threads(threads, n);
	bw_pyproc__free(pp);
	bw_mem__free(mem);
	return rc;
}
