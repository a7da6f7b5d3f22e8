// SPDX-License-Identifier: GPL-2.0
/*
 * The CPython layouts against the DWARF of Debian's -dbg packages: every
 * offset of the 3.11 table, and for 3.13 and 3.14 every offset parsed from
 * the _Py_DebugOffsets the binary itself initialises (read from the file's
 * _PyRuntime), checked against the real struct members (_ts.native_thread_id,
 * PyCodeObject.co_linetable...), the str object's sizes and state bits, and
 * the frame owner kinds counted as shims. The debug file is found as
 * blockwatch finds it (bw_pybin by build-id). 3.13 and 3.14 come from
 * BW_PYTHONS (default /var/cache/blockwatch/pythons, tests/python/fetch-pythons.sh);
 * a version not there is skipped with a notice.
 * Also: the errors of the _Py_DebugOffsets reader and the version choice.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "python/pybin.h"
#include "python/pyversions.h"

struct dw {
	int fd;
	Dwarf *dw;
};

static int dw_open(const char *path, struct dw *d)
{
	d->fd = open(path, O_RDONLY);
	if (d->fd < 0)
		return -errno;
	d->dw = dwarf_begin(d->fd, DWARF_C_READ);
	if (!d->dw) {
		close(d->fd);
		return -EINVAL;
	}
	return 0;
}

static void dw_close(struct dw *d)
{
	dwarf_end(d->dw);
	close(d->fd);
}

/* Through typedefs and qualifiers to the type itself. */
static int peel(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Die cur = *die;
	int hops = 0;

	while (hops++ < 16) {
		int tag = dwarf_tag(&cur);
		Dwarf_Attribute a;

		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type && tag != DW_TAG_atomic_type) {
			*out = cur;
			return 0;
		}
		if (!dwarf_attr_integrate(&cur, DW_AT_type, &a) || !dwarf_formref_die(&a, &cur))
			return -ENOENT;
	}
	return -ELOOP;
}

