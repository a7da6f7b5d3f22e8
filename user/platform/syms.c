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
#include <sys/mman.h>
#include <sys/stat.h>
#include <elfutils/libdwfl.h>
#include <lzma.h>
#include "core/hashmap.h"
#include "platform/elfsec.h"
#include "platform/memread.h"
#include "platform/syms.h"

_Static_assert(sizeof(Dwarf_Word) == sizeof(__u64), "Dwarf_Word holds a register");

/* Which shared binary a module of this process is (0: not looked at, NOSHARE). */
struct mod_bin {
	Dwfl_Module *mod;
	__u64 bin_id;
};

#define NOSHARE UINT64_MAX

/* A module's reader of bw_syms_funcs, opened at its first miss (NULL: none for it). */
struct mod_funcs {
	Dwfl_Module *mod;
	void *reader;
};

struct bw_syms {
	/* libdwfl keeps pointers to both for the Dwfl's life. */
	Dwfl_Callbacks callbacks;
	char *debug_path;
	Dwfl *dwfl;
	pid_t pid;     /* 0 for an offline ELF */
	int root_same; /* -1 unknown, else whether /proc/PID/root is our / */
	struct mod_bin *mods;
	size_t nmods;
	const struct bw_syms_funcs *funcs; /* NULL: none */
	struct mod_funcs *funcmods;
	size_t nfuncmods;
	/* dwfl_attach_state works once per Dwfl: attach once, then swap the thread below. */
	bool attached;
	bool attach_failed;
	struct bw_mem *mem;
	pid_t tid;
	Dwarf_Word regs[BW_NREGS];
	/* The piece of the thread's stack last read: one syscall serves a walk's many words. */
	__u64 cache_base;
	size_t cache_len;
	unsigned char cache[1024];
};

struct unwind_ctx {
	__u64 *pcs;
	__u64 *sps; /* NULL: not wanted */
	int max;
	int nr;
};

static int proc_find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
			 char **file_name, Elf **elfp);
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name);

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = proc_find_elf,
	.find_debuginfo = find_debuginfo,
};

static const Dwfl_Callbacks elf_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = find_debuginfo,
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

static int syms_alloc(pid_t pid, const Dwfl_Callbacks *callbacks, const struct bw_syms_opts *opts,
		      struct bw_syms **out)
{
	const char *root = opts && opts->debug_root ? opts->debug_root : BW_SYMS_DEBUG_ROOT;
	struct bw_syms *syms;

	*out = NULL;
	syms = calloc(1, sizeof(*syms));
	if (!syms)
		return -ENOMEM;
	syms->pid = pid;
	syms->root_same = -1;
	syms->funcs = opts ? opts->funcs : NULL;
	syms->callbacks = *callbacks;
	/* libdwfl's search path: the binary's directory, its .debug/, then the root. */
	if (asprintf(&syms->debug_path, ":.debug:%s", root) < 0) {
		free(syms);
		return -ENOMEM;
	}
	syms->callbacks.debuginfo_path = &syms->debug_path;
	syms->dwfl = dwfl_begin(&syms->callbacks);
	if (!syms->dwfl) {
		free(syms->debug_path);
		free(syms);
		return -ENOMEM;
	}
	*out = syms;
	return 0;
}

/* The decoder's own memory (its dictionary): xz -9 needs 65 MiB. */
#define XZ_MEMLIMIT_BYTES (128u << 20)

/*
 * Whether an xz (or .lzma) stream decompresses to at most limit bytes before
 * it ends or fails, counted without keeping them (what libdwfl's decoder would
 * produce from it), with a dictionary within XZ_MEMLIMIT_BYTES.
 */
static bool xz_within(const void *data, size_t size, size_t limit)
{
	lzma_stream z = LZMA_STREAM_INIT;
	unsigned char buf[16384];
	size_t total = 0;
	lzma_ret ret;

	/* libdwfl's decoder: the auto one (xz or raw .lzma), one stream. */
	if (lzma_auto_decoder(&z, XZ_MEMLIMIT_BYTES, 0) != LZMA_OK)
		return false;
	z.next_in = data;
	z.avail_in = size;
	do {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		ret = lzma_code(&z, LZMA_FINISH);
		total += sizeof(buf) - z.avail_out;
	} while (ret == LZMA_OK && total <= limit);
	lzma_end(&z);
	return total <= limit && ret != LZMA_MEMLIMIT_ERROR && ret != LZMA_MEM_ERROR;
}

