// SPDX-License-Identifier: GPL-2.0
/* CPython binaries: _PyRuntime, Py_Version and the segments, with libelf. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>
#include <libelf.h>
#include "platform/elfsec.h"
#include "python/pybin.h"

static const char *const default_roots[] = { "/usr/lib/debug", NULL };

const char *bw_pybin__source_name(__u32 source)
{
	switch (source) {
	case BW_PYBIN_SYMTAB:
		return "symtab";
	case BW_PYBIN_DYNSYM:
		return "dynsym";
	case BW_PYBIN_SECTION:
		return "section";
	case BW_PYBIN_DEBUGFILE:
		return "debugfile";
	default:
		return "none";
	}
}

/* The symbol name in the symbol table of type type (SHT_SYMTAB / SHT_DYNSYM). */
static int find_sym(Elf *elf, Elf64_Word type, const char *name, GElf_Sym *out)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = data->d_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *s;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    !sym.st_value)
				continue;
			s = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (s && strcmp(s, name) == 0) {
				*out = sym;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* Copies up to len file bytes at link address vaddr; the count copied, 0 if not file-backed. */
static size_t read_at(Elf *elf, __u64 vaddr, void *buf, size_t len)
{
	size_t fsize = 0;
	const char *raw = elf_rawfile(elf, &fsize);
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (!raw)
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		__u64 off, avail;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (vaddr < sh.sh_addr || vaddr >= sh.sh_addr + sh.sh_size)
			continue;
		off = sh.sh_offset + (vaddr - sh.sh_addr);
		if (sh.sh_offset > fsize || off >= fsize)
			return 0;
		avail = sh.sh_addr + sh.sh_size - vaddr;
		if (avail > fsize - off)
			avail = fsize - off;
		if (len > avail)
			len = avail;
		memcpy(buf, raw + off, len);
		return len;
	}
	return 0;
}

static void read_build_id(Elf *elf, struct bw_pybin *out)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)data->d_buf + name_off, "GNU", 4) != 0 ||
			    nh.n_descsz > sizeof(out->build_id) || !nh.n_descsz)
				continue;
			memcpy(out->build_id, (char *)data->d_buf + desc_off, nh.n_descsz);
			out->build_id_len = nh.n_descsz;
			return;
		}
	}
}

/* The ELF of path, or NULL with *err set: -errno, or -EINVAL when not a 64-bit ELF. */
static Elf *open_elf(const char *path, int *fd, int *err)
{
	Elf *elf;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		*err = -errno;
		return NULL;
	}
	elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64) {
		if (elf)
			elf_end(elf);
		close(*fd);
		*fd = -1;
		*err = -EINVAL;
		return NULL;
	}
	*err = 0;
	return elf;
}

static void set_runtime(struct bw_pybin *out, const GElf_Sym *sym, __u32 source)
{
	out->runtime = sym->st_value;
	out->runtime_size = sym->st_size;
	out->runtime_from = source;
}

/* _PyRuntime from the debug file of the build-id, under each root. */
static void from_debug_file(const char *const *roots, struct bw_pybin *out)
{
	char hex[2 * sizeof(out->build_id) + 1] = "";
	__u32 i;

	if (out->build_id_len < 2)
		return;
	for (i = 0; i < out->build_id_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", out->build_id[i]);
	for (; *roots; roots++) {
		GElf_Sym sym;
		char path[512];
		Elf *elf;
		int fd, n, err;

		n = snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", *roots, hex,
			     hex + 2);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		elf = open_elf(path, &fd, &err);
		if (!elf)
			continue;
		if (find_sym(elf, SHT_SYMTAB, "_PyRuntime", &sym) == 0) {
			set_runtime(out, &sym, BW_PYBIN_DEBUGFILE);
			snprintf(out->debug_file, sizeof(out->debug_file), "%s", path);
		}
		elf_end(elf);
		close(fd);
		if (out->runtime)
			return;
	}
}

static void read_loads(Elf *elf, struct bw_pybin *out)
{
	size_t i, n = 0;

	if (elf_getphdrnum(elf, &n) != 0)
		return;
	for (i = 0; i < n && out->nloads < BW_PYBIN_MAX_LOADS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		out->loads[out->nloads].vaddr = ph.p_vaddr;
		out->loads[out->nloads].offset = ph.p_offset;
		out->loads[out->nloads].memsz = ph.p_memsz;
		out->nloads++;
	}
}

int bw_pybin__read(const char *path, const char *const *debug_roots, unsigned int skip,
		   struct bw_pybin *out)
{
	GElf_Ehdr eh;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf *elf;
	int fd, err;

	memset(out, 0, sizeof(*out));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = open_elf(path, &fd, &err);
	if (!elf)
		return err;
	if (!gelf_getehdr(elf, &eh)) {
		err = -EINVAL;
		goto cleanup;
	}
	out->dyn = eh.e_type == ET_DYN;
	read_loads(elf, out);
	read_build_id(elf, out);
	if (!(skip & BW_PYBIN_SKIP(BW_PYBIN_SYMTAB)) &&
	    find_sym(elf, SHT_SYMTAB, "_PyRuntime", &sym) == 0)
		set_runtime(out, &sym, BW_PYBIN_SYMTAB);
	else if (!(skip & BW_PYBIN_SKIP(BW_PYBIN_DYNSYM)) &&
		 find_sym(elf, SHT_DYNSYM, "_PyRuntime", &sym) == 0)
		set_runtime(out, &sym, BW_PYBIN_DYNSYM);
	else if (!(skip & BW_PYBIN_SKIP(BW_PYBIN_SECTION)) &&
		 bw_elf_section(elf, ".PyRuntime", &sh) && sh.sh_addr) {
		out->runtime = sh.sh_addr;
		out->runtime_from = BW_PYBIN_SECTION;
	} else if (!(skip & BW_PYBIN_SKIP(BW_PYBIN_DEBUGFILE))) {
		from_debug_file(debug_roots ? debug_roots : default_roots, out);
	}
	if (find_sym(elf, SHT_DYNSYM, "Py_Version", &sym) == 0 ||
	    find_sym(elf, SHT_SYMTAB, "Py_Version", &sym) == 0) {
		__u32 v = 0;

		if (read_at(elf, sym.st_value, &v, sizeof(v)) == sizeof(v))
			out->version_hex = v;
	}
	if (out->runtime)
		out->runtime_head_len = (__u32)read_at(elf, out->runtime, out->runtime_head,
						       sizeof(out->runtime_head));
cleanup:
	elf_end(elf);
	close(fd);
	return err;
}

int bw_pybin__bias(const struct bw_pybin *bin, __u64 start, __u64 off, __u64 *bias)
{
	const __u64 page = 4096;
	__u32 i;

	*bias = 0;
	if (!bin->dyn)
		return 0;
	for (i = 0; i < bin->nloads; i++) {
		const struct bw_pyload *l = &bin->loads[i];

		if ((l->offset & ~(page - 1)) != off)
			continue;
		*bias = start - (l->vaddr & ~(page - 1));
		return 0;
	}
	return -ENOENT;
}
