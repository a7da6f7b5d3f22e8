// SPDX-License-Identifier: GPL-2.0
/*
 * ELF symbolization: bw_syms__new_elf on the input (a memfd, by path), then
 * lookups at the entry point, around it and at the addresses of symbols.
 * A lookup in a binary without .symtab reads its .gnu_debugdata (an xz
 * payload, bounded) or its Go pclntab; debug files are looked up under an
 * empty root of our own, never the host's.
 */
#include <errno.h>
#include <elf.h>
#include "fuzz_util.h"
#include "go/gofuncs.h"
#include "platform/syms.h"

static char debug_root[] = "/tmp/bw-fuzz-syms-XXXXXX";

static void remove_debug_root(void)
{
	rmdir(debug_root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Never reach for a debuginfod server or the host's debug files. */
	unsetenv("DEBUGINFOD_URLS");
	if (!mkdtemp(debug_root))
		abort();
	atexit(remove_debug_root);
	return 0;
}

static void find(struct bw_syms *syms, __u64 pc)
{
	struct bw_frame fr;
	int err = bw_syms__find(syms, pc, &fr);

	if (err && err != -ENOENT)
		abort();
	if (!memchr(fr.func, 0, sizeof(fr.func)) || !memchr(fr.module, 0, sizeof(fr.module)) ||
	    !memchr(fr.file, 0, sizeof(fr.file)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "main", "_start", "__libc_start_main", "" };
	struct bw_syms *syms = NULL;
	Elf64_Ehdr eh = { 0 };
	char path[64];
	__u64 addr;
	size_t i;
	int fd, err;

	fd = fuzz_memfd(data, size, path, sizeof(path));
	if (fd < 0)
		abort();
	err = bw_syms__new_elf_opts(
		path, &(struct bw_syms_opts){ .debug_root = debug_root, .funcs = &bw_gofuncs },
		&syms);
	close(fd);
	if (err) {
		if (syms)
			abort();
		return 0;
	}
	memcpy(&eh, data, size < sizeof(eh) ? size : sizeof(eh));
	for (i = 0; i < 64; i++)
		find(syms, eh.e_entry + i * 7);
	find(syms, 0);
	find(syms, ~0ULL);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (bw_syms__addr_of(syms, names[i], &addr))
			continue;
		find(syms, addr);
		find(syms, addr + 1);
	}
	bw_syms__free(syms);
	return 0;
}