/* Whether elf has a section of that name; *data gets its raw bytes when asked. */
static bool has_section(Elf *elf, const char *name, Elf_Data **data)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = bw_elf_section(elf, name, &shdr);

	if (!scn)
		return false;
	if (!data)
		return true;
	*data = shdr.sh_type == SHT_NOBITS ? NULL : elf_rawdata(scn, NULL);
	return *data != NULL;
}

/*
 * An ELF file with an empty .symtab, which libdwfl takes as the debug file
 * of a binary whose .gnu_debugdata it must not read: a file with a .symtab
 * stops its search for symbols there.
 */
static int empty_symtab_fd(void)
{
	static const char shstrtab[] = "\0.symtab\0.strtab\0.shstrtab";
	struct {
		Elf64_Ehdr eh;
		Elf64_Sym null_sym;
		char strtab[1];
		char shstrtab[sizeof(shstrtab)];
		char pad[6];
		Elf64_Shdr sh[4];
	} img = { 0 };
	int fd;

	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img.eh.e_ident[EI_VERSION] = EV_CURRENT;
	img.eh.e_type = ET_DYN;
	img.eh.e_machine = EM_X86_64;
	img.eh.e_version = EV_CURRENT;
	img.eh.e_ehsize = sizeof(img.eh);
	img.eh.e_shoff = offsetof(typeof(img), sh);
	img.eh.e_shentsize = sizeof(img.sh[0]);
	img.eh.e_shnum = 4;
	img.eh.e_shstrndx = 3;
	memcpy(img.shstrtab, shstrtab, sizeof(shstrtab));
	img.sh[1] = (Elf64_Shdr){ .sh_name = 1,
				  .sh_type = SHT_SYMTAB,
				  .sh_offset = offsetof(typeof(img), null_sym),
				  .sh_size = sizeof(Elf64_Sym),
				  .sh_link = 2,
				  .sh_info = 1,
				  .sh_addralign = 8,
				  .sh_entsize = sizeof(Elf64_Sym) };
	img.sh[2] = (Elf64_Shdr){ .sh_name = 9,
				  .sh_type = SHT_STRTAB,
				  .sh_offset = offsetof(typeof(img), strtab),
				  .sh_size = 1,
				  .sh_addralign = 1 };
	img.sh[3] = (Elf64_Shdr){ .sh_name = 17,
				  .sh_type = SHT_STRTAB,
				  .sh_offset = offsetof(typeof(img), shstrtab),
				  .sh_size = sizeof(shstrtab),
				  .sh_addralign = 1 };
	fd = memfd_create("bw-no-symbols", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, &img, sizeof(img)) != (ssize_t)sizeof(img) || lseek(fd, 0, SEEK_SET)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * libdwfl's search of installed debug files under the debug root. When
 * none is found, or one without .symtab, libdwfl decompresses .gnu_debugdata
 * itself, whatever its size. So a binary whose payload goes past the bound
 * gets, before any search, a debug file that has no symbols: it is refused
 * whole (a debug file found by build-id is opened by the search itself, too
 * late to be replaced). Binaries without .gnu_debugdata cost a section name
 * lookup.
 */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	Elf_Data *data = NULL;
	Dwarf_Addr bias;
	Elf *elf;

	elf = dwfl_module_getelf(mod, &bias);
	if (elf && has_section(elf, ".gnu_debugdata", &data) &&
	    !xz_within(data->d_buf, data->d_size, BW_SYMS_DEBUGDATA_MAX_BYTES))
		return empty_symtab_fd();
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
					    debuglink_crc, debuginfo_file_name);
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
	return bw_syms__new_opts(pid, NULL, out);
}

int bw_syms__new_opts(pid_t pid, const struct bw_syms_opts *popts, struct bw_syms **out)
{
	char debug_root[64 + sizeof(BW_SYMS_DEBUG_ROOT)];
	struct bw_syms_opts opts = { .debug_root = debug_root };
	struct bw_syms *syms = NULL;
	int err;

	*out = NULL;
	if (pid <= 0)
		return -EINVAL;
	/* The target's own debug files: those of its root (ours, unless it is in a container). */
	snprintf(debug_root, sizeof(debug_root), "/proc/%d/root%s", pid, BW_SYMS_DEBUG_ROOT);
	if (popts) {
		opts.funcs = popts->funcs;
		if (popts->debug_root)
			opts.debug_root = popts->debug_root;
	}
	err = syms_alloc(pid, &proc_callbacks, &opts, &syms);
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
	return bw_syms__new_elf_opts(path, NULL, out);
}

