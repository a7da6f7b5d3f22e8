// SPDX-License-Identifier: GPL-2.0
/*
 * Go executables: bw_gobin__open on the input (a memfd, by path), then every
 * query the goroutine walker makes: functions by index and pc, inlined
 * frames, symbol lookups, the runtime layout and the wait reasons; then
 * the GC maps (gcmap.h): the module's masks, stack walks over a stack made
 * of the input's own bytes from each function, and the GC program decoder
 * on the raw input.
 */
#include <errno.h>
#include "fuzz_util.h"
#include "go/gcmap.h"
#include "go/gobin.h"

#define MAX_FUNCS 64
#define FRAMES_MAX_ENTRIES 16
#define MAX_STACK 4096

static void check_func(const struct bw_gofunc *f)
{
	if (!f->name || !f->file)
		abort(); /* documented never NULL */
	(void)strlen(f->name);
	(void)strlen(f->file);
}

/* The stack bytes come from the input: any word may be a pc, a pointer, junk. */
static void walk_stack(const struct bw_gobin *gb, __u64 pc, const uint8_t *data, size_t size)
{
	static __u8 bits[MAX_STACK / 64 + 1];
	size_t len = size < MAX_STACK ? size & ~7ul : MAX_STACK;
	int r;

	memset(bits, 0, sizeof(bits));
	r = bw_gcmap_stack(gb, 0, pc, 0xc000000000ull, data, len, bits);
	if (r != 0 && r != 1)
		abort();
}

static void gc_masks(const struct bw_gobin *gb)
{
	struct bw_gcmask d, b;
	__u64 i;

	if (bw_gcmap_globals(gb, &d, &b)) {
		if (d.bits || b.bits)
			abort(); /* documented zeroed on error */
		return;
	}
	if (!d.bits || !b.bits || d.end < d.start || b.end < b.start)
		abort();
	for (i = 0; i < (d.end - d.start) / 64 + 1; i++)
		(void)*(volatile __u8 *)&d.bits[i]; /* the whole mask is allocated */
	for (i = 0; i < (b.end - b.start) / 64 + 1; i++)
		(void)*(volatile __u8 *)&b.bits[i];
	free(d.bits);
	free(b.bits);
}

static void query_pc(const struct bw_gobin *gb, __u64 pc)
{
	struct bw_gofunc fn, frames[FRAMES_MAX_ENTRIES];
	int n, i;

	if (!bw_gobin__func(gb, pc, &fn))
		check_func(&fn);
	n = bw_gobin__frames(gb, pc, frames, FRAMES_MAX_ENTRIES);
	if (n > FRAMES_MAX_ENTRIES || (n < 1 && n != -ENOENT))
		abort();
	for (i = 0; i < n; i++)
		check_func(&frames[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"runtime.allgs",
		"runtime.allglen",
		"runtime.allm",
		"runtime.buildVersion",
		"runtime.waitReasonStrings",
		"runtime.firstmoduledata",
		"runtime.gopark",
		"main.main",
		"runtime.allgadd",
		"runtime.mcommoninit",
		"",
	};
	const struct bw_goinfo *info;
	struct bw_golayout layout;
	struct bw_gobin *gb = NULL;
	struct bw_gofunc fn;
	char path[64];
	__u32 i, n, src;
	__u64 addr, sz;
	int fd, err;

	{ /* the GC program decoder on raw bytes */
		static __u8 mask[512];

		memset(mask, 0, sizeof(mask));
		if (bw_gcprog_run(data, size, mask, size % (8 * sizeof(mask))) < -EINVAL)
			abort();
	}
	fd = fuzz_memfd(data, size, path, sizeof(path));
	if (fd < 0)
		abort();
	err = bw_gobin__open(path, &gb);
	close(fd);
	if (err) {
		if (gb)
			abort();
		return 0;
	}
	info = bw_gobin__info(gb);
	n = info->nfunc < MAX_FUNCS ? info->nfunc : MAX_FUNCS;
	for (i = 0; i < n; i++) {
		if (bw_gobin__func_at(gb, i, &fn))
			continue;
		check_func(&fn);
		if (i < 8) {
			walk_stack(gb, fn.entry, data, size);
			walk_stack(gb, fn.entry + (fn.end - fn.entry) / 2, data + size / 2,
				   size - size / 2);
		}
		query_pc(gb, fn.entry);
		query_pc(gb, fn.entry + 1);
		if (fn.end > fn.entry) {
			query_pc(gb, fn.end - 1);
			query_pc(gb, fn.entry + (fn.end - fn.entry) / 2);
		}
	}
	bw_gobin__func_at(gb, info->nfunc, &fn);
	bw_gobin__func_at(gb, ~0u, &fn);
	query_pc(gb, 0);
	query_pc(gb, ~0ULL);
	query_pc(gb, info->text_start);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		bw_gobin__lookup(gb, names[i], &addr, &sz);
	bw_gobin__layout(gb, &layout);
	n = bw_gobin__nwait_reasons(gb, &src);
	for (i = 0; i <= n; i++) {
		const char *r = bw_gobin__wait_reason(gb, i);

		if ((i < n) != (r != NULL))
			abort();
		if (r && bw_gobin__wait_reason_index(gb, r) < 0)
			abort(); /* a listed reason must be found by name */
	}
	bw_gobin__wait_reason_index(gb, "chan receive");
	gc_masks(gb);
	bw_gobin__free(gb);
	return 0;
}
