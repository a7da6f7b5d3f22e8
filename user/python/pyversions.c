// SPDX-License-Identifier: GPL-2.0
/*
 * CPython layouts: the 3.11 table and the readers of 3.13's and 3.14's
 * _Py_DebugOffsets. Table values are from Debian's python3.11-dbg DWARF
 * (tests/unit/test_pyversions.c checks them field by field).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "python/pyversions.h"

static const struct bw_pylayout py311 = {
	.version_hex = 0x030b0000,
	.source = BW_PYLAYOUT_TABLE,
	.runtime_interpreters_head = 40, /* interpreters (32) . head (8) */
	.interp_id = 48,
	.interp_next = 0,
	.interp_threads_head = 16, /* threads (8) . head (8) */
	.tstate_next = 8,
	.tstate_interp = 16,
	.tstate_cframe = 56,
	.cframe_current_frame = 8,
	.tstate_current_frame = -1,
	.tstate_thread_id = 152,
	.tstate_native_thread_id = 160,
	.frame_size = 72, /* up to localsplus */
	.frame_previous = 48,
	.frame_executable = 32, /* f_code */
	.frame_executable_tag = 0,
	.frame_instr_ptr = 56, /* prev_instr */
	.frame_owner = 69,
	.frame_is_entry = 68,
	.owner_shim_min = 3,
	.code_filename = 112,
	.code_name = 120,
	.code_qualname = 128,
	.code_linetable = 136,
	.code_firstlineno = 72,
	.code_code_adaptive = 184,
	.ob_type = 8,
	.type_tp_name = 24,
	.bytes_ob_size = 16,
	.bytes_ob_sval = 32,
	.unicode_state = 32,
	.unicode_length = 16,
	.unicode_ascii_size = 48,   /* with the wstr pointer 3.12 removed */
	.unicode_compact_size = 72, /* utf8_length, utf8, wstr_length */
};

const struct bw_pylayout *bw_pyversions__table(__u32 major, __u32 minor)
{
	if (major == 3 && minor == 11)
		return &py311;
	return NULL;
}

/* Where each offset sits in a version's _Py_DebugOffsets (bytes from its start). */
struct dbg_pos {
	__u32 minor;
	__u16 runtime_interpreters_head;
	__u16 interp_id, interp_next, interp_threads_head;
	__u16 tstate_size, tstate_next, tstate_interp, tstate_current_frame, tstate_thread_id,
		tstate_native_thread_id;
	__u16 frame_size, frame_previous, frame_executable, frame_instr_ptr, frame_localsplus,
		frame_owner;
	__u16 code_size, code_filename, code_name, code_qualname, code_linetable, code_firstlineno,
		code_code_adaptive;
	__u16 ob_type, type_tp_name;
	__u16 bytes_size, bytes_ob_size, bytes_ob_sval;
	__u16 unicode_size, unicode_state, unicode_length, unicode_ascii_size;
	__u16 total; /* sizeof(_Py_DebugOffsets) */
};

/*
 * From Debian's python3.13-dbg and python3.14-dbg DWARF of _Py_DebugOffsets
 * (tests/unit/test_pyversions.c). 3.14 added interpreter_state.threads_main,
 * code_object_generation, tlbc_generation, interpreter_frame.stackpointer,
 * tlbc_index, code_object.co_tlbc and the set, gen, llist and debugger groups.
 */