int bw_syms__new_elf_opts(const char *path, const struct bw_syms_opts *opts, struct bw_syms **out)
{
	struct bw_syms *syms = NULL;
	int err, fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = syms_alloc(0, &elf_callbacks, opts, &syms);
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

static void set_module(Dwfl_Module *mod, struct bw_frame *out)
{
	const char *modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

	if (modname)
		copy_str(out->module, sizeof(out->module),
			 strncmp(modname, "[vdso", 5) ? base_name(modname) : "[vdso]");
}

/* mod's reader of syms->funcs, opened on first use; NULL when it has none for mod. */
static void *module_reader(struct bw_syms *syms, Dwfl_Module *mod)
{
	struct mod_funcs *funcmods;
	const char *path = NULL;
	void *reader = NULL;
	Dwarf_Addr bias;
	Elf *elf;
	size_t i;

	if (!syms->funcs)
		return NULL;
	for (i = 0; i < syms->nfuncmods; i++)
		if (syms->funcmods[i].mod == mod)
			return syms->funcmods[i].reader;
	funcmods = realloc(syms->funcmods, (syms->nfuncmods + 1) * sizeof(*funcmods));
	if (!funcmods)
		return NULL;
	syms->funcmods = funcmods;
	elf = dwfl_module_getelf(mod, &bias);
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &path, NULL);
	if (elf && path && syms->funcs->open(path, elf, &reader))
		reader = NULL;
	funcmods[syms->nfuncmods++] = (struct mod_funcs){ .mod = mod, .reader = reader };
	return reader;
}

/* A function from the reader of mod's binary, for a pc no ELF symbol names. */
static void find_in_reader(struct bw_syms *syms, Dwfl_Module *mod, __u64 pc, struct bw_frame *out)
{
	void *reader = module_reader(syms, mod);
	struct bw_syms_func fn = { 0 };
	Dwarf_Addr bias;

	if (!reader || !dwfl_module_getelf(mod, &bias) ||
	    syms->funcs->find(reader, pc - bias, &fn) || !fn.name || !fn.name[0])
		return;
	copy_str(out->func, sizeof(out->func), fn.name);
	out->offset = pc - bias - fn.entry;
	out->source = syms->funcs->source;
	if (!out->file[0] && fn.file && fn.file[0] && fn.line > 0) {
		copy_path_tail(out->file, sizeof(out->file), fn.file);
		out->line = fn.line;
	}
}

/* Which file of mod the symbol came from. */
static int sym_source(Dwfl_Module *mod, Elf *sym_elf)
{
	const char *debugfile = NULL;
	Dwarf_Addr bias;

	if (!sym_elf || sym_elf == dwfl_module_getelf(mod, &bias))
		return BW_SYM_ELF;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, &debugfile);
	return debugfile ? BW_SYM_DEBUGFILE : BW_SYM_MINIDEBUG;
}

/* Function, offset and source line of pc in mod; out->module is left alone. */
static void find_in_module(struct bw_syms *syms, Dwfl_Module *mod, __u64 pc, struct bw_frame *out)
{
	const char *name, *file;
	Elf *sym_elf = NULL;
	Dwfl_Line *line;
	GElf_Off offset;
	GElf_Sym sym;
	int lineno;
	/*
	 * Unknown, never a sized symbol that ends before pc: in a .dynsym-only
	 * glibc that would be an exported function named for internal code such
	 * as __lll_lock_wait. libdwfl (0.188) already refuses those; this keeps
	 * the promise whatever the version.
	 */
	name = dwfl_module_addrinfo(mod, pc, &offset, &sym, NULL, &sym_elf, NULL);
	if (name && (sym.st_size == 0 || offset < sym.st_size)) {
		/* glibc's .symtab spells compat symbols __libc_start_main@@GLIBC_2.34. */
		copy_str(out->func, sizeof(out->func), name);
		out->func[strcspn(out->func, "@")] = '\0';
		out->offset = offset;
		out->source = sym_source(mod, sym_elf);
	}
	line = dwfl_module_getsrc(mod, pc);
	if (line) {
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		if (file) {
			copy_path_tail(out->file, sizeof(out->file), file);
			out->line = lineno;
		}
	}
	if (!out->func[0])
		find_in_reader(syms, mod, pc, out);
}

