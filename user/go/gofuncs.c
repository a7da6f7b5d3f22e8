// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <gelf.h>
#include "go/gobin.h"
#include "platform/elfsec.h"
#include "go/gofuncs.h"

/* Go binaries carry one of these, stripped or not, internally or externally linked. */
static bool is_go(Elf *elf)
{
	return bw_elf_section(elf, ".go.buildinfo", NULL) ||
	       bw_elf_section(elf, ".gopclntab", NULL) ||
	       bw_elf_section(elf, ".note.go.buildid", NULL);
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