/* A struct, union or enum with a body named name (by its tag or a typedef). */
static int find_type(struct dw *d, const char *name, Dwarf_Die *out)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (dwarf_nextcu(d->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;

		if (dwarf_offdie(d->dw, off + hsize, &cu) && dwarf_child(&cu, &child) == 0) {
			do {
				int tag = dwarf_tag(&child);
				const char *n = dwarf_diename(&child);
				Dwarf_Die t;

				if (!n || strcmp(n, name) != 0)
					continue;
				if (tag == DW_TAG_typedef && peel(&child, &t) == 0 &&
				    dwarf_haschildren(&t)) {
					*out = t;
					return 0;
				}
				if ((tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
				     tag == DW_TAG_enumeration_type) &&
				    dwarf_haschildren(&child) &&
				    !dwarf_hasattr(&child, DW_AT_declaration)) {
					*out = child;
					return 0;
				}
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		off = next;
	}
	return -ENOENT;
}

static int member(Dwarf_Die *type, const char *name, Dwarf_Die *out)
{
	Dwarf_Die child;

	if (dwarf_child(type, &child) != 0)
		return -ENOENT;
	do {
		const char *n = dwarf_diename(&child);

		if (dwarf_tag(&child) == DW_TAG_member && n && strcmp(n, name) == 0) {
			*out = child;
			return 0;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return -ENOENT;
}

/* The byte offset of a dotted member path ("threads.head") in struct strct. */
static long offset_of(struct dw *d, const char *strct, const char *path)
{
	char buf[128], *tok, *save = NULL;
	Dwarf_Die type, m;
	long total = 0;

	if (find_type(d, strct, &type) != 0)
		return -1;
	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		Dwarf_Attribute a;
		Dwarf_Word loc;
		Dwarf_Die t;

		if (member(&type, tok, &m) != 0)
			return -1;
		if (!dwarf_attr_integrate(&m, DW_AT_data_member_location, &a) ||
		    dwarf_formudata(&a, &loc) != 0)
			return -1;
		total += (long)loc;
		if (!dwarf_attr_integrate(&m, DW_AT_type, &a) || !dwarf_formref_die(&a, &t) ||
		    peel(&t, &type) != 0)
			return -1;
	}
	return total;
}

static long size_of(struct dw *d, const char *strct)
{
	Dwarf_Die type;

	if (find_type(d, strct, &type) != 0)
		return -1;
	return dwarf_bytesize(&type);
}

/* The bit a one-bit or small field starts at, from the start of its storage (little-endian). */
static long bit_of(struct dw *d, const char *strct, const char *outer, const char *field)
{
	Dwarf_Die type, m, inner, f;
	Dwarf_Attribute a;
	Dwarf_Word v;

	if (find_type(d, strct, &type) != 0 || member(&type, outer, &m) != 0 ||
	    !dwarf_attr_integrate(&m, DW_AT_type, &a) || !dwarf_formref_die(&a, &inner) ||
	    peel(&inner, &inner) != 0 || member(&inner, field, &f) != 0)
		return -1;
	if (dwarf_attr_integrate(&f, DW_AT_data_bit_offset, &a) && dwarf_formudata(&a, &v) == 0)
		return (long)v;
	if (dwarf_attr_integrate(&f, DW_AT_bit_offset, &a) && dwarf_formudata(&a, &v) == 0) {
		int bits = dwarf_bitsize(&f), bytes = dwarf_bytesize(&f);

		if (bytes <= 0)
			bytes = 4;
		return 8L * bytes - (long)v - bits;
	}
	return -1;
}

struct field_check {
	const char *strct, *path;
	size_t field; /* offsetof(struct bw_pylayout, ...) */
	unsigned int min_minor, max_minor;
};

#define F(s, p, f, lo, hi)                                                                         \
	{                                                                                          \
		s, p, offsetof(struct bw_pylayout, f), lo, hi                                      \
	}
static const struct field_check fields[] = {
	F("pyruntimestate", "interpreters.head", runtime_interpreters_head, 11, 99),
	F("_is", "id", interp_id, 11, 99),
	F("_is", "next", interp_next, 11, 99),
	F("_is", "threads.head", interp_threads_head, 11, 99),
	F("_ts", "next", tstate_next, 11, 99),
	F("_ts", "interp", tstate_interp, 11, 99),
	F("_ts", "cframe", tstate_cframe, 11, 12),
	F("_PyCFrame", "current_frame", cframe_current_frame, 11, 12),
	F("_ts", "current_frame", tstate_current_frame, 13, 99),
	F("_ts", "thread_id", tstate_thread_id, 11, 99),
	F("_ts", "native_thread_id", tstate_native_thread_id, 11, 99),
	F("_PyInterpreterFrame", "previous", frame_previous, 11, 99),
	F("_PyInterpreterFrame", "f_code", frame_executable, 11, 12),
	F("_PyInterpreterFrame", "f_executable", frame_executable, 13, 99),
	F("_PyInterpreterFrame", "prev_instr", frame_instr_ptr, 11, 12),
	F("_PyInterpreterFrame", "instr_ptr", frame_instr_ptr, 13, 99),
	F("_PyInterpreterFrame", "owner", frame_owner, 11, 99),
	F("_PyInterpreterFrame", "is_entry", frame_is_entry, 11, 11),
	F("PyCodeObject", "co_filename", code_filename, 11, 99),
	F("PyCodeObject", "co_name", code_name, 11, 99),
	F("PyCodeObject", "co_qualname", code_qualname, 11, 99),
	F("PyCodeObject", "co_linetable", code_linetable, 11, 99),
	F("PyCodeObject", "co_firstlineno", code_firstlineno, 11, 99),
	F("PyCodeObject", "co_code_adaptive", code_code_adaptive, 11, 99),
	F("_object", "ob_type", ob_type, 11, 99),
	F("_typeobject", "tp_name", type_tp_name, 11, 99),
	F("PyBytesObject", "ob_base.ob_size", bytes_ob_size, 11, 99),
	F("PyBytesObject", "ob_sval", bytes_ob_sval, 11, 99),
	F("PyASCIIObject", "state", unicode_state, 11, 99),
	F("PyASCIIObject", "length", unicode_length, 11, 99),
};

/* The interpreter of a version and where its debug file lives; 0, or skip. */
static int interpreter(unsigned int minor, char *exe, size_t len, char *root, size_t rlen)
{
	const char *cache = getenv("BW_PYTHONS");

	if (minor == 11) {
		snprintf(exe, len, "/usr/bin/python3.11");
		snprintf(root, rlen, "/usr/lib/debug");
	} else {
		if (!cache || !*cache)
			cache = "/var/cache/blockwatch/pythons";
		snprintf(exe, len, "%s/python3.%u/usr/bin/python3.%u", cache, minor, minor);
		snprintf(root, rlen, "%s/python3.%u/usr/lib/debug", cache, minor);
	}
	return access(exe, X_OK) == 0 ? 0 : -ENOENT;
}

static void check_version(unsigned int minor)
{
	char exe[512], root[512], debug[512];
	const char *roots[] = { root, NULL };
	const unsigned int only_debug = BW_PYBIN_SKIP(BW_PYBIN_SYMTAB) |
					BW_PYBIN_SKIP(BW_PYBIN_DYNSYM) |
					BW_PYBIN_SKIP(BW_PYBIN_SECTION);
	struct bw_pylayout L;
	struct bw_pybin *bin;
	struct dw d;
	size_t i, checked = 0;
	Dwarf_Die owner, e;
	long v;

	if (interpreter(minor, exe, sizeof(exe), root, sizeof(root)) != 0) {
		cr_log_warn("skip: python3.%u not fetched (make python-pythons)", minor);
		cr_skip_test("python3.%u not fetched", minor);
	}
	bin = calloc(1, sizeof(*bin));
	cr_assert_not_null(bin);
	cr_assert_eq(bw_pybin__read(exe, roots, only_debug, bin), 0);
	if (!bin->debug_file[0]) {
		free(bin);
		cr_log_warn("skip: python3.%u: no debug file (python3.%u-dbg) under %s", minor,
			    minor, root);
		cr_skip_test("python3.%u-dbg not installed", minor);
	}
	cr_assert_eq(bw_py_minor(bin->version_hex), minor, "Py_Version of %s: %#x", exe,
		     bin->version_hex);
	snprintf(debug, sizeof(debug), "%s", bin->debug_file);
	if (minor >= 13) {
		/* The binary's own offsets, as the file initialises _PyRuntime. */
		cr_assert_eq(bw_pybin__read(exe, NULL, 0, bin), 0);
		cr_assert_gt(bin->runtime_head_len, 24);
		cr_assert_eq(bw_pyversions__from_debug_offsets(bin->runtime_head,
							       bin->runtime_head_len, &L),
			     0, "%s: _Py_DebugOffsets not read", exe);
		cr_assert_eq(L.source, BW_PYLAYOUT_DEBUG_OFFSETS);
		cr_assert_eq(bw_py_minor(L.version_hex), minor);
	} else {
		cr_assert_not_null(bw_pyversions__table(3, minor));
		L = *bw_pyversions__table(3, minor);
	}
	cr_assert_eq(dw_open(debug, &d), 0, "%s", debug);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field_check *f = &fields[i];
		__s32 have;

		if (minor < f->min_minor || minor > f->max_minor)
			continue;
		memcpy(&have, (const char *)&L + f->field, sizeof(have));
		v = offset_of(&d, f->strct, f->path);
		cr_expect_eq(have, v, "python3.%u %s.%s: layout %d, DWARF %ld", minor, f->strct,
			     f->path, have, v);
		checked++;
	}
	cr_expect_eq(size_of(&d, "PyASCIIObject"), (long)L.unicode_ascii_size, "3.%u", minor);
	cr_expect_eq(size_of(&d, "PyCompactUnicodeObject"), (long)L.unicode_compact_size, "3.%u",
		     minor);
	cr_expect_eq(bit_of(&d, "PyASCIIObject", "state", "kind"), 2);
	cr_expect_eq(bit_of(&d, "PyASCIIObject", "state", "compact"), 5);
	cr_expect_eq(bit_of(&d, "PyASCIIObject", "state", "ascii"), 6);
	/* One read per frame covers every field used. */
	v = size_of(&d, "_PyInterpreterFrame");
	cr_expect(L.frame_size <= v && (long)L.frame_size > L.frame_owner &&
			  (long)L.frame_size >= L.frame_instr_ptr + 8,
		  "3.%u frame_size %u (struct %ld)", minor, L.frame_size, v);
	cr_expect_leq(L.code_code_adaptive, 512, "the code object is read in one piece");
	if (minor >= 13)
		cr_expect_leq(size_of(&d, "_Py_DebugOffsets"), BW_PY_DEBUG_OFFSETS_MAX);
	/* The owner kinds: thread, generator and frame object frames are real, the rest shims. */
	cr_assert_eq(find_type(&d, "_frameowner", &owner), 0);
	cr_assert_eq(dwarf_child(&owner, &e), 0);
	do {
		Dwarf_Attribute a;
		Dwarf_Sword val;
		const char *n = dwarf_diename(&e);
		int real = n && (!strcmp(n, "FRAME_OWNED_BY_THREAD") ||
				 !strcmp(n, "FRAME_OWNED_BY_GENERATOR") ||
				 !strcmp(n, "FRAME_OWNED_BY_FRAME_OBJECT"));

		cr_assert(dwarf_attr(&e, DW_AT_const_value, &a) && dwarf_formsdata(&a, &val) == 0);
		cr_expect_eq(real, val < (Dwarf_Sword)L.owner_shim_min, "3.%u %s = %ld", minor, n,
			     (long)val);
	} while (dwarf_siblingof(&e, &e) == 0);
	cr_log_info("python3.%u: %zu offsets checked against %s", minor, checked, debug);
	dw_close(&d);
	free(bin);
}

Test(pyversions, py311_table_matches_dwarf, .timeout = 120)
{
	check_version(11);
}

Test(pyversions, py313_debug_offsets_match_dwarf, .timeout = 120)
{
	check_version(13);
}

Test(pyversions, py314_debug_offsets_match_dwarf, .timeout = 120)
{
	check_version(14);
}

/* A _Py_DebugOffsets head: the cookie, the version, free_threaded. */
static void head(__u8 *buf, size_t len, __u64 version, __u64 ft)
{
	memset(buf, 0, len);
	memcpy(buf, BW_PY_DEBUG_COOKIE, 8);
	memcpy(buf + 8, &version, 8);
	memcpy(buf + 16, &ft, 8);
}

Test(pyversions, debug_offsets_errors)
{
	static __u8 buf[BW_PY_DEBUG_OFFSETS_MAX];
	struct bw_pylayout L;

	/* No cookie: not 3.13+ (or not _PyRuntime). */
	memset(buf, 0, sizeof(buf));
	cr_expect_eq(bw_pyversions__from_debug_offsets(buf, sizeof(buf), &L), -EINVAL);
	/* A version whose _Py_DebugOffsets is unknown. */
	head(buf, sizeof(buf), 0x030f00a1, 0);
	cr_expect_eq(bw_pyversions__from_debug_offsets(buf, sizeof(buf), &L), -ENOTSUP);
	cr_expect_eq(L.version_hex, 0x030f00a1);
	/* Free-threaded 3.14. */
	head(buf, sizeof(buf), 0x030e0af0, 1);
	cr_expect_eq(bw_pyversions__from_debug_offsets(buf, sizeof(buf), &L), -ENOTSUP);
	/* 3.14 with zero sizes (a torn or zeroed read). */
	head(buf, sizeof(buf), 0x030e0af0, 0);
	cr_expect_eq(bw_pyversions__from_debug_offsets(buf, sizeof(buf), &L), -ERANGE);
	/* Short. */
	cr_expect_eq(bw_pyversions__from_debug_offsets(buf, 100, &L), -EINVAL);
}

Test(pyversions, layout_choice)
{
	struct bw_pylayout L;

	cr_expect_eq(bw_pyversions__layout(0x030b02f0, NULL, 0, &L), 0);
	cr_expect_eq(L.source, BW_PYLAYOUT_TABLE);
	cr_expect_eq(L.version_hex, 0x030b02f0);
	/* 3.12 (no table, no debug offsets) and 3.10 have no layout: said, not guessed. */
	cr_expect_eq(bw_pyversions__layout(0x030c03f0, NULL, 0, &L), -ENOTSUP);
	cr_expect_eq(L.version_hex, 0x030c03f0);
	cr_expect_eq(bw_pyversions__layout(0x030a0cf0, NULL, 0, &L), -ENOTSUP);
	/* 3.13 without a readable runtime head. */
	cr_expect_eq(bw_pyversions__layout(0x030d05f0, NULL, 0, &L), -ENOTSUP);
}
