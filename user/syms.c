// SPDX-License-Identifier: GPL-2.0
/*
 * Symbolization and unwinding on libdw's Dwfl. A thread to unwind is asleep
 * in the kernel with its user registers already saved, so nothing here uses
 * ptrace: our Dwfl_Thread_Callbacks hand libdwfl those registers and read
 * the stack through bw_mem.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <elfutils/libdwfl.h>
#include "memread.h"
#include "syms.h"

_Static_assert(sizeof(Dwarf_Word) == sizeof(__u64), "Dwarf_Word holds a register");

struct bw_syms {
	Dwfl *dwfl;
	pid_t pid; /* 0 for an offline ELF */
	/* dwfl_attach_state works once per Dwfl: attach once, then swap the thread below. */
	bool attached;
	bool attach_failed;
	struct bw_mem *mem;
	pid_t tid;
	Dwarf_Word regs[BW_NREGS];
};

struct unwind_ctx {
	__u64 *pcs;
	int max;
	int nr;
};

static int proc_find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
			 char **file_name, Elf **elfp);

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static const Dwfl_Callbacks elf_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Long paths keep their tail: the file name is what a reader needs. */
static void copy_path_tail(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	copy_str(dst, size, len >= size ? src + len - (size - 1) : src);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int syms_alloc(pid_t pid, const Dwfl_Callbacks *callbacks, struct bw_syms **out)
{
	struct bw_syms *syms;

	*out = NULL;
	syms = calloc(1, sizeof(*syms));
	if (!syms)
		return -ENOMEM;
	syms->pid = pid;
	syms->dwfl = dwfl_begin(callbacks);
	if (!syms->dwfl) {
		free(syms);
		return -ENOMEM;
	}
	*out = syms;
	return 0;
}

/* Is name what /proc/PID/exe points to ("... (deleted)" included)? */
static bool is_exe(pid_t pid, const char *name)
{
	char link[64], target[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, name);
}

/*
 * The target's own view of its files first: /proc/PID/root + path serves a
 * target in another mount namespace or a chroot, /proc/PID/exe its own
 * binary deleted from disk. Then libdwfl's lookup (our namespace, vdso).
 * Only regular files: a mapped device may hang on open.
 */
static int proc_find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
			 char **file_name, Elf **elfp)
{
	const struct bw_syms *syms = *userdata;
	char path[4200];
	struct stat st;
	int fd;

	if (!syms || name[0] != '/')
		return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
	snprintf(path, sizeof(path), "/proc/%d/root%s", syms->pid, name);
	if ((stat(path, &st) || !S_ISREG(st.st_mode)) && is_exe(syms->pid, name))
		snprintf(path, sizeof(path), "/proc/%d/exe", syms->pid);
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
	*file_name = strdup(path);
	*elfp = NULL;
	return fd;
}

/* Each module gets the syms as its userdata: proc_find_elf needs the pid. */
static int own_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
		      void *arg)
{
	*userdata = arg;
	return DWARF_CB_OK;
}

int bw_syms__new(pid_t pid, struct bw_syms **out)
{
	struct bw_syms *syms = NULL;
	int err;

	*out = NULL;
	if (pid <= 0)
		return -EINVAL;
	err = syms_alloc(pid, &proc_callbacks, &syms);
	if (err)
		return err;
	dwfl_report_begin(syms->dwfl);
	/* An errno when /proc/PID/maps cannot be read, -1 for a libdwfl error. */
	err = dwfl_linux_proc_report(syms->dwfl, pid);
	if (err) {
		err = err == ENOENT ? -ESRCH : err > 0 ? -err : -EINVAL;
		goto cleanup;
	}
	if (dwfl_report_end(syms->dwfl, NULL, NULL)) {
		err = -EINVAL;
		goto cleanup;
	}
	dwfl_getmodules(syms->dwfl, own_module, syms, 0);
	*out = syms;
	syms = NULL;
cleanup:
	bw_syms__free(syms);
	return err;
}

int bw_syms__new_elf(const char *path, struct bw_syms **out)
{
	struct bw_syms *syms = NULL;
	int err, fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = syms_alloc(0, &elf_callbacks, &syms);
	if (err) {
		close(fd);
		return err;
	}
	dwfl_report_begin(syms->dwfl);
	/* Base 0 relative to p_vaddr: link-time addresses, as in nm(1), for PIE too. */
	if (!dwfl_report_elf(syms->dwfl, base_name(path), path, fd, 0, true)) {
		close(fd);
		err = -ENOEXEC;
		goto cleanup;
	}
	if (dwfl_report_end(syms->dwfl, NULL, NULL)) {
		err = -EINVAL;
		goto cleanup;
	}
	*out = syms;
	syms = NULL;
cleanup:
	bw_syms__free(syms);
	return err;
}

int bw_syms__find(struct bw_syms *syms, __u64 pc, struct bw_frame *out)
{
	const char *modname, *name, *file;
	Dwfl_Module *mod;
	Dwfl_Line *line;
	GElf_Off offset;
	GElf_Sym sym;
	int lineno;

	memset(out, 0, sizeof(*out));
	out->pc = pc;
	mod = dwfl_addrmodule(syms->dwfl, pc);
	if (!mod)
		return -ENOENT;
	modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	if (modname)
		copy_str(out->module, sizeof(out->module),
			 strncmp(modname, "[vdso", 5) ? base_name(modname) : "[vdso]");
	/*
	 * Unknown, never a sized symbol that ends before pc: in a .dynsym-only
	 * glibc that would be an exported function named for internal code such
	 * as __lll_lock_wait. libdwfl (0.188) already refuses those; this keeps
	 * the promise whatever the version.
	 */
	name = dwfl_module_addrinfo(mod, pc, &offset, &sym, NULL, NULL, NULL);
	if (name && (sym.st_size == 0 || offset < sym.st_size)) {
		/* glibc's .symtab spells compat symbols __libc_start_main@@GLIBC_2.34. */
		copy_str(out->func, sizeof(out->func), name);
		out->func[strcspn(out->func, "@")] = '\0';
		out->offset = offset;
	}
	line = dwfl_module_getsrc(mod, pc);
	if (line) {
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		if (file) {
			copy_path_tail(out->file, sizeof(out->file), file);
			out->line = lineno;
		}
	}
	return out->func[0] ? 0 : -ENOENT;
}

