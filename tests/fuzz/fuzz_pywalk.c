// SPDX-License-Identifier: GPL-2.0
/*
 * The Python frame walk over a target memory made of the input: byte 0
 * picks the layout (the 3.11 table, or the same with 3.13's current_frame
 * and 3.14's tagged code pointers), the rest is mapped at BASE with
 * _PyRuntime at its start. Any memory must end in bounded time with
 * frames whose strings are set and lines in range. The location table
 * decoder and the str decoder also take the input directly.
 */
#include <errno.h>
#include "fuzz_util.h"
#include "python/pylinetable.h"
#include "python/pyversions.h"
#include "python/pywalk.h"

#define BASE 0x10000ULL

struct image {
	const uint8_t *data;
	size_t size;
};

static int image_read(void *ctx, __u64 addr, void *buf, size_t len)
{
	const struct image *im = ctx;

	if (addr < BASE || addr - BASE > im->size || len > im->size - (addr - BASE))
		return -EFAULT;
	memcpy(buf, im->data + (addr - BASE), len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image im = { data + 1, size ? size - 1 : 0 };
	struct bw_pymem_ops ops = { .read = image_read, .ctx = &im };
	struct bw_pylayout L = *bw_pyversions__table(3, 11);
	struct bw_pythread *th = NULL;
	struct bw_pywalk *w = NULL;
	char str[256];
	size_t n = 0, i, need;
	__u32 f;

	if (!size)
		return 0;
	if (data[0] & 1) {
		L.tstate_cframe = -1;
		L.tstate_current_frame = 56;
		L.frame_executable_tag = 3;
	}
	bw_pylinetable__line(im.data, im.size, data[0], (__u64)data[0] * 2);
	bw_pywalk__unicode(&L, im.data, im.size, str, sizeof(str), &need);
	if (strlen(str) >= sizeof(str))
		abort();
	if (bw_pywalk__new(&L, &ops, &w) != 0)
		abort();
	if (bw_pywalk__threads(w, BASE, &th, &n) == 0) {
		if (n > BW_PY_THREADS_MAX)
			abort();
		for (i = 0; i < n; i++) {
			if (th[i].nframes > BW_PY_FRAMES_MAX)
				abort();
			for (f = 0; f < th[i].nframes; f++)
				if (!th[i].frames[f].name || !th[i].frames[f].qualname ||
				    !th[i].frames[f].file || th[i].frames[f].line < -1)
					abort();
		}
	} else if (th || n) {
		abort(); /* failure must leave *out NULL */
	}
	bw_pywalk__free_threads(th, n);
	bw_pywalk__free(w);
	return 0;
}
