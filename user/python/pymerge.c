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

/* Every run's entry frame knows its shim (3.12+). */
static bool all_shims(const struct bw_pyframe *py, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (py[i].entry && !py[i].shim)
			return false;
	return n > 0;
}

/*
 * is_act[i]: native frame i is the activation of a run, found by the stack
 * range of each run's shim, innermost first on both sides. 0 or -EDOM.
 */
static int acts_by_shim(const struct bw_frame *native, int n, const __u64 *sps,
			const struct bw_pyframe *py, size_t npy, bool *is_act)
{
	size_t j;
	int i = 0;

	for (j = 0; j < npy; j++) {
		__u64 shim = py[j].shim;

		if (!py[j].entry)
			continue;
		/* Frame i's locals: from its stack pointer up to its caller's. */
		while (i + 1 < n && !(sps[i] && sps[i + 1] && sps[i] <= shim && shim < sps[i + 1]))
			i++;
		if (i + 1 >= n)
			return -EDOM;
		is_act[i++] = true;
	}
	for (i = 0; i < n; i++)
		if (native[i].func[0] && is_act[i] != bw_pymerge__is_eval(&native[i]))
			return -EDOM; /* a named loop left out, or another function taken */
	return 0;
}

/* Which native frames are activations: by shim where known, else by name. 0 or -EDOM. */
static int find_acts(const struct bw_frame *native, int n, const __u64 *sps,
		     const struct bw_pyframe *py, size_t npy, bool *is_act, int *acts)
{
	int i, err = 0;

	if (sps && all_shims(py, npy))
		err = acts_by_shim(native, n, sps, py, npy, is_act);
	else
		for (i = 0; i < n; i++)
			is_act[i] = bw_pymerge__is_eval(&native[i]);
	for (i = 0, *acts = 0; i < n; i++)
		*acts += is_act[i];
	if (!err && py_activations(py, npy) != *acts)
		err = -EDOM;
	return err;
}

int bw_pymerge(const struct bw_frame *native, int nnative, const __u64 *sps,
	       const struct bw_pyframe *py, size_t npy, __u32 flags, struct bw_frame **out,
	       int *nout)
{
	struct bw_frame *m = NULL;
	bool *is_act = NULL;
	int acts = 0, i, k = 0, err;
	size_t j = 0;

	*out = NULL;
	*nout = 0;
	if (nnative <= 0 ||
	    (!bw_pymerge__activations(native, nnative) && !(sps && all_shims(py, npy))))
		return -ENOENT;
	if (flags & (BW_PYTHREAD_TORN | BW_PYTHREAD_TRUNCATED | BW_PYTHREAD_EMPTY_ACTIVATION))
		return -EDOM;
	is_act = calloc((size_t)nnative, sizeof(*is_act));
	if (!is_act)
		return -ENOMEM;
	err = find_acts(native, nnative, sps, py, npy, is_act, &acts);
	if (!err) {
		m = calloc((size_t)nnative - (size_t)acts + npy, sizeof(*m));
		err = m ? 0 : -ENOMEM;
	}
	if (err) {
		free(is_act);
		return err;
	}
	for (i = 0; i < nnative; i++) {
		if (!is_act[i]) {
			m[k++] = native[i];
			continue;
		}
		/* This activation's run: up to and with its entry frame. */
		do
			bw_pymerge__frame(&py[j], &m[k++]);
		while (!py[j++].entry);
	}
	free(is_act);
	*out = m;
	*nout = k;
	return 0;
}
