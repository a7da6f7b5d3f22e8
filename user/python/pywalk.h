/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Python frames of every thread of a CPython 3.11+ process, from its
 * memory: _PyRuntime -> each interpreter -> each PyThreadState (its pthread
 * id and kernel tid) -> its frame chain (3.11-3.12 through cframe, 3.13+
 * current_frame), C-stack shim frames skipped -> each frame's code object ->
 * name, qualified name, file, first line, and the current line decoded from
 * the location table at the frame's instruction pointer.
 *
 * Pure: memory comes through a read callback, the layout from pyversions.
 * The process runs while it is read: every pointer is checked (non-zero,
 * aligned, user space) before it is followed, a code object only counts when
 * its type is named "code", every list is bounded (interpreters, threads,
 * frames per thread), and a chain cut by a bad read is kept as far as it
 * went, flagged, never filled with guesses. Code objects are read once per
 * scan (cached by address); each frame is one read of its fixed part.
 */
#ifndef BW_PYWALK_H
#define BW_PYWALK_H

#include <stddef.h>
#include <linux/types.h>
#include "python/pyversions.h"

/* Reads exactly len bytes at addr of the target: 0 or a negative errno. */
struct bw_pymem_ops {
	int (*read)(void *ctx, __u64 addr, void *buf, size_t len);
	void *ctx;
};

#define BW_PY_INTERPS_MAX 64
#define BW_PY_THREADS_MAX 16384
#define BW_PY_FRAMES_MAX 2048
#define BW_PY_STR_MAX 4096 /* characters of a name or path kept */

/* struct bw_pythread.flags */
#define BW_PYTHREAD_TRUNCATED (1u << 0) /* more than BW_PY_FRAMES_MAX frames */
#define BW_PYTHREAD_TORN (1u << 1)	/* a frame could not be read: the chain ends early */
/* An activation of the eval loop ran no frame that was kept: the split cannot be told. */
#define BW_PYTHREAD_EMPTY_ACTIVATION (1u << 2)

/*
 * One frame, innermost first. Strings are never NULL ("?" when unreadable),
 * owned by the walker until its next scan or free, and target-controlled:
 * escape them on output.
 */
struct bw_pyframe {
	const char *name;     /* co_name, as tracebacks print it: "run" */
	const char *qualname; /* co_qualname: "Worker.run" */
	const char *file;     /* co_filename */
	__s32 line;	      /* -1 when the location table has none */
	__s32 firstlineno;    /* co_firstlineno */
	__u64 code;	      /* address of the code object */
	/*
	 * 1 on the outermost frame of one activation of the eval loop (the frame
	 * a C call entered _PyEval_EvalFrameDefault with: is_entry on 3.11, the
	 * frame under a C-stack shim on 3.12+), so the chain splits into the
	 * activations the native stack shows.
	 */
	__u32 entry;
	/*
	 * With entry on 3.12+: the address of the shim frame under it, a local
	 * of the C frame of the activation (_PyEval_EvalFrameDefault's
	 * entry_frame), so that frame can be told by its stack range; 0 on 3.11.
	 */
	__u64 shim;
};

struct bw_pythread {
	__u64 native_tid; /* the kernel's thread id (0 before the thread started) */
	__u64 thread_id;  /* the pthread_t, as threading.get_ident() and faulthandler say */
	__s64 interp_id;  /* the interpreter's id (0: the main interpreter) */
	__u64 tstate;	  /* address of the PyThreadState */
	__u32 flags;	  /* BW_PYTHREAD_* */
	__u32 nframes;
	struct bw_pyframe *frames;
};

struct bw_pywalk;

/* 0 or -ENOMEM. The layout is copied; mem must outlive the walker. */
int bw_pywalk__new(const struct bw_pylayout *layout, const struct bw_pymem_ops *mem,
		   struct bw_pywalk **out);

/*
 * Every thread of every interpreter under the _PyRuntime at runtime (a live
 * address). 0 with *out an array of *n threads (free with
 * bw_pywalk__free_threads), or a negative errno: -EFAULT when the runtime
 * or its first interpreter cannot be read, -ENOMEM. The strings of the
 * previous scan are freed.
 */
int bw_pywalk__threads(struct bw_pywalk *w, __u64 runtime, struct bw_pythread **out, size_t *n);
void bw_pywalk__free_threads(struct bw_pythread *threads, size_t n);
void bw_pywalk__free(struct bw_pywalk *w);

/*
 * Decodes a CPython str object read from the target into buf (UTF-8, NUL
 * terminated, at most len - 1 bytes): head holds the object's first head_len
 * bytes. 0, -EAGAIN when its characters lie past head_len (*need says how
 * many bytes of the object to read), -EINVAL for a string that is not compact
 * or not well formed. Pure; exposed for the tests.
 */
int bw_pywalk__unicode(const struct bw_pylayout *layout, const __u8 *head, size_t head_len,
		       char *buf, size_t len, size_t *need);

#endif
