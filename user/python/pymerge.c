// SPDX-License-Identifier: GPL-2.0
/* Native and Python frames of one thread, merged (see pymerge.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/pymerge.h"

#define EVAL_FUNC "_PyEval_EvalFrameDefault"

bool bw_pymerge__is_eval(const struct bw_frame *fr)
{
	size_t len = sizeof(EVAL_FUNC) - 1;

	/* The function itself or a part GCC split off it (.cold, .part.0). */
	return strncmp(fr->func, EVAL_FUNC, len) == 0 &&
	       (fr->func[len] == '\0' || fr->func[len] == '.');
}

int bw_pymerge__activations(const struct bw_frame *native, int n)
{
	int i, count = 0;

	for (i = 0; i < n; i++)
		count += bw_pymerge__is_eval(&native[i]);
	return count;
}

void bw_pymerge__frame(const struct bw_pyframe *py, struct bw_frame *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->func, sizeof(out->func), "%s", py->qualname);
	snprintf(out->file, sizeof(out->file), "%s", py->file);
	out->line = py->line > 0 ? py->line : 0;
	out->source = BW_SYM_PYTHON;
}

/* Activations of the chain: runs closed by an entry frame, the outermost one included. */
static int py_activations(const struct bw_pyframe *py, size_t n)
{
	size_t i;
	int count = 0;

	for (i = 0; i < n; i++)
		count += py[i].entry != 0;
	/* Frames past the last entry belong to no activation the walker saw open. */
	if (n && !py[n - 1].entry)
		return -1;
	return count;
}

int bw_pymerge(const struct bw_frame *native, int nnative, const struct bw_pyframe *py, size_t npy,
	       __u32 flags, struct bw_frame **out, int *nout)
{
	int acts = bw_pymerge__activations(native, nnative), i, k = 0;
	size_t j = 0;
	struct bw_frame *m;

	*out = NULL;
	*nout = 0;
	if (!acts)
		return -ENOENT;
	if (flags & (BW_PYTHREAD_TORN | BW_PYTHREAD_TRUNCATED | BW_PYTHREAD_EMPTY_ACTIVATION) ||
	    py_activations(py, npy) != acts)
		return -EDOM;
	m = calloc((size_t)nnative - (size_t)acts + npy, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (i = 0; i < nnative; i++) {
		if (!bw_pymerge__is_eval(&native[i])) {
			m[k++] = native[i];
			continue;
		}
		/* This activation's run: up to and with its entry frame. */
		do
			bw_pymerge__frame(&py[j], &m[k++]);
		while (!py[j++].entry);
	}
	*out = m;
	*nout = k;
	return 0;
}