static pid_t unwind_next_thread(Dwfl *dwfl, void *dwfl_arg, void **thread_argp)
{
	struct bw_syms *syms = dwfl_arg;

	if (*thread_argp)
		return 0;
	*thread_argp = syms;
	return syms->tid;
}

static bool unwind_get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg, void **thread_argp)
{
	struct bw_syms *syms = dwfl_arg;

	if (tid != syms->tid)
		return false;
	*thread_argp = syms;
	return true;
}

static bool unwind_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *dwfl_arg)
{
	struct bw_syms *syms = dwfl_arg;
	__u64 val;

	if (!syms->mem || bw_mem__read_u64(syms->mem, addr, &val))
		return false;
	*result = val;
	return true;
}

/* regs[] is in DWARF order already and x86_64 keeps the pc in register 16 (RA). */
static bool unwind_set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct bw_syms *syms = thread_arg;

	return dwfl_thread_state_registers(thread, 0, BW_NREGS, syms->regs);
}

static const Dwfl_Thread_Callbacks unwind_callbacks = {
	.next_thread = unwind_next_thread,
	.get_thread = unwind_get_thread,
	.memory_read = unwind_memory_read,
	.set_initial_registers = unwind_set_initial_registers,
};

static int unwind_frame(Dwfl_Frame *state, void *arg)
{
	struct unwind_ctx *ctx = arg;
	Dwarf_Addr pc;

	/* Activations (first frame, signal frames) have an exact pc, the rest return addresses. */
	if (!dwfl_frame_pc(state, &pc, NULL) || !pc)
		return DWARF_CB_ABORT;
	ctx->pcs[ctx->nr++] = pc;
	return ctx->nr < ctx->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

int bw_syms__unwind_fp(struct bw_syms *syms, struct bw_mem *mem, const __u64 regs[BW_NREGS],
		       __u64 *pcs, int max)
{
	__u64 sp = regs[BW_REG_SP], bp = regs[BW_REG_BP];
	int nr = 0;

	if (max <= 0)
		return -EINVAL;
	pcs[nr++] = regs[BW_REG_IP];
	while (nr < max) {
		__u64 record[2]; /* saved rbp, return address */

		if (bp < sp || bp & 7)
			break;
		if (bw_mem__read(mem, bp, record, sizeof(record)))
			break;
		if (!record[1] || (syms && !dwfl_addrmodule(syms->dwfl, record[1])))
			break;
		pcs[nr++] = record[1];
		if (record[0] <= bp)
			break;
		sp = bp + sizeof(record);
		bp = record[0];
	}
	return nr;
}

int bw_syms__unwind(struct bw_syms *syms, struct bw_mem *mem, pid_t tid, const __u64 regs[BW_NREGS],
		    __u64 *pcs, int max)
{
	struct unwind_ctx ctx = { .pcs = pcs, .max = max };

	if (max <= 0 || tid <= 0)
		return -EINVAL;
	if (!syms->attached && !syms->attach_failed) {
		pid_t pid = syms->pid ? syms->pid : bw_mem__pid(mem);

		syms->attached = dwfl_attach_state(syms->dwfl, NULL, pid, &unwind_callbacks, syms);
		syms->attach_failed = !syms->attached;
	}
	if (syms->attached) {
		syms->mem = mem;
		syms->tid = tid;
		memcpy(syms->regs, regs, sizeof(syms->regs));
		/* An error ends the walk; what was collected before it still stands. */
		dwfl_getthread_frames(syms->dwfl, tid, unwind_frame, &ctx);
		syms->mem = NULL;
	}
	if (ctx.nr > 1)
		return ctx.nr;
	/*
	 * libdwfl already falls back to the rbp chain where CFI is missing, so
	 * this mostly serves a failed attach: no module ELF could be opened to
	 * pick the architecture (paths of another mount namespace).
	 */
	return bw_syms__unwind_fp(syms, mem, regs, pcs, max);
}

struct addr_of_ctx {
	const char *name;
	__u64 addr;
	bool found;
};

static int addr_of_module(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr start,
			  void *arg)
{
	struct addr_of_ctx *ctx = arg;
	int i, nr = dwfl_module_getsymtab(mod);

	for (i = 1; i < nr; i++) {
		const char *name;
		GElf_Addr addr;
		GElf_Word shndx;
		GElf_Sym sym;

		name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
		if (!name || strcmp(name, ctx->name) || sym.st_shndx == SHN_UNDEF)
			continue;
		ctx->addr = addr;
		ctx->found = true;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

int bw_syms__addr_of(struct bw_syms *syms, const char *name, __u64 *addr)
{
	struct addr_of_ctx ctx = { .name = name };

	dwfl_getmodules(syms->dwfl, addr_of_module, &ctx, 0);
	if (!ctx.found)
		return -ENOENT;
	*addr = ctx.addr;
	return 0;
}

void bw_syms__free(struct bw_syms *syms)
{
	if (!syms)
		return;
	dwfl_end(syms->dwfl);
	free(syms);
}