int bw_syms__find(struct bw_syms *syms, __u64 pc, struct bw_frame *out)
{
	Dwfl_Module *mod;

	memset(out, 0, sizeof(*out));
	out->pc = pc;
	mod = dwfl_addrmodule(syms->dwfl, pc);
	if (!mod)
		return -ENOENT;
	set_module(mod, out);
	find_in_module(syms, mod, pc, out);
	return out->func[0] ? 0 : -ENOENT;
}

/* One binary: its offline symbolizer and the answers given so far. */
struct symbin {
	__u64 id;
	unsigned char key[64];
	size_t keylen;
	char *path;
	const char *debug_root; /* the cache's */
	const struct bw_syms_funcs *funcs;
	/* Link-time addresses; closed after SYMBIN_SYMS_IDLE_SCANS scans without a miss (DWARF is large). */
	struct bw_syms *syms;
	unsigned int syms_idle;
	struct bw_hashmap *memo; /* link-time address -> struct bw_frame */
	unsigned int idle;
};

/* Answers outlive the DWARF they came from: a few scans of misses, then the memo alone. */
#define SYMBIN_SYMS_IDLE_SCANS 5

struct bw_symcache {
	struct symbin **bins;
	size_t nbins;
	__u64 next_id;
	struct stat root;
	bool has_root;
	char *debug_root; /* NULL: the default */
	const struct bw_syms_funcs *funcs;
};

int bw_symcache__new(struct bw_symcache **out)
{
	return bw_symcache__new_opts(NULL, out);
}

int bw_symcache__new_opts(const struct bw_syms_opts *opts, struct bw_symcache **out)
{
	struct bw_symcache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	if (opts && opts->debug_root && !(c->debug_root = strdup(opts->debug_root))) {
		free(c);
		return -ENOMEM;
	}
	c->funcs = opts ? opts->funcs : NULL;
	c->has_root = !stat("/", &c->root);
	*out = c;
	return 0;
}

static void symbin_free(struct symbin *b)
{
	if (!b)
		return;
	bw_syms__free(b->syms);
	free(b->path);
	bw_hashmap__free(b->memo);
	free(b);
}

void bw_symcache__sweep(struct bw_symcache *c, unsigned int max_idle_scans)
{
	size_t i = 0;

	if (!c)
		return;
	while (i < c->nbins) {
		struct symbin *b = c->bins[i];

		if (b->syms && ++b->syms_idle > SYMBIN_SYMS_IDLE_SCANS) {
			bw_syms__free(b->syms);
			b->syms = NULL;
		}
		if (b->idle++ < max_idle_scans) {
			i++;
			continue;
		}
		symbin_free(b);
		c->bins[i] = c->bins[--c->nbins];
	}
}

void bw_symcache__free(struct bw_symcache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nbins; i++)
		symbin_free(c->bins[i]);
	free(c->bins);
	free(c->debug_root);
	free(c);
}

size_t bw_symcache__count(const struct bw_symcache *c)
{
	return c ? c->nbins : 0;
}

size_t bw_symcache__loaded(const struct bw_symcache *c)
{
	size_t i, n = 0;

	for (i = 0; c && i < c->nbins; i++)
		n += c->bins[i]->syms != NULL;
	return n;
}

/* Whether the process sees our files at our paths: then its binaries are ours to open. */
static bool same_root(struct bw_syms *syms, const struct bw_symcache *c)
{
	char path[64];
	struct stat st;

	if (syms->root_same < 0) {
		snprintf(path, sizeof(path), "/proc/%d/root", syms->pid);
		syms->root_same = c->has_root && !stat(path, &st) && st.st_dev == c->root.st_dev &&
				  st.st_ino == c->root.st_ino;
	}
	return syms->root_same;
}

/*
 * The identity of mod's binary: its GNU build-id, else the file (device,
 * inode, size, mtime) and the mapped ELF's entry point, which the file must
 * match when it is opened. 0 when it has none we trust.
 */
