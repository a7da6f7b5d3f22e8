// SPDX-License-Identifier: GPL-2.0
/*
 * Go executable reader: see gobin.h. Layouts follow the Go sources of each
 * version (runtime/symtab.go, runtime/runtime2.go, cmd/link/internal/ld/pcln.go,
 * debug/buildinfo); every read from the file goes through va_ptr()/tab_*()
 * which check bounds against the mapped image.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>
#include <elfutils/libdw.h>
#include <dwarf.h>
#include "go/gobin.h"
#include "go/goversions.h"
#include "go/x86dec.h"

#define GO116_MAGIC 0xfffffffau
#define GO118_MAGIC 0xfffffff0u
#define GO120_MAGIC 0xfffffff1u
#define GO12_MAGIC 0xfffffffbu

#define PCDATA_INLTREEINDEX 2
#define FUNCDATA_INLTREE 3

#define FUNCS_MAX_ENTRIES (1u << 24)
#define WAIT_REASONS_MAX_ENTRIES 256
#define WAIT_REASON_MAX_BYTES 64

struct gb_seg {
	__u64 va;
	__u64 filesz;
	__u64 memsz;
	const __u8 *data;
	__u32 flags; /* PF_* */
};

struct gb_scn {
	const char *name;
	__u64 va;
	__u64 size;
	const __u8 *data; /* NULL for SHT_NOBITS */
	__u64 flags;	  /* SHF_* */
};

struct gb_reloc {
	__u64 off;
	__u64 addend;
};

struct gb_sym {
	const char *name;
	__u64 addr;
	__u64 size;
};

/* Offsets of the pclntab's sub-tables from the pcHeader, and their ends. */
struct gb_pcln {
	const __u8 *base; /* the pcHeader in the image */
	__u64 va;
	__u64 size; /* readable bytes from base */
	__u32 magic;
	__u32 quantum;
	__u32 nfunc;
	__u64 funcname, funcname_end;
	__u64 cu, cu_end;
	__u64 file, file_end;
	__u64 pc, pc_end;
	__u64 func, func_end; /* pclntable: the ftab, then the _func records */
	__u32 ftab_esize;     /* 8 (1.18+: two u32) or 16 (1.16: two uintptr) */
	__u32 func_hdr;	      /* sizeof(_func) before pcdata[] */
	__u32 nfuncdata_off;  /* offset of _func.nfuncdata */
};

struct bw_gobin {
	int fd;
	Elf *elf;
	const __u8 *image;
	size_t image_size;
	struct gb_seg *segs;
	size_t nsegs;
	struct gb_scn *scns;
	size_t nscns;
	struct gb_reloc *relocs; /* R_X86_64_RELATIVE, sorted by offset */
	size_t nrelocs;
	struct gb_sym *syms; /* .symtab, sorted by name */
	size_t nsyms;
	struct gb_sym rsyms[6]; /* runtime data symbols recovered without .symtab */
	size_t nrsyms;
	__u32 *by_name; /* function indices sorted by name */
	struct gb_pcln pcln;
	struct bw_goinfo info;
	struct bw_golayout layout;
	int have_layout;
	__u64 special[BW_GOSPECIAL_COUNT]; /* entries of the functions of BW_GOSPECIAL_* */
	char **wait;
	__u32 nwait;
	__u32 wait_source;
};

/* ---- bounds-checked access ---------------------------------------------- */

