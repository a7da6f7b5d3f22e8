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

/* Which shared binary a module of this process is (0: not looked at, NOSHARE). */
struct mod_bin {
	Dwfl_Module *mod;
	__u64 bin_id;
};

#define NOSHARE UINT64_MAX

struct bw_syms {
	Dwfl *dwfl;
	pid_t pid;     /* 0 for an offline ELF */
	int root_same; /* -1 unknown, else whether /proc/PID/root is our / */
	struct mod_bin *mods;
	size_t nmods;
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
	syms->root_same = -1;
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

static void set_module(Dwfl_Module *mod, struct bw_frame *out)
{
	const char *modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

	if (modname)
		copy_str(out->module, sizeof(out->module),
			 strncmp(modname, "[vdso", 5) ? base_name(modname) : "[vdso]");
}

/* Function, offset and source line of pc in mod; out->module is left alone. */
static void find_in_module(Dwfl_Module *mod, __u64 pc, struct bw_frame *out)
{
	const char *name, *file;
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
	find_in_module(mod, pc, out);
	return out->func[0] ? 0 : -ENOENT;
}

/* One binary: its offline symbolizer and the answers given so far. */
struct symbin {
	__u64 id;
	unsigned char key[64];
	size_t keylen;
	char *path;
	/* Link-time addresses; closed after SYMBIN_SYMS_IDLE scans without a miss (DWARF is large). */
	struct bw_syms *syms;
	unsigned int syms_idle;
	__u64 *addrs; /* open addressing on link-time address + 1; 0 is free */
	struct bw_frame *frames;
	size_t cap, used;
	unsigned int idle;
};

/* Answers outlive the DWARF they came from: a few scans of misses, then the memo alone. */
#define SYMBIN_SYMS_IDLE 5

struct bw_symcache {
	struct symbin **bins;
	size_t nbins;
	__u64 next_id;
	struct stat root;
	bool has_root;
};

int bw_symcache__new(struct bw_symcache **out)
{
	struct bw_symcache *c = calloc(1, sizeof(*c));

	*out = c;
	if (!c)
		return -ENOMEM;
	c->has_root = !stat("/", &c->root);
	return 0;
}

static void symbin_free(struct symbin *b)
{
	if (!b)
		return;
	bw_syms__free(b->syms);
	free(b->path);
	free(b->addrs);
	free(b->frames);
	free(b);
}

void bw_symcache__sweep(struct bw_symcache *c, unsigned int max_idle)
{
	size_t i = 0;

	if (!c)
		return;
	while (i < c->nbins) {
		struct symbin *b = c->bins[i];

		if (b->syms && ++b->syms_idle > SYMBIN_SYMS_IDLE) {
			bw_syms__free(b->syms);
			b->syms = NULL;
		}
		if (b->idle++ < max_idle) {
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
	const unsigned char *bits;
	struct bw_syms *syms = NULL;
	Dwfl_Module *mod = NULL;
	GElf_Addr vaddr;
	GElf_Ehdr ehdr;
	Dwarf_Addr bias;
	__u64 entry;
	Elf *elf;
	int len;

	if (bw_syms__new_elf(b->path, &syms) || !syms)
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
	if (!b || !(b->path = strdup(path)))
		goto fail;
	memcpy(b->key, key, keylen);
	b->keylen = keylen;
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

static size_t addr_slot(const struct symbin *b, __u64 addr)
{
	__u64 h = (addr + 1) * 0x9e3779b97f4a7c15ULL;

	return (h >> 17) & (b->cap - 1);
}

static int memo_grow(struct symbin *b)
{
	size_t cap = b->cap ? 2 * b->cap : 64, i, j;
	struct symbin old = *b;

	b->addrs = calloc(cap, sizeof(*b->addrs));
	b->frames = malloc(cap * sizeof(*b->frames));
	if (!b->addrs || !b->frames) {
		free(b->addrs);
		free(b->frames);
		b->addrs = old.addrs;
		b->frames = old.frames;
		return -ENOMEM;
	}
	b->cap = cap;
	for (i = 0; i < old.cap; i++) {
		if (!old.addrs[i])
			continue;
		for (j = addr_slot(b, old.addrs[i] - 1); b->addrs[j]; j = (j + 1) & (cap - 1))
			;
		b->addrs[j] = old.addrs[i];
		b->frames[j] = old.frames[i];
	}
	free(old.addrs);
	free(old.frames);
	return 0;
}

/* Function, offset and line of a link-time address of b, looked up once. */
static const struct bw_frame *symbin_find(struct symbin *b, __u64 addr)
{
	struct bw_frame frame;
	size_t j;

	b->idle = 0;
	if (b->cap) {
		for (j = addr_slot(b, addr); b->addrs[j]; j = (j + 1) & (b->cap - 1))
			if (b->addrs[j] == addr + 1)
				return &b->frames[j];
	}
	if (!b->syms && symbin_load(b))
		return NULL;
	b->syms_idle = 0;
	bw_syms__find(b->syms, addr, &frame);
	if (2 * (b->used + 1) > b->cap && memo_grow(b))
		return NULL;
	for (j = addr_slot(b, addr); b->addrs[j]; j = (j + 1) & (b->cap - 1))
		;
	b->addrs[j] = addr + 1;
	b->frames[j] = frame;
	b->used++;
	return &b->frames[j];
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
	free(syms->mods);
	free(syms);
}