static size_t module_key(Dwfl_Module *mod, const char *path, unsigned char *key, size_t size)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	GElf_Ehdr ehdr;
	Dwarf_Addr bias;
	struct stat st;
	Elf *elf;
	__u64 v[6];
	int len;

	len = dwfl_module_build_id(mod, &bits, &vaddr);
	if (len > 0 && (size_t)len < size) {
		key[0] = 'B';
		memcpy(key + 1, bits, len);
		return len + 1;
	}
	elf = dwfl_module_getelf(mod, &bias);
	if (!elf || !gelf_getehdr(elf, &ehdr) || stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	v[0] = st.st_dev;
	v[1] = st.st_ino;
	v[2] = st.st_size;
	v[3] = st.st_mtim.tv_sec;
	v[4] = st.st_mtim.tv_nsec;
	v[5] = ehdr.e_entry;
	key[0] = 'S';
	memcpy(key + 1, v, sizeof(v));
	return sizeof(v) + 1;
}

static int first_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
			void *arg)
{
	*(Dwfl_Module **)arg = mod;
	return DWARF_CB_ABORT;
}

/* Opens b's symbolizer from its path, if the file still is the binary b->key names. */
static int symbin_load(struct symbin *b)
{
	struct bw_syms_opts opts = { .debug_root = b->debug_root, .funcs = b->funcs };
	const unsigned char *bits;
	struct bw_syms *syms = NULL;
	Dwfl_Module *mod = NULL;
	GElf_Addr vaddr;
	GElf_Ehdr ehdr;
	Dwarf_Addr bias;
	__u64 entry;
	Elf *elf;
	int len;

	if (bw_syms__new_elf_opts(b->path, &opts, &syms) || !syms)
		return -ENOENT;
	dwfl_getmodules(syms->dwfl, first_module, &mod, 0);
	if (!mod)
		goto fail;
	if (b->key[0] == 'B') {
		len = dwfl_module_build_id(mod, &bits, &vaddr);
		if (len <= 0 || (size_t)len + 1 != b->keylen || memcmp(bits, b->key + 1, len))
			goto fail;
	} else {
		memcpy(&entry, b->key + 1 + 5 * sizeof(__u64), sizeof(entry));
		elf = dwfl_module_getelf(mod, &bias);
		if (!elf || !gelf_getehdr(elf, &ehdr) || ehdr.e_entry != entry)
			goto fail;
	}
	b->syms = syms;
	b->syms_idle = 0;
	return 0;
fail:
	bw_syms__free(syms);
	return -ENOENT;
}

static struct symbin *symbin_open(struct bw_symcache *c, const char *path, const unsigned char *key,
				  size_t keylen)
{
	struct symbin *b = NULL, **bins;

	b = calloc(1, sizeof(*b));
	if (!b || !(b->path = strdup(path)) || bw_hashmap__new(sizeof(struct bw_frame), &b->memo))
		goto fail;
	memcpy(b->key, key, keylen);
	b->keylen = keylen;
	b->debug_root = c->debug_root;
	b->funcs = c->funcs;
	if (symbin_load(b))
		goto fail;
	bins = realloc(c->bins, (c->nbins + 1) * sizeof(*bins));
	if (!bins)
		goto fail;
	c->bins = bins;
	b->id = ++c->next_id;
	c->bins[c->nbins++] = b;
	return b;
fail:
	symbin_free(b);
	return NULL;
}

static struct symbin *symbin_by_id(struct bw_symcache *c, __u64 id)
{
	size_t i;

	for (i = 0; i < c->nbins; i++)
		if (c->bins[i]->id == id)
			return c->bins[i];
	return NULL;
}

/* The shared binary of mod, or NULL to look it up in the process itself. */
static struct symbin *symbin_of(struct bw_syms *syms, struct bw_symcache *c, Dwfl_Module *mod)
{
	struct mod_bin *mb = NULL, *mods;
	unsigned char key[64];
	struct symbin *b = NULL;
	const char *path;
	size_t i, keylen;

	for (i = 0; i < syms->nmods; i++)
		if (syms->mods[i].mod == mod)
			mb = &syms->mods[i];
	if (mb && mb->bin_id == NOSHARE)
		return NULL;
	if (mb && (b = symbin_by_id(c, mb->bin_id)))
		return b;
	if (!mb) {
		mods = realloc(syms->mods, (syms->nmods + 1) * sizeof(*mods));
		if (!mods)
			return NULL;
		syms->mods = mods;
		mb = &mods[syms->nmods++];
		mb->mod = mod;
	}
	mb->bin_id = NOSHARE;
	path = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	if (!path || path[0] != '/' || !same_root(syms, c))
		return NULL;
	keylen = module_key(mod, path, key, sizeof(key));
	if (!keylen)
		return NULL;
	for (i = 0; i < c->nbins && !b; i++)
		if (c->bins[i]->keylen == keylen && !memcmp(c->bins[i]->key, key, keylen))
			b = c->bins[i];
	if (!b)
		b = symbin_open(c, path, key, keylen);
	if (b)
		mb->bin_id = b->id;
	return b;
}