static const struct dbg_pos dbg_pos[] = {
	{
		.minor = 13,
		.runtime_interpreters_head = 40,
		.interp_id = 56,
		.interp_next = 64,
		.interp_threads_head = 72,
		.tstate_size = 152,
		.tstate_next = 168,
		.tstate_interp = 176,
		.tstate_current_frame = 184,
		.tstate_thread_id = 192,
		.tstate_native_thread_id = 200,
		.frame_size = 224,
		.frame_previous = 232,
		.frame_executable = 240,
		.frame_instr_ptr = 248,
		.frame_localsplus = 256,
		.frame_owner = 264,
		.code_size = 272,
		.code_filename = 280,
		.code_name = 288,
		.code_qualname = 296,
		.code_linetable = 304,
		.code_firstlineno = 312,
		.code_code_adaptive = 344,
		.ob_type = 360,
		.type_tp_name = 376,
		.bytes_size = 512,
		.bytes_ob_size = 520,
		.bytes_ob_sval = 528,
		.unicode_size = 536,
		.unicode_state = 544,
		.unicode_length = 552,
		.unicode_ascii_size = 560,
		.total = 584,
	},
	{
		.minor = 14,
		.runtime_interpreters_head = 40,
		.interp_id = 56,
		.interp_next = 64,
		.interp_threads_head = 72,
		.tstate_size = 176,
		.tstate_next = 192,
		.tstate_interp = 200,
		.tstate_current_frame = 208,
		.tstate_thread_id = 216,
		.tstate_native_thread_id = 224,
		.frame_size = 248,
		.frame_previous = 256,
		.frame_executable = 264,
		.frame_instr_ptr = 272,
		.frame_localsplus = 280,
		.frame_owner = 288,
		.code_size = 312,
		.code_filename = 320,
		.code_name = 328,
		.code_qualname = 336,
		.code_linetable = 344,
		.code_firstlineno = 352,
		.code_code_adaptive = 384,
		.ob_type = 408,
		.type_tp_name = 424,
		.bytes_size = 592,
		.bytes_ob_size = 600,
		.bytes_ob_sval = 608,
		.unicode_size = 616,
		.unicode_state = 624,
		.unicode_length = 632,
		.unicode_ascii_size = 640,
		.total = 760,
	},
};

/* Offsets of real structs stay far below this; a larger one is a torn read. */
#define OFFSET_MAX 0x10000

static __u64 get_u64(const unsigned char *buf, __u16 pos)
{
	__u64 v;

	memcpy(&v, buf + pos, sizeof(v));
	return v;
}

/* An offset within a struct of the given size (also read from the offsets). */
static int field(const unsigned char *buf, __u16 pos, __u64 struct_size, __s32 *out)
{
	__u64 v = get_u64(buf, pos);

	if (v >= OFFSET_MAX || (struct_size && v + 1 > struct_size))
		return -ERANGE;
	*out = (__s32)v;
	return 0;
}

