/* SPDX-License-Identifier: GPL-2.0 */
/* ELF sections by name, for the readers of binaries (symbols, Go, Python). Pure: libelf only. */
#ifndef BW_ELFSEC_H
#define BW_ELFSEC_H

#include <gelf.h>

/* The first section of elf named name, its header in *shdr when not NULL; NULL if none. */
Elf_Scn *bw_elf_section(Elf *elf, const char *name, GElf_Shdr *shdr);

#endif