/* Function, offset and line of a link-time address of b, looked up once. */
static const struct bw_frame *symbin_find(struct symbin *b, __u64 addr)
{
	struct bw_frame frame, *hit = bw_hashmap__find(b->memo, addr);

	b->idle = 0;
	if (hit)
		return hit;
	if (!b->syms && symbin_load(b))
		return NULL;
	b->syms_idle = 0;
	bw_syms__find(b->syms, addr, &frame);
	if (bw_hashmap__insert(b->memo, addr, (void **)&hit) < 0)
		return NULL;
	*hit = frame;
	return hit;
}

int bw_syms__find_shared(struct bw_syms *syms, struct bw_symcache *c, __u64 pc,
			 struct bw_frame *out)
{
	const struct bw_frame *hit = NULL;
	struct symbin *b = NULL;
	Dwfl_Module *mod;
	Dwarf_Addr bias;

	if (!c || !syms->pid)
		return bw_syms__find(syms, pc, out);
	mod = dwfl_addrmodule(syms->dwfl, pc);
	if (mod)
		b = symbin_of(syms, c, mod);
	if (b && dwfl_module_getelf(mod, &bias))
		hit = symbin_find(b, pc - bias);
	if (!hit)
		return bw_syms__find(syms, pc, out);
	memset(out, 0, sizeof(*out));
	out->pc = pc;
	set_module(mod, out);
	memcpy(out->func, hit->func, sizeof(out->func));
	memcpy(out->file, hit->file, sizeof(out->file));
	out->offset = hit->offset;
	out->line = hit->line;
	out->source = hit->source;
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
	__u64 val, page_end;
	size_t len;

	if (!syms->mem)
		return false;
	if (addr >= syms->cache_base && addr - syms->cache_base + sizeof(val) <= syms->cache_len) {
		memcpy(&val, syms->cache + (addr - syms->cache_base), sizeof(val));
		*result = val;
		return true;
	}
	/* Up to the end of addr's page at most: what lies past it may be unmapped. */
	page_end = (addr | 4095) + 1;
	len = page_end - addr < sizeof(syms->cache) ? page_end - addr : sizeof(syms->cache);
	if (len >= sizeof(val) && !bw_mem__read(syms->mem, addr, syms->cache, len)) {
		syms->cache_base = addr;
		syms->cache_len = len;
		memcpy(&val, syms->cache, sizeof(val));
	} else if (bw_mem__read_u64(syms->mem, addr, &val)) {
		return false;
	}
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
	if (ctx->sps) {
		Dwarf_Word sp;

		/* DWARF register 7 is rsp: the frame's stack pointer, 0 when unknown. */
		ctx->sps[ctx->nr] = dwfl_frame_reg(state, 7, &sp) == 0 ? sp : 0;
	}
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
	return bw_syms__unwind_sp(syms, mem, tid, regs, pcs, NULL, max);
}

int bw_syms__unwind_sp(struct bw_syms *syms, struct bw_mem *mem, pid_t tid,
		       const __u64 regs[BW_NREGS], __u64 *pcs, __u64 *sps, int max)
{
	struct unwind_ctx ctx = { .pcs = pcs, .sps = sps, .max = max };
	int i, n;

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
		syms->cache_len = 0;
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
	n = bw_syms__unwind_fp(syms, mem, regs, pcs, max);
	for (i = 0; sps && i < n; i++)
		sps[i] = i ? 0 : regs[BW_REG_SP];
	return n;
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
	size_t i;

	if (!syms)
		return;
	for (i = 0; i < syms->nfuncmods; i++)
		if (syms->funcmods[i].reader)
			syms->funcs->free(syms->funcmods[i].reader);
	dwfl_end(syms->dwfl);
	free(syms->funcmods);
	free(syms->mods);
	free(syms->debug_path);
	free(syms);
}
