// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "platform/elfsec.h"

Elf_Scn *bw_elf_section(Elf *elf, const char *name, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx;
	const char *sname;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !(sname = elf_strptr(elf, shstrndx, sh.sh_name)) ||
		    strcmp(sname, name))
			continue;
		if (shdr)
			*shdr = sh;
		return scn;
	}
	return NULL;
}