static __u32 le32(const __u8 *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

static __u64 le64(const __u8 *p)
{
	return (__u64)le32(p) | (__u64)le32(p + 4) << 32;
}

static const struct gb_seg *seg_of(const struct bw_gobin *gb, __u64 va, __u64 len)
{
	size_t i;

	for (i = 0; i < gb->nsegs; i++) {
		const struct gb_seg *s = &gb->segs[i];

		if (va >= s->va && va - s->va <= s->memsz && len <= s->memsz - (va - s->va))
			return s;
	}
	return NULL;
}

/* The file bytes at [va, va+len), or NULL when not all of them are in the file. */
static const __u8 *va_ptr(const struct bw_gobin *gb, __u64 va, __u64 len)
{
	const struct gb_seg *s = seg_of(gb, va, len);

	if (!s || va - s->va > s->filesz || len > s->filesz - (va - s->va))
		return NULL;
	return s->data + (va - s->va);
}

static const struct gb_reloc *reloc_at(const struct bw_gobin *gb, __u64 va)
{
	size_t lo = 0, hi = gb->nrelocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (gb->relocs[mid].off < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < gb->nrelocs && gb->relocs[lo].off == va ? &gb->relocs[lo] : NULL;
}

/*
 * A pointer stored at va as the loader would see it: the addend of a
 * R_X86_64_RELATIVE relocation there (linkers need not write it into the
 * file), else the file bytes; 0 in .bss.
 */
static int read_ptr(const struct bw_gobin *gb, __u64 va, __u64 *out)
{
	const struct gb_reloc *r = reloc_at(gb, va);
	const struct gb_seg *s;
	const __u8 *p;

	if (r) {
		*out = r->addend;
		return 0;
	}
	p = va_ptr(gb, va, 8);
	if (p) {
		*out = le64(p);
		return 0;
	}
	s = seg_of(gb, va, 8);
	if (!s || va - s->va < s->filesz)
		return -EFAULT;
	*out = 0;
	return 0;
}

static int read_u64(const struct bw_gobin *gb, __u64 va, __u64 *out)
{
	const __u8 *p = va_ptr(gb, va, 8);

	if (!p)
		return -EFAULT;
	*out = le64(p);
	return 0;
}

static int va_writable(const struct bw_gobin *gb, __u64 va, __u64 len)
{
	const struct gb_seg *s = seg_of(gb, va, len);

	return s && (s->flags & PF_W);
}

static const struct gb_scn *scn_by_name(const struct bw_gobin *gb, const char *name)
{
	size_t i;

	for (i = 0; i < gb->nscns; i++)
		if (gb->scns[i].name && !strcmp(gb->scns[i].name, name))
			return &gb->scns[i];
	return NULL;
}

static const struct gb_sym *sym_by_name(const struct bw_gobin *gb, const char *name)
{
	size_t lo = 0, hi = gb->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(gb->syms[mid].name, name);

		if (!c)
			return &gb->syms[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static __u64 sym_addr(const struct bw_gobin *gb, const char *name)
{
	const struct gb_sym *s = sym_by_name(gb, name);

	return s ? s->addr : 0;
}

/*
 * The areas scans look at: allocated sections with file bytes (or, without
 * section headers, the loaded segments), data (writable) or not.
 */
struct gb_area {
	__u64 va;
	__u64 size;
	const __u8 *data;
};

static size_t scan_areas(const struct bw_gobin *gb, int writable, int exec, struct gb_area *out,
			 size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < gb->nscns && n < max; i++) {
		const struct gb_scn *s = &gb->scns[i];

		if (!s->data || !(s->flags & SHF_ALLOC) || !s->size)
			continue;
		if (!!(s->flags & SHF_WRITE) != !!writable ||
		    !!(s->flags & SHF_EXECINSTR) != !!exec)
			continue;
		out[n++] = (struct gb_area){ s->va, s->size, s->data };
	}
	if (gb->nscns)
		return n;
	for (i = 0; i < gb->nsegs && n < max; i++) {
		const struct gb_seg *s = &gb->segs[i];

		if (!!(s->flags & PF_W) != !!writable || !!(s->flags & PF_X) != !!exec)
			continue;
		out[n++] = (struct gb_area){ s->va, s->filesz, s->data };
	}
	return n;
}

/* ---- ELF indexing ------------------------------------------------------- */

static int load_segments(struct bw_gobin *gb)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(gb->elf, &n))
		return -ENOEXEC;
	gb->segs = calloc(n ? n : 1, sizeof(*gb->segs));
	if (!gb->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct gb_seg *s = &gb->segs[gb->nsegs];

		if (!gelf_getphdr(gb->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > gb->image_size || ph.p_filesz > gb->image_size - ph.p_offset ||
		    ph.p_filesz > ph.p_memsz || ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
			continue;
		s->va = ph.p_vaddr;
		s->filesz = ph.p_filesz;
		s->memsz = ph.p_memsz;
		s->data = gb->image + ph.p_offset;
		s->flags = ph.p_flags;
		gb->nsegs++;
	}
	return gb->nsegs ? 0 : -ENOEXEC;
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct gb_reloc *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct gb_sym *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int load_sections(struct bw_gobin *gb)
{
	size_t shstrndx, n, nrel = 0, nsym = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_getshdrnum(gb->elf, &n) || elf_getshdrstrndx(gb->elf, &shstrndx))
		return 0; /* no section headers: segments only */
	gb->scns = calloc(n ? n : 1, sizeof(*gb->scns));
	if (!gb->scns)
		return -ENOMEM;
	while ((scn = elf_nextscn(gb->elf, scn))) {
		struct gb_scn *s;

		if (!gelf_getshdr(scn, &sh) || gb->nscns >= n)
			continue;
		if (sh.sh_type == SHT_RELA && sh.sh_entsize == sizeof(Elf64_Rela))
			nrel += sh.sh_size / sh.sh_entsize;
		if (sh.sh_type == SHT_SYMTAB && sh.sh_entsize == sizeof(Elf64_Sym))
			nsym += sh.sh_size / sh.sh_entsize;
		s = &gb->scns[gb->nscns++];
		s->name = elf_strptr(gb->elf, shstrndx, sh.sh_name);
		s->va = sh.sh_addr;
		s->size = sh.sh_size;
		s->flags = sh.sh_flags;
		if (sh.sh_type != SHT_NOBITS && sh.sh_offset <= gb->image_size &&
		    sh.sh_size <= gb->image_size - sh.sh_offset && !(sh.sh_flags & SHF_COMPRESSED))
			s->data = gb->image + sh.sh_offset;
	}
	if (nrel > (1u << 26) || nsym > (1u << 24))
		return -E2BIG;
	gb->relocs = calloc(nrel ? nrel : 1, sizeof(*gb->relocs));
	gb->syms = calloc(nsym ? nsym : 1, sizeof(*gb->syms));
	if (!gb->relocs || !gb->syms)
		return -ENOMEM;

	scn = NULL;
	while ((scn = elf_nextscn(gb->elf, scn))) {
		Elf_Data *d;
		size_t i, cnt;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_RELA && sh.sh_entsize == sizeof(Elf64_Rela)) {
			d = elf_getdata(scn, NULL);
			cnt = d ? d->d_size / sizeof(Elf64_Rela) : 0;
			for (i = 0; i < cnt && gb->nrelocs < nrel; i++) {
				GElf_Rela r;

				if (!gelf_getrela(d, i, &r) ||
				    GELF_R_TYPE(r.r_info) != R_X86_64_RELATIVE)
					continue;
				gb->relocs[gb->nrelocs].off = r.r_offset;
				gb->relocs[gb->nrelocs++].addend = r.r_addend;
			}
		} else if (sh.sh_type == SHT_SYMTAB && sh.sh_entsize == sizeof(Elf64_Sym)) {
			d = elf_getdata(scn, NULL);
			cnt = d ? d->d_size / sizeof(Elf64_Sym) : 0;
			for (i = 0; i < cnt && gb->nsyms < nsym; i++) {
				GElf_Sym sym;
				const char *name;

				if (!gelf_getsym(d, i, &sym) || sym.st_shndx == SHN_UNDEF ||
				    GELF_ST_TYPE(sym.st_info) == STT_SECTION ||
				    GELF_ST_TYPE(sym.st_info) == STT_FILE)
					continue;
				name = elf_strptr(gb->elf, sh.sh_link, sym.st_name);
				if (!name || !*name)
					continue;
				gb->syms[gb->nsyms].name = name;
				gb->syms[gb->nsyms].addr = sym.st_value;
				gb->syms[gb->nsyms++].size = sym.st_size;
			}
		}
	}
	qsort(gb->relocs, gb->nrelocs, sizeof(*gb->relocs), cmp_reloc);
	qsort(gb->syms, gb->nsyms, sizeof(*gb->syms), cmp_sym);
	if (gb->nsyms)
		gb->info.flags |= BW_GOBIN_SYMTAB;
	if (scn_by_name(gb, ".init"))
		gb->info.flags |= BW_GOBIN_EXTLINK; /* Go's own linker never emits .init */
	return 0;
}

/* ---- .go.buildinfo ------------------------------------------------------ */

static const char buildinfo_magic[] = "\xff Go buildinf:";

static void parse_version(struct bw_goinfo *info)
{
	const char *p = strstr(info->version, "go1.");
	char *end;

	if (!p)
		return;
	info->major = 1;
	info->minor = strtoul(p + 4, &end, 10);
	info->patch = *end == '.' ? strtoul(end + 1, NULL, 10) : 0;
}

static void set_version(struct bw_gobin *gb, const __u8 *s, __u64 len)
{
	__u64 i;

	if (len == 0 || len >= sizeof(gb->info.version))
		return;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return;
	memcpy(gb->info.version, s, len);
	gb->info.version[len] = '\0';
	parse_version(&gb->info);
}

static int read_uvarint(const __u8 *p, __u64 avail, __u64 *val)
{
	__u64 v = 0;
	__u32 i;

	for (i = 0; i < avail && i < 10; i++) {
		v |= (__u64)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*val = v;
			return i + 1;
		}
	}
	return -1;
}

/* A Go string header {ptr, len} at va: its bytes, or NULL. */
static const __u8 *go_string(const struct bw_gobin *gb, __u64 va, __u64 maxlen, __u64 *len)
{
	__u64 ptr;

	if (read_ptr(gb, va, &ptr) || read_u64(gb, va + 8, len) || *len > maxlen)
		return NULL;
	if (*len == 0)
		return (const __u8 *)"";
	return va_ptr(gb, ptr, *len);
}

static void load_buildinfo(struct bw_gobin *gb)
{
	const struct gb_scn *s = scn_by_name(gb, ".go.buildinfo");
	struct gb_area areas[32];
	const __u8 *p = NULL, *str;
	__u64 va = 0, avail = 0, len;
	size_t i, n;
	int k;

	if (s && s->data && s->size >= 32 && !memcmp(s->data, buildinfo_magic, 14)) {
		p = s->data;
		va = s->va;
		avail = s->size;
	}
	/* Without section headers: the header is 16-byte aligned in a data segment. */
	n = p ? 0 : scan_areas(gb, 1, 0, areas, 32);
	for (i = 0; i < n && !p; i++) {
		__u64 off;

		for (off = 0; off + 32 <= areas[i].size; off += 16) {
			if (!memcmp(areas[i].data + off, buildinfo_magic, 14)) {
				p = areas[i].data + off;
				va = areas[i].va + off;
				avail = areas[i].size - off;
				break;
			}
		}
	}
	if (!p || p[14] != 8 || (p[15] & 1)) /* 64-bit little-endian only */
		return;
	if (p[15] & 2) { /* 1.18+: varint length + bytes, inline */
		k = read_uvarint(p + 32, avail - 32, &len);
		if (k > 0 && len <= avail - 32 - k)
			set_version(gb, p + 32 + k, len);
		return;
	}
	/* Before 1.18: a pointer to the runtime.buildVersion string header. */
	if (read_ptr(gb, va + 16, &va))
		return;
	str = go_string(gb, va, sizeof(gb->info.version) - 1, &len);
	if (str)
		set_version(gb, str, len);
}

/* ---- the pclntab ---------------------------------------------------------- */

static int check_pcheader(const __u8 *p, __u64 avail, struct gb_pcln *t)
{
	__u64 offs[5], nfunc;
	__u32 magic;
	int i, base;

	if (avail < 72)
		return -ENOEXEC;
	magic = le32(p);
	if (p[4] || p[5] || (p[6] != 1 && p[6] != 2 && p[6] != 4) || p[7] != 8)
		return -ENOEXEC;
	if (magic == GO12_MAGIC)
		return -EOPNOTSUPP;
	if (magic != GO116_MAGIC && magic != GO118_MAGIC && magic != GO120_MAGIC)
		return -ENOEXEC;
	nfunc = le64(p + 8);
	if (!nfunc || nfunc > FUNCS_MAX_ENTRIES)
		return -ENOEXEC;
	base = magic == GO116_MAGIC ? 24 : 32; /* 1.18+ has textStart at 24 */
	for (i = 0; i < 5; i++) {
		offs[i] = le64(p + base + 8 * i);
		if (offs[i] < (__u64)base + 40 || offs[i] > avail || (i && offs[i] < offs[i - 1]))
			return -ENOEXEC;
	}
	memset(t, 0, sizeof(*t));
	t->base = p;
	t->size = avail;
	t->magic = magic;
	t->quantum = p[6];
	t->nfunc = nfunc;
	t->funcname = offs[0];
	t->funcname_end = offs[1];
	t->cu = offs[1];
	t->cu_end = offs[2];
	t->file = offs[2];
	t->file_end = offs[3];
	t->pc = offs[3];
	t->pc_end = offs[4];
	t->func = offs[4];
	t->func_end = avail;
	t->ftab_esize = magic == GO116_MAGIC ? 16 : 8;
	/* sizeof(_func) without pcdata[]: 1.16-1.17: 44 (entry is a uintptr),
	 * 1.18-1.19: 40, 1.20+: 44 (startLine). nfuncdata is its last byte. */
	t->func_hdr = magic == GO118_MAGIC ? 40 : 44;
	t->nfuncdata_off = t->func_hdr - 1;
	if ((t->nfunc + 1) * (__u64)t->ftab_esize > t->func_end - t->func)
		return -ENOEXEC;
	return 0;
}

static __u64 ftab_entry(const struct bw_gobin *gb, __u32 i)
{
	const struct gb_pcln *t = &gb->pcln;
	__u64 off = t->func + (__u64)i * t->ftab_esize, v = 0;

	if (t->magic == GO116_MAGIC) {
		if (read_ptr(gb, t->va + off, &v))
			return 0;
		return v;
	}
	return gb->info.text_start + le32(t->base + off);
}

static __u64 ftab_funcoff(const struct bw_gobin *gb, __u32 i)
{
	const struct gb_pcln *t = &gb->pcln;
	__u64 off = t->func + (__u64)i * t->ftab_esize;

	if (t->magic == GO116_MAGIC)
		return le64(t->base + off + 8);
	return le32(t->base + off + 4);
}

/* A located _func record: offset from the pcHeader, checked to fit. */
struct gb_func {
	__u64 off;
	__u64 entry;
	__u64 end;
	__u32 npcdata;
	__u32 nfuncdata;
};

/* Fixed fields of _func, by version: offsets from the record start. */
enum { F_NAMEOFF, F_PCFILE, F_PCLN, F_NPCDATA, F_CUOFF, F_ARGS, F_DEFERRETURN, F_PCSP };

static __u32 func_field(const struct bw_gobin *gb, const struct gb_func *f, int field)
{
	/* 1.16-1.17: entry u64 @0, nameoff @8, args, deferreturn, pcsp @20,
	 * pcfile @24, pcln @28, npcdata @32, cuOffset @36.
	 * 1.18+: entryOff @0, nameOff @4, args, deferreturn, pcsp @16, pcfile @20,
	 * pcln @24, npcdata @28, cuOffset @32. */
	static const __u8 off116[] = { 8, 24, 28, 32, 36, 12, 16, 20 };
	static const __u8 off118[] = { 4, 20, 24, 28, 32, 8, 12, 16 };
	const __u8 *o = gb->pcln.magic == GO116_MAGIC ? off116 : off118;

	return le32(gb->pcln.base + f->off + o[field]);
}

static int func_rec(const struct bw_gobin *gb, __u32 idx, struct gb_func *f)
{
	const struct gb_pcln *t = &gb->pcln;
	__u64 fo;

	if (idx >= t->nfunc)
		return -ENOENT;
	fo = ftab_funcoff(gb, idx);
	if (fo > t->func_end - t->func || t->func_hdr > t->func_end - t->func - fo)
		return -ENOENT;
	f->off = t->func + fo;
	f->entry = ftab_entry(gb, idx);
	f->end = ftab_entry(gb, idx + 1);
	f->npcdata = func_field(gb, f, F_NPCDATA);
	f->nfuncdata = t->base[f->off + t->nfuncdata_off];
	return 0;
}

/* A NUL-terminated string at off in the sub-table [start, end), or NULL. */
static const char *tab_str(const struct gb_pcln *t, __u64 start, __u64 end, __u64 off)
{
	const __u8 *p;

	if (off >= end - start)
		return NULL;
	p = t->base + start + off;
	if (!memchr(p, 0, end - start - off))
		return NULL;
	return (const char *)p;
}

static const char *func_name(const struct bw_gobin *gb, const struct gb_func *f)
{
	const struct gb_pcln *t = &gb->pcln;
	const char *s = tab_str(t, t->funcname, t->funcname_end, func_field(gb, f, F_NAMEOFF));

	return s ? s : "";
}

static int step_varint(const struct gb_pcln *t, __u64 *pos, __u32 *val)
{
	__u32 v = 0, shift = 0;

	while (*pos < t->pc_end && shift < 35) {
		__u8 b = t->base[(*pos)++];

		v |= (__u32)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*val = v;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

/*
 * runtime.pcvalue: the value of the table at off (in pctab) for targetpc;
 * -1 when there is no table or targetpc is past its end.
 */
static __s32 pcvalue(const struct bw_gobin *gb, const struct gb_func *f, __u32 off, __u64 targetpc)
{
	const struct gb_pcln *t = &gb->pcln;
	__u64 pos, pc = f->entry;
	__s32 val = -1;

	if (!off || off >= t->pc_end - t->pc)
		return -1;
	pos = t->pc + off;
	for (;;) {
		__u32 uv, pcd;

		if (step_varint(t, &pos, &uv))
			return -1;
		if (uv == 0 && pc != f->entry) /* "first" is pc == entry, as in the runtime */
			return -1;
		val = (__s32)((__u32)val + (-(uv & 1) ^ (uv >> 1))); /* wraps, as Go's int32 */
		if (step_varint(t, &pos, &pcd))
			return -1;
		pc += (__u64)pcd * t->quantum;
		if (targetpc < pc)
			return val;
	}
}

static __u32 pcdata_off(const struct bw_gobin *gb, const struct gb_func *f, __u32 i)
{
	const struct gb_pcln *t = &gb->pcln;
	__u64 o = f->off + t->func_hdr + 4ull * i;

	if (i >= f->npcdata || o + 4 > t->func_end)
		return 0;
	return le32(t->base + o);
}

/* Address of funcdata i, 0 if none. */
static __u64 funcdata(const struct bw_gobin *gb, const struct gb_func *f, __u32 i)
{
	const struct gb_pcln *t = &gb->pcln;
	__u64 o = f->off + t->func_hdr + 4ull * f->npcdata, va;
	__u32 off;

	if (i >= f->nfuncdata)
		return 0;
	if (t->magic == GO116_MAGIC) { /* uintptr pointers, 8-aligned */
		va = t->va + o;
		if (va & 4)
			va += 4;
		if (read_ptr(gb, va + 8ull * i, &va))
			return 0;
		return va;
	}
	o += 4ull * i;
	if (o + 4 > t->func_end || !gb->info.gofunc)
		return 0;
	off = le32(t->base + o);
	return off == ~0u ? 0 : gb->info.gofunc + off;
}

static void func_line(const struct bw_gobin *gb, const struct gb_func *f, __u64 pc,
		      struct bw_gofunc *out)
{
	const struct gb_pcln *t = &gb->pcln;
	__s32 fileno = pcvalue(gb, f, func_field(gb, f, F_PCFILE), pc);
	__s32 line = pcvalue(gb, f, func_field(gb, f, F_PCLN), pc);
	const char *file = NULL;

	out->file = "";
	out->line = line > 0 ? line : 0;
	if (fileno >= 0) {
		__u64 ci = (__u64)func_field(gb, f, F_CUOFF) + (__u32)fileno;

		if (ci < (t->cu_end - t->cu) / 4) {
			__u32 fo = le32(t->base + t->cu + 4 * ci);

			if (fo != ~0u)
				file = tab_str(t, t->file, t->file_end, fo);
		}
	}
	if (file)
		out->file = file;
}

static int find_func(const struct bw_gobin *gb, __u64 pc, struct gb_func *f)
{
	__u32 lo = 0, hi = gb->pcln.nfunc;

	if (pc < ftab_entry(gb, 0) || pc >= ftab_entry(gb, gb->pcln.nfunc))
		return -ENOENT;
	while (hi - lo > 1) { /* largest i with entry(i) <= pc */
		__u32 mid = lo + (hi - lo) / 2;

		if (ftab_entry(gb, mid) <= pc)
			lo = mid;
		else
			hi = mid;
	}
	if (func_rec(gb, lo, f) || pc < f->entry || pc >= f->end)
		return -ENOENT;
	return 0;
}

int bw_gobin__func(const struct bw_gobin *gb, __u64 pc, struct bw_gofunc *out)
{
	struct gb_func f;
	int err;

	memset(out, 0, sizeof(*out));
	out->name = out->file = "";
	err = find_func(gb, pc, &f);
	if (err)
		return err;
	out->name = func_name(gb, &f);
	out->entry = f.entry;
	out->end = f.end;
	func_line(gb, &f, pc, out);
	return 0;
}

static const char *const special_names[BW_GOSPECIAL_COUNT] = {
	[BW_GOSPECIAL_GOEXIT] = "runtime.goexit",
	[BW_GOSPECIAL_ASYNC_PREEMPT] = "runtime.asyncPreempt",
	[BW_GOSPECIAL_SIGPANIC] = "runtime.sigpanic",
	[BW_GOSPECIAL_DEBUG_CALL] = "runtime.debugCallV2",
	[BW_GOSPECIAL_REFLECT_CALL] = "reflect.makeFuncStub",
};

static int func_by_name(const struct bw_gobin *gb, const char *name, struct gb_func *f);

static void find_specials(struct bw_gobin *gb)
{
	struct gb_func f;
	int i;

	for (i = 1; i < BW_GOSPECIAL_COUNT; i++)
		if (!func_by_name(gb, special_names[i], &f))
			gb->special[i] = f.entry;
	if (!func_by_name(gb, "reflect.methodValueCall", &f))
		gb->special[0] = f.entry; /* the other reflect stub: slot 0 is unused */
}

int bw_gobin__funcinfo(const struct bw_gobin *gb, __u64 pc, struct bw_gofuncinfo *out)
{
	struct gb_func f;
	int i;

	if (find_func(gb, pc, &f))
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->entry = f.entry;
	out->end = f.end;
	out->args = (__s32)func_field(gb, &f, F_ARGS);
	out->deferreturn = func_field(gb, &f, F_DEFERRETURN);
	/* funcID, flag, pad, nfuncdata end the fixed part; 1.16 had no flag. */
	if (!(gb->info.major == 1 && gb->info.minor == 16))
		out->flag = gb->pcln.base[f.off + gb->pcln.nfuncdata_off - 2];
	for (i = 1; i < BW_GOSPECIAL_COUNT; i++)
		if (gb->special[i] && gb->special[i] == f.entry)
			out->special = i;
	if (gb->special[0] && gb->special[0] == f.entry)
		out->special = BW_GOSPECIAL_REFLECT_CALL;
	out->rec_off = f.off;
	out->rec_npcdata = f.npcdata;
	out->rec_nfuncdata = f.nfuncdata;
	return 0;
}

static void rec_of(const struct bw_gofuncinfo *fi, struct gb_func *f)
{
	f->off = fi->rec_off;
	f->entry = fi->entry;
	f->end = fi->end;
	f->npcdata = fi->rec_npcdata;
	f->nfuncdata = fi->rec_nfuncdata;
}

__s32 bw_gobin__pcvalue(const struct bw_gobin *gb, const struct bw_gofuncinfo *fi, int table,
			__u64 pc)
{
	struct gb_func f;

	rec_of(fi, &f);
	if (table == BW_GOPC_SP)
		return pcvalue(gb, &f, func_field(gb, &f, F_PCSP), pc);
	if (table < 0)
		return -1;
	return pcvalue(gb, &f, pcdata_off(gb, &f, table), pc);
}

__u64 bw_gobin__funcdata(const struct bw_gobin *gb, const struct bw_gofuncinfo *fi, __u32 i)
{
	struct gb_func f;

	rec_of(fi, &f);
	return funcdata(gb, &f, i);
}

const __u8 *bw_gobin__bytes(const struct bw_gobin *gb, __u64 va, __u64 *avail)
{
	const struct gb_seg *s = seg_of(gb, va, 0);

	if (!s || va - s->va >= s->filesz)
		return NULL;
	*avail = s->filesz - (va - s->va);
	return s->data + (va - s->va);
}

int bw_gobin__module(const struct bw_gobin *gb, struct bw_gomodule *out)
{
	struct bw_golayout t;
	const struct bw_golayout *l = &gb->layout;
	__u64 md = gb->info.moduledata;

	if (!md)
		return -ENOENT;
	if (!gb->have_layout || l->md_data < 0 || l->md_gcbss < 0 || l->md_rodata < 0) {
		if (bw_goversion_moduledata(gb->info.major, gb->info.minor, &t))
			return -ENOENT;
		l = &t;
	}
	memset(out, 0, sizeof(*out));
	if (read_ptr(gb, md + l->md_data, &out->data) ||
	    read_ptr(gb, md + l->md_edata, &out->edata) ||
	    read_ptr(gb, md + l->md_bss, &out->bss) || read_ptr(gb, md + l->md_ebss, &out->ebss) ||
	    read_ptr(gb, md + l->md_gcdata, &out->gcdata) ||
	    read_ptr(gb, md + l->md_gcbss, &out->gcbss) ||
	    read_ptr(gb, md + l->md_types, &out->types) ||
	    read_ptr(gb, md + l->md_rodata, &out->rodata))
		return -ENOENT;
	out->gofunc = gb->info.gofunc;
	if (out->edata < out->data || out->ebss < out->bss)
		return -ENOENT;
	return 0;
}

int bw_gobin__func_at(const struct bw_gobin *gb, __u32 idx, struct bw_gofunc *out)
{
	struct gb_func f;
	int err;

	memset(out, 0, sizeof(*out));
	out->name = out->file = "";
	err = func_rec(gb, idx, &f);
	if (err)
		return err;
	out->name = func_name(gb, &f);
	out->entry = f.entry;
	out->end = f.end;
	func_line(gb, &f, f.entry, out);
	return 0;
}

int bw_gobin__frames(const struct bw_gobin *gb, __u64 pc, struct bw_gofunc *out, int max)
{
	const struct gb_pcln *t = &gb->pcln;
	__u64 inltree, cur = pc;
	struct gb_func f;
	__u32 ixtab;
	int n = 0, err;

	if (max < 1)
		return -EINVAL;
	err = find_func(gb, pc, &f);
	if (err)
		return err;
	inltree = funcdata(gb, &f, FUNCDATA_INLTREE);
	ixtab = pcdata_off(gb, &f, PCDATA_INLTREEINDEX);
	while (n < max) {
		struct bw_gofunc *o = &out[n++];
		__s32 ix = inltree ? pcvalue(gb, &f, ixtab, cur) : -1;
		__u32 esize = t->magic == GO120_MAGIC ? 16 : 20;
		const __u8 *ic;
		const char *name;
		__s32 parent_pc;

		memset(o, 0, sizeof(*o));
		o->entry = f.entry;
		o->end = f.end;
		func_line(gb, &f, cur, o);
		ic = ix >= 0 ? va_ptr(gb, inltree + (__u64)ix * esize, esize) : NULL;
		if (!ic) {
			o->name = func_name(gb, &f);
			break;
		}
		/* 1.20+: {funcID u8, _ [3]u8, nameOff i32, parentPc i32, startLine i32};
		 * before: {parent i16, funcID u8, _ u8, file i32, line i32, func_ i32,
		 * parentPc i32}. Both name offsets index funcnametab. */
		if (esize == 16) {
			name = tab_str(t, t->funcname, t->funcname_end, le32(ic + 4));
			parent_pc = (__s32)le32(ic + 8);
		} else {
			name = tab_str(t, t->funcname, t->funcname_end, le32(ic + 12));
			parent_pc = (__s32)le32(ic + 16);
		}
		o->name = name ? name : "";
		o->inlined = 1;
		if (parent_pc < 0 || f.entry + (__u32)parent_pc >= f.end)
			break;
		cur = f.entry + (__u32)parent_pc;
	}
	return n;
}

static int cmp_func_name(const void *a, const void *b, void *arg)
{
	const struct bw_gobin *gb = arg;
	struct gb_func fa, fb;
	const char *na = "", *nb = "";

	if (!func_rec(gb, *(const __u32 *)a, &fa))
		na = func_name(gb, &fa);
	if (!func_rec(gb, *(const __u32 *)b, &fb))
		nb = func_name(gb, &fb);
	return strcmp(na, nb);
}

static int validate_ftab(const struct bw_gobin *gb)
{
	__u64 prev = 0, e;
	__u32 i;

	for (i = 0; i <= gb->pcln.nfunc; i++) {
		e = ftab_entry(gb, i);
		if (e < prev)
			return -ENOEXEC;
		prev = e;
	}
	return 0;
}

static int index_funcs(struct bw_gobin *gb)
{
	__u32 i, n = gb->pcln.nfunc;

	gb->by_name = calloc(n, sizeof(*gb->by_name));
	if (!gb->by_name)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		gb->by_name[i] = i;
	qsort_r(gb->by_name, n, sizeof(*gb->by_name), cmp_func_name, gb);
	return 0;
}

static int func_by_name(const struct bw_gobin *gb, const char *name, struct gb_func *f)
{
	__u32 lo = 0, hi = gb->pcln.nfunc;

	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;
		int c;

		if (func_rec(gb, gb->by_name[mid], f))
			return -ENOENT;
		c = strcmp(func_name(gb, f), name);
		if (!c)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

/*
 * Finds the pcHeader: the .gopclntab section (.data.rel.ro.gopclntab in PIE up
 * to 1.25), the runtime.pcheader/runtime.pclntab symbol, else a scan for the
 * magic in read-only data (externally linked PIE has no section for it).
 */
static int find_pclntab(struct bw_gobin *gb)
{
	static const char *const scns[] = { ".gopclntab", ".data.rel.ro.gopclntab" };
	static const char *const syms[] = { "runtime.pcheader", "runtime.pclntab" };
	struct gb_area areas[64];
	int err, last = -ENOEXEC, tries = 0;
	size_t i, n, k;

	for (i = 0; i < 2; i++) {
		const struct gb_scn *s = scn_by_name(gb, scns[i]);

		if (!s || !s->data)
			continue;
		err = check_pcheader(s->data, s->size, &gb->pcln);
		if (!err) {
			gb->pcln.va = s->va;
			return 0;
		}
		last = err;
	}
	for (i = 0; i < 2; i++) {
		__u64 va = sym_addr(gb, syms[i]);
		const struct gb_seg *sg = va ? seg_of(gb, va, 0) : NULL;
		const __u8 *p;

		if (!sg || va - sg->va >= sg->filesz)
			continue;
		p = sg->data + (va - sg->va);
		err = check_pcheader(p, sg->filesz - (va - sg->va), &gb->pcln);
		if (!err) {
			gb->pcln.va = va;
			return 0;
		}
		last = err;
	}
	for (k = 0; k < 2; k++) { /* read-only data first, then writable */
		n = scan_areas(gb, k, 0, areas, 64);
		for (i = 0; i < n; i++) {
			__u64 off;

			for (off = 0; off + 72 <= areas[i].size; off += 8) {
				const __u8 *p = areas[i].data + off;

				if (p[1] != 0xff || p[2] != 0xff || p[3] != 0xff)
					continue;
				/* An old magic found by scanning is more likely noise. */
				if (check_pcheader(p, areas[i].size - off, &gb->pcln))
					continue;
				/* A stray magic elsewhere would rarely have a sorted ftab. */
				gb->pcln.va = areas[i].va + off;
				gb->info.text_start =
					gb->pcln.magic == GO116_MAGIC ? 0 : le64(p + 24);
				if (!validate_ftab(gb))
					return 0;
				if (++tries >= 16) /* each costs O(nfunc): bound the work */
					return last;
			}
		}
	}
	return last;
}

/*
 * runtime.firstmoduledata: its first field points to the pcHeader, the
 * second (funcnametab.ptr) to pcHeader + funcnameOffset. From the symbol, the
 * .go.module section (1.26), or a scan of the data sections and relocations.
 */
static void find_moduledata(struct bw_gobin *gb)
{
	const struct gb_pcln *t = &gb->pcln;
	const struct gb_scn *s;
	struct gb_area areas[32];
	__u64 va, v;
	size_t i, n;

	va = sym_addr(gb, "runtime.firstmoduledata");
	if (!va && (s = scn_by_name(gb, ".go.module")))
		va = s->va;
	if (va && !read_ptr(gb, va, &v) && v == t->va) {
		gb->info.moduledata = va;
		return;
	}
	for (i = 0; i < gb->nrelocs; i++) {
		if (gb->relocs[i].addend != t->va)
			continue;
		va = gb->relocs[i].off;
		if (!read_ptr(gb, va + 8, &v) && v == t->va + t->funcname) {
			gb->info.moduledata = va;
			return;
		}
	}
	n = scan_areas(gb, 1, 0, areas, 32);
	for (i = 0; i < n; i++) {
		__u64 off;

		for (off = 0; off + 16 <= areas[i].size; off += 8) {
			if (le64(areas[i].data + off) != t->va ||
			    le64(areas[i].data + off + 8) != t->va + t->funcname)
				continue;
			gb->info.moduledata = areas[i].va + off;
			return;
		}
	}
}

/*
 * Text start (base of 1.18+ entry offsets): runtime.text, else
 * moduledata.text, else the header's textStart (gone in 1.26), else .text.
 * gofunc (base of 1.18+ funcdata offsets): go:func.* / go.func.*, else
 * moduledata.gofunc (@304 in 1.18-1.19, @320 in 1.20-1.26, @344 in 1.27).
 */
static void find_bases(struct bw_gobin *gb)
{
	const struct gb_pcln *t = &gb->pcln;
	const struct gb_scn *s;
	__u64 md = gb->info.moduledata, v;
	struct bw_golayout ml;

	gb->info.text_start = sym_addr(gb, "runtime.text");
	if (!gb->info.text_start && md && !read_ptr(gb, md + 176, &v))
		gb->info.text_start = v;
	if (!gb->info.text_start && t->magic != GO116_MAGIC &&
	    !(gb->info.major == 1 && gb->info.minor >= 26) && !read_ptr(gb, t->va + 24, &v))
		gb->info.text_start = v;
	if (!gb->info.text_start && (s = scn_by_name(gb, ".text")))
		gb->info.text_start = s->va;
	if (t->magic == GO116_MAGIC) { /* funcdata are pointers: no gofunc needed */
		gb->info.flags |= BW_GOBIN_INLINE;
		return;
	}

	gb->info.gofunc = sym_addr(gb, "go:func.*");
	if (!gb->info.gofunc)
		gb->info.gofunc = sym_addr(gb, "go.func.*");
	if (!gb->info.gofunc && md &&
	    !bw_goversion_moduledata(gb->info.major, gb->info.minor, &ml) && ml.md_gofunc >= 0 &&
	    !read_ptr(gb, md + ml.md_gofunc, &v) && va_ptr(gb, v, 1) && !va_writable(gb, v, 1))
		gb->info.gofunc = v;
	if (gb->info.gofunc)
		gb->info.flags |= BW_GOBIN_INLINE;
}

/* ---- runtime data symbols without .symtab --------------------------------- */

#define INSNS_MAX_ENTRIES 4096

/* Decodes the function name from its entry; returns how many instructions. */
static int decode_func(const struct bw_gobin *gb, const char *name, struct bw_x86_insn *ins,
		       __u64 *pcs, int max)
{
	struct gb_func f;
	const __u8 *code;
	__u64 pc, len;
	int n = 0;

	if (func_by_name(gb, name, &f) || f.end <= f.entry || f.end - f.entry > 65536)
		return 0;
	len = f.end - f.entry;
	code = va_ptr(gb, f.entry, len);
	if (!code)
		return 0;
	for (pc = f.entry; pc < f.end && n < max; n++) {
		if (bw_x86_decode(code + (pc - f.entry), f.end - pc, pc, &ins[n]))
			break;
		pcs[n] = pc;
		pc += ins[n].len;
	}
	return n;
}

static void add_rsym(struct bw_gobin *gb, const char *name, __u64 addr, __u64 size)
{
	if (gb->nrsyms < sizeof(gb->rsyms) / sizeof(gb->rsyms[0]))
		gb->rsyms[gb->nrsyms++] = (struct gb_sym){ name, addr, size };
}

/*
 * runtime.allgadd: `allgs = append(allgs, gp)` touches allgs, +8 and +16;
 * `atomic.Storeuintptr(&allglen, ...)` is the last LEA+XCHG pair (the one
 * before stores allgptr, which is also compared against allgs[0]).
 * runtime.mcommoninit: `atomicstorep(&allm, mp)` is a LEA+XCHG pair on a
 * global that was loaded earlier (`mp.alllink = allm`).
 */
static void recover_allgs(struct bw_gobin *gb)
{
	struct bw_x86_insn *ins = calloc(INSNS_MAX_ENTRIES, sizeof(*ins));
	__u64 *pcs = calloc(INSNS_MAX_ENTRIES, sizeof(*pcs)), allgs = 0, allglen = 0, allm = 0;
	int n, i;

	if (!ins || !pcs)
		goto cleanup;
	n = decode_func(gb, "runtime.allgadd", ins, pcs, INSNS_MAX_ENTRIES);
	for (i = 0; i < n && !allgs; i++) {
		__u64 t = ins[i].target;

		if (ins[i].rip_rel && va_writable(gb, t, 24) && bw_x86_refs(ins, n, t + 8) &&
		    bw_x86_refs(ins, n, t + 16) && !(t & 7))
			allgs = t;
	}
	for (i = 0; allgs && i < n; i++) {
		__u64 t = ins[i].target;

		if (bw_x86_lea_xchg(ins, n, i) && va_writable(gb, t, 8) && t != allgs &&
		    !bw_x86_refs_op(ins, n, t, 0x39) && !bw_x86_refs_op(ins, n, t, 0x3b))
			allglen = t;
	}
	n = decode_func(gb, "runtime.mcommoninit", ins, pcs, INSNS_MAX_ENTRIES);
	for (i = 0; i < n && !allm; i++) {
		__u64 t = ins[i].target;

		if (bw_x86_lea_xchg(ins, n, i) && va_writable(gb, t, 8) &&
		    bw_x86_refs_op(ins, i, t, 0x8b))
			allm = t;
	}
	if (allgs)
		add_rsym(gb, "runtime.allgs", allgs, 24);
	if (allglen)
		add_rsym(gb, "runtime.allglen", allglen, 8);
	if (allm)
		add_rsym(gb, "runtime.allm", allm, 8);
cleanup:
	free(ins);
	free(pcs);
}

size_t bw_gobin__slice_refs(const struct bw_gobin *gb, const char *func, __u64 *out, size_t max)
{
	struct bw_x86_insn *ins = calloc(INSNS_MAX_ENTRIES, sizeof(*ins));
	__u64 *pcs = calloc(INSNS_MAX_ENTRIES, sizeof(*pcs));
	size_t k = 0, j;
	int n, i;

	if (!ins || !pcs)
		goto cleanup;
	n = decode_func(gb, func, ins, pcs, INSNS_MAX_ENTRIES);
	for (i = 0; i < n && k < max; i++) {
		__u64 t = ins[i].target;

		if (!ins[i].rip_rel || (t & 7) || !va_writable(gb, t, 24) ||
		    !bw_x86_refs(ins, n, t + 8))
			continue;
		for (j = 0; j < k && out[j] != t; j++)
			;
		if (j == k)
			out[k++] = t;
	}
cleanup:
	free(ins);
	free(pcs);
	return k;
}

static int wait_reason_ok(const __u8 *s, __u64 len)
{
	__u64 i;

	if (!s || len == 0 || len > WAIT_REASON_MAX_BYTES)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * runtime.waitReasonStrings in a binary without symbols: entry 1 is
 * "GC assist marking" ({ptr, 17}), entry 0 the empty string. The array ends
 * at the first entry that is not a printable non-empty string (in 1.19-1.26
 * the next data is an empty string header).
 */
static void recover_wait_reasons(struct bw_gobin *gb)
{
	static const char gcam[] = "GC assist marking";
	struct gb_area areas[32];
	size_t i, na = scan_areas(gb, 1, 0, areas, 32);
	__u64 len, va;
	__u32 cnt;

	for (i = 0; i < na; i++) {
		__u64 off;

		for (off = 16; off + 16 <= areas[i].size; off += 8) {
			const __u8 *s;

			if (le64(areas[i].data + off + 8) != 17 || le64(areas[i].data + off - 8))
				continue;
			va = areas[i].va + off;
			s = go_string(gb, va, 17, &len);
			if (!s || len != 17 || memcmp(s, gcam, 17))
				continue;
			va -= 16;
			for (cnt = 1; cnt < WAIT_REASONS_MAX_ENTRIES; cnt++) {
				s = go_string(gb, va + 16 * cnt, WAIT_REASON_MAX_BYTES, &len);
				if (!wait_reason_ok(s, len))
					break;
			}
			add_rsym(gb, "runtime.waitReasonStrings", va, 16ull * cnt);
			return;
		}
	}
}

/* runtime.buildVersion: a string header {ptr, len} holding the version. */
static void recover_build_version(struct bw_gobin *gb)
{
	__u64 vlen = strlen(gb->info.version), len;
	struct gb_area areas[32];
	size_t i, na;

	if (!vlen)
		return;
	na = scan_areas(gb, 1, 0, areas, 32);
	for (i = 0; i < na; i++) {
		__u64 off;

		for (off = 0; off + 16 <= areas[i].size; off += 8) {
			const __u8 *s;

			if (le64(areas[i].data + off + 8) != vlen)
				continue;
			s = go_string(gb, areas[i].va + off, vlen, &len);
			if (s && len == vlen && !memcmp(s, gb->info.version, vlen)) {
				add_rsym(gb, "runtime.buildVersion", areas[i].va + off, 16);
				return;
			}
		}
	}
}

/* ---- wait reasons ----------------------------------------------------------- */

static int set_wait_reasons_file(struct bw_gobin *gb)
{
	__u64 va, size, len;
	__u32 i, n;

	if (bw_gobin__lookup(gb, "runtime.waitReasonStrings", &va, &size) || size < 32 || size % 16)
		return -ENOENT;
	n = size / 16 > WAIT_REASONS_MAX_ENTRIES ? WAIT_REASONS_MAX_ENTRIES : size / 16;
	gb->wait = calloc(n, sizeof(*gb->wait));
	if (!gb->wait)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const __u8 *s = go_string(gb, va + 16ull * i, WAIT_REASON_MAX_BYTES, &len);

		if (!s || (len && !wait_reason_ok(s, len)))
			break;
		gb->wait[i] = strndup((const char *)s, len);
		if (!gb->wait[i])
			return -ENOMEM;
	}
	gb->nwait = i;
	gb->wait_source = BW_GOWAIT_FILE;
	return i > 1 ? 0 : -ENOENT;
}

static int set_wait_reasons_table(struct bw_gobin *gb)
{
	const char *const *names;
	__u32 i, count;

	if (bw_goversion_wait_reasons(gb->info.major, gb->info.minor, &names, &count))
		return -ENOENT;
	gb->wait = calloc(count, sizeof(*gb->wait));
	if (!gb->wait)
		return -ENOMEM;
	for (i = 0; i < count && names[i]; i++) {
		gb->wait[i] = strdup(names[i]);
		if (!gb->wait[i])
			return -ENOMEM;
	}
	gb->nwait = i;
	gb->wait_source = BW_GOWAIT_TABLE;
	return 0;
}

static void free_wait(struct bw_gobin *gb)
{
	__u32 i;

	if (!gb->wait)
		return;
	for (i = 0; i < gb->nwait; i++)
		free(gb->wait[i]);
	free(gb->wait);
	gb->wait = NULL;
	gb->nwait = 0;
}

__u32 bw_gobin__nwait_reasons(const struct bw_gobin *gb, __u32 *source)
{
	if (source)
		*source = gb->wait_source;
	return gb->nwait;
}

const char *bw_gobin__wait_reason(const struct bw_gobin *gb, __u32 index)
{
	return index < gb->nwait ? gb->wait[index] : NULL;
}

int bw_gobin__wait_reason_index(const struct bw_gobin *gb, const char *name)
{
	__u32 i;

	for (i = 0; i < gb->nwait; i++)
		if (!strcmp(gb->wait[i], name))
			return i;
	return -ENOENT;
}

/* ---- runtime.g layout -------------------------------------------------------- */

struct dw_field {
	const char *type;
	const char *member;
	__s32 *dst;
};

static void dwarf_members(Dwarf_Die *type, const struct dw_field *fields, size_t nfields,
			  __u32 *size)
{
	const char *tname = dwarf_diename(type);
	Dwarf_Die m;
	size_t i;

	if (size && dwarf_bytesize(type) > 0)
		*size = dwarf_bytesize(type);
	if (dwarf_child(type, &m))
		return;
	do {
		const char *mname;
		Dwarf_Attribute attr;
		Dwarf_Word off;

		if (dwarf_tag(&m) != DW_TAG_member || !(mname = dwarf_diename(&m)))
			continue;
		if (!dwarf_attr(&m, DW_AT_data_member_location, &attr) ||
		    dwarf_formudata(&attr, &off) ||
		    off > 1u << 24) /* heapArena.spans sits past a 2 MiB bitmap in 1.19 */
			continue;
		for (i = 0; i < nfields; i++)
			if (!strcmp(fields[i].type, tname) && !strcmp(fields[i].member, mname))
				*fields[i].dst = off;
	} while (dwarf_siblingof(&m, &m) == 0);
}

static int layout_dwarf(struct bw_gobin *gb, struct bw_golayout *l)
{
	const struct dw_field fields[] = {
		{ "runtime.g", "m", &l->g_m },
		{ "runtime.g", "sched", &l->g_sched },
		{ "runtime.g", "atomicstatus", &l->g_atomicstatus },
		{ "runtime.g", "goid", &l->g_goid },
		{ "runtime.g", "waitsince", &l->g_waitsince },
		{ "runtime.g", "waitreason", &l->g_waitreason },
		{ "runtime.g", "parentGoid", &l->g_parent_goid },
		{ "runtime.g", "gopc", &l->g_gopc },
		{ "runtime.g", "startpc", &l->g_startpc },
		{ "runtime.g", "waiting", &l->g_waiting },
		{ "runtime.g", "stack", &l->g_stack_lo },
		{ "runtime.stack", "hi", &l->g_stack_hi },
		{ "runtime.gobuf", "sp", &l->gobuf_sp },
		{ "runtime.gobuf", "pc", &l->gobuf_pc },
		{ "runtime.gobuf", "bp", &l->gobuf_bp },
		{ "runtime.m", "procid", &l->m_procid },
		{ "runtime.m", "curg", &l->m_curg },
		{ "runtime.m", "alllink", &l->m_alllink },
		{ "runtime.sudog", "c", &l->sudog_c },
		{ "runtime.sudog", "isSelect", &l->sudog_is_select },
		{ "runtime.g", "trackingSeq", &l->g_tracking_seq },
		{ "runtime.sudog", "waitlink", &l->sudog_waitlink },
		{ "runtime.mheap", "arenas", &l->mheap_arenas },
		{ "runtime.heapArena", "spans", &l->heaparena_spans },
		{ "runtime.mspan", "startAddr", &l->mspan_startaddr },
		{ "runtime.mspan", "elemsize", &l->mspan_elemsize },
		{ "runtime.moduledata", "data", &l->md_data },
		{ "runtime.moduledata", "edata", &l->md_edata },
		{ "runtime.moduledata", "bss", &l->md_bss },
		{ "runtime.moduledata", "ebss", &l->md_ebss },
		{ "runtime.moduledata", "gcdata", &l->md_gcdata },
		{ "runtime.moduledata", "gcbss", &l->md_gcbss },
		{ "runtime.moduledata", "types", &l->md_types },
		{ "runtime.moduledata", "rodata", &l->md_rodata },
		{ "runtime.moduledata", "gofunc", &l->md_gofunc },
		{ "runtime.mspan", "npages", &l->mspan_npages },
		{ "runtime.mspan", "spanclass", &l->mspan_spanclass },
		{ "runtime.mspan", "largeType", &l->mspan_largetype },
		{ "runtime.g", "syscallsp", &l->g_syscallsp },
		{ "runtime.g", "syscallpc", &l->g_syscallpc },
		{ "runtime.gobuf", "ctxt", &l->gobuf_ctxt },
	};
	static const char *const types[] = { "runtime.g",	  "runtime.stack",
					     "runtime.gobuf",	  "runtime.m",
					     "runtime.sudog",	  "runtime.mheap",
					     "runtime.heapArena", "runtime.mspan",
					     "runtime.moduledata" };
	const unsigned int all = (1u << (sizeof(types) / sizeof(types[0]))) - 1;
	Dwarf *dw = dwarf_begin_elf(gb->elf, DWARF_C_READ, NULL);
	Dwarf_Off off = 0, next;
	unsigned int found = 0;
	size_t hsize, i;
	__s32 *p;

	if (!dw)
		return -ENOENT;
	for (p = &l->g_stack_lo; p <= &l->gobuf_ctxt; p++) /* span_inline_marks is set after */
		*p = -1;
	l->g_size = 0;
	while (found != all && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, d;

		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &d) == 0) {
			do {
				const char *name;

				if (dwarf_tag(&d) != DW_TAG_structure_type ||
				    !(name = dwarf_diename(&d)))
					continue;
				for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
					if (strcmp(name, types[i]) || (found & (1u << i)))
						continue;
					found |= 1u << i;
					dwarf_members(&d, fields,
						      sizeof(fields) / sizeof(fields[0]),
						      i == 0 ? &l->g_size : NULL);
				}
			} while (found != all && dwarf_siblingof(&d, &d) == 0);
		}
		off = next;
	}
	dwarf_end(dw);
	if (!(found & 1) || l->g_goid < 0 || l->g_sched < 0 || l->g_atomicstatus < 0)
		return -ENOENT;
	/* g.stack is a runtime.stack {lo, hi}: make hi absolute within g. */
	if (l->g_stack_lo >= 0 && l->g_stack_hi >= 0)
		l->g_stack_hi += l->g_stack_lo;
	l->source = BW_GOLAYOUT_DWARF;
	gb->info.flags |= BW_GOBIN_DWARF;
	return 0;
}

int bw_gobin__foreach_symbol(const struct bw_gobin *gb,
			     int (*fn)(void *ctx, const char *name, __u64 addr, __u64 size),
			     void *ctx)
{
	size_t i;
	int ret;

	for (i = 0; i < gb->nsyms; i++) {
		ret = fn(ctx, gb->syms[i].name, gb->syms[i].addr, gb->syms[i].size);
		if (ret)
			return ret;
	}
	return 0;
}

int bw_gobin__layout(const struct bw_gobin *gb, struct bw_golayout *out)
{
	if (!gb->have_layout)
		return -ENOENT;
	*out = gb->layout;
	return 0;
}

/* ---- open / lookup / free ---------------------------------------------------- */

const struct bw_goinfo *bw_gobin__info(const struct bw_gobin *gb)
{
	return &gb->info;
}

int bw_gobin__lookup(const struct bw_gobin *gb, const char *name, __u64 *addr, __u64 *size)
{
	const struct gb_sym *s = sym_by_name(gb, name);
	struct gb_func f;
	size_t i;

	if (s) {
		*addr = s->addr;
		*size = s->size;
		return 0;
	}
	if (!func_by_name(gb, name, &f)) {
		*addr = f.entry;
		*size = f.end - f.entry;
		return 0;
	}
	for (i = 0; i < gb->nrsyms; i++) {
		if (!strcmp(gb->rsyms[i].name, name)) {
			*addr = gb->rsyms[i].addr;
			*size = gb->rsyms[i].size;
			return 0;
		}
	}
	return -ENOENT;
}

int bw_gobin__open(const char *path, struct bw_gobin **out)
{
	struct bw_gobin *gb;
	GElf_Ehdr eh;
	int err;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	gb = calloc(1, sizeof(*gb));
	if (!gb)
		return -ENOMEM;
	gb->fd = -1;
	gb->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (gb->fd < 0) {
		err = -errno;
		goto cleanup;
	}
	gb->elf = elf_begin(gb->fd, ELF_C_READ_MMAP, NULL);
	if (!gb->elf || elf_kind(gb->elf) != ELF_K_ELF || !gelf_getehdr(gb->elf, &eh)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	if (gelf_getclass(gb->elf) != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64) {
		err = -EOPNOTSUPP;
		goto cleanup;
	}
	gb->image = (const __u8 *)elf_rawfile(gb->elf, &gb->image_size);
	if (!gb->image) {
		err = -ENOEXEC;
		goto cleanup;
	}
	if (eh.e_type == ET_DYN)
		gb->info.flags |= BW_GOBIN_PIE;
	err = load_segments(gb);
	if (!err)
		err = load_sections(gb);
	if (err)
		goto cleanup;
	load_buildinfo(gb);
	err = find_pclntab(gb);
	if (err)
		goto cleanup;
	gb->info.pclntab = gb->pcln.va;
	gb->info.pclntab_magic = gb->pcln.magic;
	gb->info.nfunc = gb->pcln.nfunc;
	if (!gb->info.version[0]) { /* no buildinfo: a lower bound from the magic */
		gb->info.major = 1;
		gb->info.minor = gb->pcln.magic == GO116_MAGIC	 ? 16
				 : gb->pcln.magic == GO118_MAGIC ? 18
								 : 20;
	}
	find_moduledata(gb);
	find_bases(gb);
	err = validate_ftab(gb);
	if (!err)
		err = index_funcs(gb);
	if (err)
		goto cleanup;

	find_specials(gb);
	if (!sym_by_name(gb, "runtime.allgs"))
		recover_allgs(gb);
	if (!sym_by_name(gb, "runtime.waitReasonStrings"))
		recover_wait_reasons(gb);
	if (!sym_by_name(gb, "runtime.buildVersion"))
		recover_build_version(gb);
	if (gb->info.moduledata && !sym_by_name(gb, "runtime.firstmoduledata"))
		add_rsym(gb, "runtime.firstmoduledata", gb->info.moduledata, 0);

	err = set_wait_reasons_file(gb);
	if (err == -ENOMEM)
		goto cleanup;
	if (err) {
		free_wait(gb);
		err = set_wait_reasons_table(gb);
		if (err == -ENOMEM)
			goto cleanup;
	}
	gb->have_layout = !layout_dwarf(gb, &gb->layout) ||
			  !bw_goversion_layout(gb->info.major, gb->info.minor, &gb->layout);
	if (gb->have_layout) {
		struct gb_func sf;

		gb->layout.span_inline_marks = func_by_name(gb, "runtime.scanSpan", &sf) ? 0 : 128;
	}
	*out = gb;
	return 0;
cleanup:
	bw_gobin__free(gb);
	return err;
}

void bw_gobin__free(struct bw_gobin *gb)
{
	if (!gb)
		return;
	free_wait(gb);
	free(gb->by_name);
	free(gb->syms);
	free(gb->relocs);
	free(gb->scns);
	free(gb->segs);
	if (gb->elf)
		elf_end(gb->elf);
	if (gb->fd >= 0)
		close(gb->fd);
	free(gb);
}
