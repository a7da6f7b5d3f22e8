/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A thread's user stack in Python's terms: its native frames (the unwinder's,
 * symbolized) with each activation of CPython's eval loop replaced by the
 * Python frames it runs, C frames of extensions and of the interpreter left
 * where they are.
 *
 * Since 3.11 one activation of _PyEval_EvalFrameDefault runs many Python
 * frames (a Python-to-Python call stays in the loop); a C call back into
 * Python (a callback, a C function calling a Python one) starts another. The
 * walker marks the frame each activation was entered with (pywalk's
 * `entry`), so the chain splits into as many runs as the native stack has
 * activations, innermost first on both sides. When the counts differ (a
 * native stack cut short, a chain torn while read) the native frames are
 * kept as they are: a frame put under the wrong activation would be a lie.
 *
 * An activation is a frame in _PyEval_EvalFrameDefault, or in its cold part
 * (`_PyEval_EvalFrameDefault.cold`: GCC's hot/cold split of 3.14, a symbol of
 * its own to the unwinder, still one activation).
 *
 * On 3.12+, where the walker knows each run's shim frame (a local of its
 * activation's C frame) and the unwinder each frame's stack pointer, the
 * activation of a run is the frame whose stack range holds its shim: no
 * name needed, so a cold part the binary names nowhere (3.14 without its
 * debug file: .dynsym has the hot part only) is still found. Every named
 * eval-loop frame must then be one of them, and no other named frame may
 * be, or the stack is kept native. Pure.
 */
#ifndef BW_PYMERGE_H
#define BW_PYMERGE_H

#include <stdbool.h>
#include <stddef.h>
#include "core/model.h"
#include "python/pywalk.h"

/* True when fr is an activation of the eval loop. */
bool bw_pymerge__is_eval(const struct bw_frame *fr);

/* How many activations of the eval loop native[0..n) holds. */
int bw_pymerge__activations(const struct bw_frame *native, int n);

/*
 * The merged stack of one thread into *out (malloc'd, *nout frames): native
 * innermost first, sps its frames' stack pointers (bw_thread.ustack_sp; NULL
 * or 0 entries when unknown), py its Python frames innermost first (bw_pythread.frames,
 * with flags its bw_pythread.flags). Python frames get source BW_SYM_PYTHON,
 * pc 0, func their qualified name, file and line (0 when unknown). 0, or
 * -ENOENT when native has no eval-loop frame and no shim to find one by
 * (nothing to merge), -EDOM when
 * the activations do not match (torn or truncated chain, counts that
 * differ), -ENOMEM; *out is NULL on error.
 */
int bw_pymerge(const struct bw_frame *native, int nnative, const __u64 *sps,
	       const struct bw_pyframe *py, size_t npy, __u32 flags, struct bw_frame **out,
	       int *nout);

/* A Python frame as a user frame (what bw_pymerge puts in). Pure. */
void bw_pymerge__frame(const struct bw_pyframe *py, struct bw_frame *out);

#endif
