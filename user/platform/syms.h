/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space symbolization and unwinding of a live process: ELF symbols,
 * DWARF file:line where present, shared libraries through /proc/PID/maps,
 * CFI (.eh_frame/.debug_frame) unwinding with a frame-pointer fallback.
 *
 * Stripped binaries are named from, in this order (the first that has the
 * address wins):
 *  - the binary's own .symtab, else the debug file installed for it under
 *    the debug root (libdwfl's search: ROOT/.build-id/xx/yyyy.debug by the
 *    NT_GNU_BUILD_ID note, then the .gnu_debuglink name (checked by build-id, else by CRC),
 *    next to the binary, in its .debug/ and under ROOT/<its directory>);
 *    DWARF file:line come from the same file;
 *  - else the MiniDebugInfo of .gnu_debugdata (an xz-compressed ELF holding
 *    a .symtab of the functions .dynsym lacks, as Fedora ships), merged with
 *    .dynsym. The payload is untrusted: one that decompresses past
 *    BW_SYMS_DEBUGDATA_MAX_BYTES bytes (or whose decoder needs more than 128 MiB)
 *    is not read, and the binary then gets no symbols at all, not even from
 *    a debug file (checked before the search: ~160 ms per binary, once);
 *  - else .dynsym;
 *  - else the function reader of the options (struct bw_syms_funcs), when
 *    the caller gives one: go/gofuncs.h names a stripped Go binary's
 *    functions (-ldflags='-s -w', strip(1)) from its pclntab.
 * libdwfl also asks debuginfod servers when DEBUGINFOD_URLS is set (read at
 * each query): blockwatch's main unsets it.
 */
#ifndef BW_SYMS_H
#define BW_SYMS_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "blockwatch.h"
#include "core/model.h"

struct bw_mem;
struct bw_syms;
struct bw_symcache;

/* The installed debug files' root of the host. */
#define BW_SYMS_DEBUG_ROOT "/usr/lib/debug"
/* Largest MiniDebugInfo read: decompressed .gnu_debugdata, in bytes. */
#define BW_SYMS_DEBUGDATA_MAX_BYTES (64u << 20)

struct Elf;

/* A function as a reader of struct bw_syms_funcs gives it. */
struct bw_syms_func {
	const char *name; /* "" or NULL when none */
	const char *file; /* "" or NULL when unknown */
	__u64 entry;	  /* link-time address of its first instruction */
	int line;	  /* of the pc asked, 0 when unknown */
};

/*
 * Names for the pcs of a module that its ELF symbols and debug files leave
 * unnamed, from a format this module does not read (a Go binary's pclntab):
 * the language runtime that knows the format provides them. A module's
 * reader is opened at its first unnamed pc and lives as long as the
 * symbolizer.
 */
struct bw_syms_funcs {
	int source; /* enum bw_sym_source of the names it gives */
	/* The reader of path (elf: the module's ELF) into *reader; < 0 when path is not its kind. */
	int (*open)(const char *path, struct Elf *elf, void **reader);
	/* The function at link-time pc: 0, or -ENOENT. Its strings live as long as the reader. */
	int (*find)(void *reader, __u64 pc, struct bw_syms_func *out);
	void (*free)(void *reader);
};

struct bw_syms_opts {
	const char *debug_root; /* NULL: BW_SYMS_DEBUG_ROOT (bw_syms__new: the target's own) */
	const struct bw_syms_funcs *funcs; /* NULL: none; outlives the symbolizers */
};

/*
 * Symbolizer for the modules mapped in pid (reads /proc/PID/maps). Its debug
 * root is /proc/PID/root/usr/lib/debug: the target's own debug files.
 */
int bw_syms__new(pid_t pid, struct bw_syms **out);
/* The same with options; opts may be NULL (the defaults). */
int bw_syms__new_opts(pid_t pid, const struct bw_syms_opts *opts, struct bw_syms **out);
/* Symbolizer for one ELF file at its link-time addresses (tests, offline). */
int bw_syms__new_elf(const char *path, struct bw_syms **out);
/* The same with options; opts may be NULL (the defaults). */
int bw_syms__new_elf_opts(const char *path, const struct bw_syms_opts *opts, struct bw_syms **out);
/* 0, or -ENOENT when pc is in no known module/function (out->func is "" then). */
int bw_syms__find(struct bw_syms *syms, __u64 pc, struct bw_frame *out);
/*
 * Unwinds a stopped or sleeping thread from its user registers (DWARF
 * numbering, enum bw_dwarf_reg), reading its stack through mem. Writes up
 * to max pcs, innermost first; returns how many, or a negative errno.
 * pcs[0] is the exact ip; the others are return addresses, so symbolize
 * them at pc - 1 to land inside the call instruction's function and line.
 */
int bw_syms__unwind(struct bw_syms *syms, struct bw_mem *mem, pid_t tid, const __u64 regs[BW_NREGS],
		    __u64 *pcs, int max);
/*
 * The same, with each frame's stack pointer in sps[i] (its rsp: frame i's
 * locals lie between sps[i] and sps[i + 1]), 0 where the unwinder does not
 * know it (the frame-pointer fallback knows only the first).
 */
int bw_syms__unwind_sp(struct bw_syms *syms, struct bw_mem *mem, pid_t tid,
		       const __u64 regs[BW_NREGS], __u64 *pcs, __u64 *sps, int max);
/*
 * The frame-pointer walk that bw_syms__unwind falls back to, on its own:
 * follows the rbp chain ([rbp] = caller's rbp, [rbp + 8] = return address)
 * while it climbs the stack and, with syms (may be NULL), while each return
 * address lies in a mapped module. A function that keeps no frame of its own
 * (a libc syscall wrapper) hides its caller. Same contract as bw_syms__unwind.
 */
int bw_syms__unwind_fp(struct bw_syms *syms, struct bw_mem *mem, const __u64 regs[BW_NREGS],
		       __u64 *pcs, int max);
/*
 * Symbol lookups shared by every process that maps the same binary (same
 * GNU build-id, or same file and ELF header when it has none, as Go
 * binaries): one offline symbolizer per binary, so its DWARF is read once
 * for the host and not once per process, and one answer per address.
 */
int bw_symcache__new(struct bw_symcache **out);
/* The same with options for the binaries' symbolizers; opts may be NULL. */
int bw_symcache__new_opts(const struct bw_syms_opts *opts, struct bw_symcache **out);
/* Ends a scan: forgets binaries that no lookup used in max_idle_scans scans. */
void bw_symcache__sweep(struct bw_symcache *cache, unsigned int max_idle_scans);
void bw_symcache__free(struct bw_symcache *cache);
/* How many binaries it holds, and how many of those have their symbols open. */
size_t bw_symcache__count(const struct bw_symcache *cache);
size_t bw_symcache__loaded(const struct bw_symcache *cache);
/*
 * bw_syms__find through cache: the same answer, looked up once per binary
 * and address. Modules that cannot be shared (the vdso, a file of another
 * mount namespace) are looked up in syms itself. cache may be NULL.
 */
int bw_syms__find_shared(struct bw_syms *syms, struct bw_symcache *cache, __u64 pc,
			 struct bw_frame *out);
/* Address of a defined symbol, first module first; 0 or -ENOENT. */
int bw_syms__addr_of(struct bw_syms *syms, const char *name, __u64 *addr);
void bw_syms__free(struct bw_syms *syms);

#endif
