// SPDX-License-Identifier: GPL-2.0
/* A live CPython process: its interpreter binary, layout and threads. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "python/pyproc.h"

struct bw_pyproc {
	struct bw_pyproc_info info;
	struct bw_pylayout layout;
	struct bw_mem *mem;
	struct bw_pywalk *walk; /* NULL without a layout */
};

int bw_pyproc__parse_maps_line(const char *line, __u64 *start, __u64 *end, __u64 *off, char *path,
			       size_t path_len)
{
	unsigned long long s, e, o;
	int n = 0;
	const char *p;
	size_t len;

	if (!path_len)
		return -EINVAL;
	path[0] = '\0';
	if (sscanf(line, "%llx-%llx %*4s %llx %*x:%*x %*u %n", &s, &e, &o, &n) != 3 || !n)
		return -EINVAL;
	*start = s;
	*end = e;
	*off = o;
	p = line + n;
	len = strcspn(p, "\n");
	if (len >= path_len)
		len = path_len - 1;
	memcpy(path, p, len);
	path[len] = '\0';
	return 0;
}

__u32 bw_pyproc__version_from_name(const char *path)
{
	const char *base = strrchr(path, '/');
	unsigned int minor;
	char c;

	base = base ? base + 1 : path;
	if (strncmp(base, "lib", 3) == 0)
		base += 3;
	if (sscanf(base, "python3.%u%c", &minor, &c) < 1 || minor > 255)
		return 0;
	return 0x03000000u | minor << 16;
}

static int is_libpython(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strncmp(base, "libpython3", 10) == 0 && strstr(base, ".so");
}

/* The binary that holds _PyRuntime: the executable first, then any libpython3*.so. */
static int find_binary(pid_t pid, const struct bw_pyproc_opts *opts, struct bw_pybin *bin,
		       struct bw_pyproc_info *info)
{
	char maps[64], exe[512], line[1200], path[512], file[600];
	__u64 start, end, off;
	ssize_t n;
	FILE *f;
	const char *const *roots = opts ? opts->debug_roots : NULL;
	unsigned int skip = opts ? opts->skip : 0;
	int pass, err = -ENOENT;

	snprintf(maps, sizeof(maps), "/proc/%d/exe", (int)pid);
	n = readlink(maps, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	for (pass = 0; pass < 2 && err == -ENOENT; pass++) {
		char tried[512] = "";

		f = fopen(maps, "re");
		if (!f)
			return errno ? -errno : -EIO;
		while (fgets(line, sizeof(line), f)) {
			if (bw_pyproc__parse_maps_line(line, &start, &end, &off, path,
						       sizeof(path)) != 0 ||
			    path[0] != '/')
				continue;
			if (pass == 0 ? strcmp(path, exe) != 0 : !is_libpython(path))
				continue;
			if (strcmp(path, tried) == 0)
				continue;
			snprintf(tried, sizeof(tried), "%s", path);
			/* The mapping itself: the file the process runs, even deleted or in a container. */
			snprintf(file, sizeof(file), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
				 (int)pid, (uint64_t)start, (uint64_t)end);
			if (bw_pybin__read(file, roots, skip, bin) != 0) {
				snprintf(file, sizeof(file), "/proc/%d/root%s", (int)pid, path);
				if (bw_pybin__read(file, roots, skip, bin) != 0)
					continue;
			}
			if (!bin->runtime)
				continue;
			snprintf(info->binary, sizeof(info->binary), "%s", path);
			err = 0;
			break;
		}
		fclose(f);
	}
	return err;
}

/* The load bias from the first mapping of the binary at a segment's offset. */
static int find_bias(pid_t pid, const struct bw_pybin *bin, struct bw_pyproc_info *info)
{
	char maps[64], line[1200], path[512];
	__u64 start, end, off;
	int err = -ENOENT;
	FILE *f;

	if (!bin->dyn) {
		info->bias = 0;
		return 0;
	}
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (!f)
		return errno ? -errno : -EIO;
	while (err && fgets(line, sizeof(line), f)) {
		if (bw_pyproc__parse_maps_line(line, &start, &end, &off, path, sizeof(path)) != 0 ||
		    strcmp(path, info->binary) != 0)
			continue;
		err = bw_pybin__bias(bin, start, off, &info->bias);
	}
	fclose(f);
	return err;
}

static int mem_read(void *ctx, __u64 addr, void *buf, size_t len)
{
	return bw_mem__read(ctx, addr, buf, len);
}

int bw_pyproc__open(pid_t pid, struct bw_mem *mem, const struct bw_pyproc_opts *opts,
		    struct bw_pyproc **out)
{
	struct bw_pymem_ops ops = { .read = mem_read, .ctx = mem };
	__u8 head[BW_PY_DEBUG_OFFSETS_MAX];
	struct bw_pyproc *pp = NULL;
	struct bw_pybin *bin = NULL;
	__u32 version;
	int err;

	*out = NULL;
	pp = calloc(1, sizeof(*pp));
	bin = calloc(1, sizeof(*bin));
	if (!pp || !bin) {
		err = -ENOMEM;
		goto cleanup;
	}
	pp->mem = mem;
	err = find_binary(pid, opts, bin, &pp->info);
	if (err)
		goto cleanup;
	err = find_bias(pid, bin, &pp->info);
	if (err)
		goto cleanup;
	pp->info.runtime = bin->runtime + pp->info.bias;
	pp->info.runtime_from = bin->runtime_from;
	snprintf(pp->info.debug_file, sizeof(pp->info.debug_file), "%s", bin->debug_file);
	/* The live debug offsets (3.13+); the file's copy is the same data before start-up. */
	err = bw_mem__read(mem, pp->info.runtime, head, sizeof(head));
	if (err)
		goto cleanup;
	version = bin->version_hex;
	if (!version && memcmp(head, BW_PY_DEBUG_COOKIE, 8) == 0)
		memcpy(&version, head + 8, sizeof(version));
	if (!version)
		version = bw_pyproc__version_from_name(pp->info.binary);
	pp->info.version_hex = version;
	err = bw_pyversions__layout(version, head, sizeof(head), &pp->layout);
	if (pp->layout.version_hex)
		pp->info.version_hex = pp->layout.version_hex;
	if (err == -ENOTSUP) {
		/* Said, not guessed: the caller names the version and keeps the C frames. */
		*out = pp;
		pp = NULL;
		goto cleanup;
	}
	if (err)
		goto cleanup;
	pp->info.layout_source = pp->layout.source;
	err = bw_pywalk__new(&pp->layout, &ops, &pp->walk);
	if (err)
		goto cleanup;
	*out = pp;
	pp = NULL;
cleanup:
	free(bin);
	bw_pyproc__free(pp);
	return err;
}

const struct bw_pyproc_info *bw_pyproc__info(const struct bw_pyproc *pp)
{
	return &pp->info;
}

int bw_pyproc__threads(struct bw_pyproc *pp, struct bw_pythread **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!pp->walk)
		return -ENOTSUP;
	return bw_pywalk__threads(pp->walk, pp->info.runtime, out, n);
}

void bw_pyproc__free(struct bw_pyproc *pp)
{
	if (!pp)
		return;
	bw_pywalk__free(pp->walk);
	free(pp);
}
