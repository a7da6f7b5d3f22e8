/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPython runtime layout a frame walker needs: offsets into
 * _PyRuntimeState, PyInterpreterState, PyThreadState, _PyInterpreterFrame,
 * PyCodeObject and the bytes and str objects, for x86-64 builds with the GIL.
 *
 * 3.13 and later export the offsets themselves in _PyRuntime.debug_offsets
 * (_Py_DebugOffsets: the cookie "xdebugpy", PY_VERSION_HEX, then one group of
 * offsets per struct); the group order of that struct changed between 3.13
 * and 3.14, so each version whose _Py_DebugOffsets we parse is named here.
 * Versions without it (3.11) come from a table, checked against the DWARF
 * of Debian's -dbg package by tests/unit/test_pyversions.c. 3.12 has neither
 * (no Debian suite serves it): it is a version without a layout, as is any
 * version before 3.11 (a different frame model) or after the last one known.
 * Pure: no process or file access.
 */
#ifndef BW_PYVERSIONS_H
#define BW_PYVERSIONS_H

#include <stddef.h>
#include <linux/types.h>

#define BW_PYLAYOUT_TABLE 1	    /* from the table of this module */
#define BW_PYLAYOUT_DEBUG_OFFSETS 2 /* from the target's _Py_DebugOffsets */

/* The cookie at the start of _PyRuntime in 3.13+. */
#define BW_PY_DEBUG_COOKIE "xdebugpy"
/* Bytes of _Py_DebugOffsets to read: the largest known (3.14: 760). */
#define BW_PY_DEBUG_OFFSETS_MAX 1024

/*
 * Offsets in bytes from the start of each struct; -1 when the version has no
 * such field. Pointers are 8 bytes, ints as noted.
 */
struct bw_pylayout {
	__u32 version_hex; /* PY_VERSION_HEX: 0x030b02f0 for 3.11.2 final */
	__u32 source;	   /* BW_PYLAYOUT_* */
	/* _PyRuntimeState */
	__s32 runtime_interpreters_head;
	/* PyInterpreterState */
	__s32 interp_id; /* int64 */
	__s32 interp_next;
	__s32 interp_threads_head;
	/* PyThreadState */
	__s32 tstate_next;
	__s32 tstate_interp;
	__s32 tstate_cframe;	       /* 3.11-3.12: _PyCFrame *, -1 later */
	__s32 cframe_current_frame;    /* in _PyCFrame, with tstate_cframe */
	__s32 tstate_current_frame;    /* 3.13+: _PyInterpreterFrame *, -1 before */
	__s32 tstate_thread_id;	       /* unsigned long: the pthread_t */
	__s32 tstate_native_thread_id; /* unsigned long: the kernel tid */
	/* _PyInterpreterFrame */
	__u32 frame_size; /* bytes read per frame: up to and with owner */
	__s32 frame_previous;
	__s32 frame_executable;	    /* f_code (3.11) or f_executable */
	__u32 frame_executable_tag; /* low bits to clear: 3.14's _PyStackRef tags */
	__s32 frame_instr_ptr;	    /* prev_instr (3.11-3.12) or instr_ptr */
	__s32 frame_owner;	    /* char */
	__s32 frame_is_entry;	    /* char, 3.11 only: the frame a C call entered the loop with */
	__u32 owner_shim_min;	    /* owner values from this on are C-stack shims (3.12+) */
	/* PyCodeObject */
	__s32 code_filename;
	__s32 code_name;
	__s32 code_qualname;
	__s32 code_linetable;
	__s32 code_firstlineno;	  /* int */
	__s32 code_code_adaptive; /* the bytecode, inline */
	/* objects */
	__s32 ob_type;
	__s32 type_tp_name; /* const char * */
	__s32 bytes_ob_size;
	__s32 bytes_ob_sval;
	__s32 unicode_state; /* the state bit-field (kind, compact, ascii), u32 */
	__s32 unicode_length;
	__u32 unicode_ascii_size;   /* sizeof(PyASCIIObject): compact ASCII data */
	__u32 unicode_compact_size; /* sizeof(PyCompactUnicodeObject): other data */
};

/* "3.11" from a PY_VERSION_HEX. */
static inline __u32 bw_py_major(__u32 hex)
{
	return hex >> 24;
}
static inline __u32 bw_py_minor(__u32 hex)
{
	return (hex >> 16) & 0xff;
}

/* The table entry of major.minor, or NULL when there is none. */
const struct bw_pylayout *bw_pyversions__table(__u32 major, __u32 minor);

/*
 * Parses len bytes of _Py_DebugOffsets (the start of _PyRuntime). 0, with
 * *out filled and out->version_hex the target's; -EINVAL when the cookie is
 * not there (not 3.13+, or not _PyRuntime), -ENOTSUP for a version whose
 * _Py_DebugOffsets this module does not know, or a free-threaded build;
 * -ERANGE when an offset is out of the bounds a real one keeps (torn read).
 */
int bw_pyversions__from_debug_offsets(const void *buf, size_t len, struct bw_pylayout *out);

/*
 * The layout of a target whose PY_VERSION_HEX is version_hex, given the start
 * of its _PyRuntime (may be NULL or short before 3.13): its debug offsets
 * when it has them, else the table. 0 or the errors above; -ENOTSUP for a
 * version without a layout.
 */
int bw_pyversions__layout(__u32 version_hex, const void *runtime, size_t len,
			  struct bw_pylayout *out);

#endif