static int fill(const unsigned char *b, const struct dbg_pos *p, struct bw_pylayout *o)
{
	__u64 ts = get_u64(b, p->tstate_size), fs = get_u64(b, p->frame_size);
	__u64 cs = get_u64(b, p->code_size), bs = get_u64(b, p->bytes_size);
	__u64 us = get_u64(b, p->unicode_size);
	__s32 localsplus = 0, ascii = 0;
	int err = 0;

	if (!ts || ts >= OFFSET_MAX || !fs || fs >= OFFSET_MAX || !cs || cs >= OFFSET_MAX || !bs ||
	    !us)
		return -ERANGE;
	err = err ?: field(b, p->runtime_interpreters_head, 0, &o->runtime_interpreters_head);
	err = err ?: field(b, p->interp_id, 0, &o->interp_id);
	err = err ?: field(b, p->interp_next, 0, &o->interp_next);
	err = err ?: field(b, p->interp_threads_head, 0, &o->interp_threads_head);
	err = err ?: field(b, p->tstate_next, ts, &o->tstate_next);
	err = err ?: field(b, p->tstate_interp, ts, &o->tstate_interp);
	err = err ?: field(b, p->tstate_current_frame, ts, &o->tstate_current_frame);
	err = err ?: field(b, p->tstate_thread_id, ts, &o->tstate_thread_id);
	err = err ?: field(b, p->tstate_native_thread_id, ts, &o->tstate_native_thread_id);
	err = err ?: field(b, p->frame_previous, fs, &o->frame_previous);
	err = err ?: field(b, p->frame_executable, fs, &o->frame_executable);
	err = err ?: field(b, p->frame_instr_ptr, fs, &o->frame_instr_ptr);
	err = err ?: field(b, p->frame_localsplus, fs, &localsplus);
	err = err ?: field(b, p->frame_owner, fs, &o->frame_owner);
	err = err ?: field(b, p->code_filename, cs, &o->code_filename);
	err = err ?: field(b, p->code_name, cs, &o->code_name);
	err = err ?: field(b, p->code_qualname, cs, &o->code_qualname);
	err = err ?: field(b, p->code_linetable, cs, &o->code_linetable);
	err = err ?: field(b, p->code_firstlineno, cs, &o->code_firstlineno);
	err = err ?: field(b, p->code_code_adaptive, cs, &o->code_code_adaptive);
	err = err ?: field(b, p->ob_type, 0, &o->ob_type);
	err = err ?: field(b, p->type_tp_name, 0, &o->type_tp_name);
	err = err ?: field(b, p->bytes_ob_size, bs, &o->bytes_ob_size);
	err = err ?: field(b, p->bytes_ob_sval, bs, &o->bytes_ob_sval);
	err = err ?: field(b, p->unicode_state, us, &o->unicode_state);
	err = err ?: field(b, p->unicode_length, us, &o->unicode_length);
	err = err ?: field(b, p->unicode_ascii_size, 0, &ascii);
	if (err)
		return err;
	/* The frame is read whole up to its first local: previous, code, ip, owner. */
	if (localsplus <= o->frame_owner || localsplus <= o->frame_instr_ptr)
		return -ERANGE;
	o->frame_size = (__u32)localsplus;
	o->unicode_ascii_size = (__u32)ascii;
	/* PyCompactUnicodeObject: PyASCIIObject, utf8_length, utf8 (3.12+). */
	o->unicode_compact_size = (__u32)ascii + 16;
	o->tstate_cframe = -1;
	o->cframe_current_frame = -1;
	o->frame_executable_tag = p->minor >= 14 ? 3 : 0; /* _PyStackRef's tag bits */
	o->frame_is_entry = -1; /* 3.12+: a shim frame opens each activation instead */
	o->owner_shim_min = 3;	/* FRAME_OWNED_BY_CSTACK (3.13), _INTERPRETER (3.14) */
	o->source = BW_PYLAYOUT_DEBUG_OFFSETS;
	return 0;
}

int bw_pyversions__from_debug_offsets(const void *buf, size_t len, struct bw_pylayout *out)
{
	const unsigned char *b = buf;
	__u64 version, free_threaded;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!buf || len < 24 || memcmp(b, BW_PY_DEBUG_COOKIE, 8) != 0)
		return -EINVAL;
	version = get_u64(b, 8);
	free_threaded = get_u64(b, 16);
	if (version >> 32)
		return -ERANGE;
	out->version_hex = (__u32)version;
	if (bw_py_major(out->version_hex) != 3)
		return -ENOTSUP;
	for (i = 0; i < sizeof(dbg_pos) / sizeof(dbg_pos[0]); i++) {
		if (dbg_pos[i].minor != bw_py_minor(out->version_hex))
			continue;
		if (len < dbg_pos[i].total)
			return -EINVAL;
		/* A free-threaded build has no GIL and other object headers. */
		if (free_threaded)
			return -ENOTSUP;
		return fill(b, &dbg_pos[i], out);
	}
	return -ENOTSUP;
}

int bw_pyversions__layout(__u32 version_hex, const void *runtime, size_t len,
			  struct bw_pylayout *out)
{
	const struct bw_pylayout *t;
	int err;

	if (runtime && len >= 8 && memcmp(runtime, BW_PY_DEBUG_COOKIE, 8) == 0) {
		err = bw_pyversions__from_debug_offsets(runtime, len, out);
		if (err != -ENOTSUP || out->version_hex)
			return err;
	}
	t = bw_pyversions__table(bw_py_major(version_hex), bw_py_minor(version_hex));
	memset(out, 0, sizeof(*out));
	out->version_hex = version_hex;
	if (!t)
		return -ENOTSUP;
	*out = *t;
	out->version_hex = version_hex;
	return 0;
}
