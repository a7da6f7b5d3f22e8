// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <gelf.h>
#include "go/gobin.h"
#include "go/gofuncs.h"

static bool has_section(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t shstrndx;
	const char *sname;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &shdr) && (sname = elf_strptr(elf, shstrndx, shdr.sh_name)) &&
		    !strcmp(sname, name))
			return true;
	return false;
}

/* Go binaries carry one of these, stripped or not, internally or externally linked. */
static bool is_go(Elf *elf)
{
	return has_section(elf, ".go.buildinfo") || has_section(elf, ".gopclntab") ||
	       has_section(elf, ".note.go.buildid");
}

static int gofuncs_open(const char *path, struct Elf *elf, void **reader)
{
	struct bw_gobin *gb = NULL;
	int err;

	*reader = NULL;
	if (!is_go(elf))
		return -ENOEXEC;
	err = bw_gobin__open(path, &gb);
	if (err)
		return err;
	*reader = gb;
	return 0;
}

static int gofuncs_find(void *reader, __u64 pc, struct bw_syms_func *out)
{
	struct bw_gofunc fn;
	int err = bw_gobin__func(reader, pc, &fn);

	if (err)
		return err;
	out->name = fn.name;
	out->file = fn.file;
	out->entry = fn.entry;
	out->line = fn.line;
	return 0;
}

static void gofuncs_free(void *reader)
{
	bw_gobin__free(reader);
}

const struct bw_syms_funcs bw_gofuncs = {
	.source = BW_SYM_GOPCLNTAB,
	.open = gofuncs_open,
	.find = gofuncs_find,
	.free = gofuncs_free,
};
