// SPDX-License-Identifier: GPL-2.0
/*
 * Names for stripped binaries: symfix's stripped copies (tests/fixtures/
 * stripped.sh, same addresses as symfix, whose own .symtab is the reference)
 * with their debug file under a build-id tree, found by .gnu_debuglink, or
 * their MiniDebugInfo in .gnu_debugdata; the host's libc with libc6-dbg's
 * debug files; stripped Go binaries of tests/go/build-fixtures.sh named from
 * their pclntab, against the .symtab of their unstripped twins.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <criterion/criterion.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>
#include "go/gobin.h"
#include "go/gofuncs.h"
#include "platform/syms.h"

static const char *const symfix_funcs[] = { "symfix_inner", "symfix_outer", "symfix_worker",
					    "symfix_take_lock", "main" };
#define NFUNCS (sizeof(symfix_funcs) / sizeof(symfix_funcs[0]))

static const char *fixture(const char *name)
{
	static char path[4][PATH_MAX + 256];
	static int next;
	const char *dir = getenv("BW_FIXTURES");
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir && *dir ? dir : ".output/fixtures", name);
	return p;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Link-time address of each of symfix_funcs in the unstripped symfix. */
static void symfix_addrs(__u64 addrs[NFUNCS])
{
	struct bw_syms *syms = NULL;
	size_t i;

	cr_assert_eq(bw_syms__new_elf(fixture("symfix"), &syms), 0, "is %s built?",
		     fixture("symfix"));
	for (i = 0; i < NFUNCS; i++)
		cr_assert_eq(bw_syms__addr_of(syms, symfix_funcs[i], &addrs[i]), 0, "%s",
			     symfix_funcs[i]);
	bw_syms__free(syms);
}

static struct bw_syms *open_elf_funcs(const char *path, const char *debug_root,
				      const struct bw_syms_funcs *funcs)
{
	struct bw_syms_opts opts = { .debug_root = debug_root, .funcs = funcs };
	struct bw_syms *syms = NULL;

	cr_assert_eq(bw_syms__new_elf_opts(path, &opts, &syms), 0, "is %s built?", path);
	return syms;
}

static struct bw_syms *open_elf(const char *path, const char *debug_root)
{
	return open_elf_funcs(path, debug_root, NULL);
}

/* With the Go function reader, as blockwatch makes its symbolizers. */
static struct bw_syms *open_go(const char *path)
{
	return open_elf_funcs(path, NULL, &bw_gofuncs);
}

/* Every symfix function named in path's symbolizer (source, and DWARF lines or not). */
static void assert_named(const char *path, const char *debug_root, int source, bool lines)
{
	struct bw_syms *syms = open_elf(path, debug_root);
	__u64 addrs[NFUNCS];
	struct bw_frame f;
	size_t i;

	symfix_addrs(addrs);
	for (i = 0; i < NFUNCS; i++) {
		cr_assert_eq(bw_syms__find(syms, addrs[i] + 1, &f), 0, "%s in %s", symfix_funcs[i],
			     path);
		cr_assert_str_eq(f.func, symfix_funcs[i]);
		cr_assert_eq(f.offset, 1);
		cr_assert_eq(f.source, source, "%s: source %d", symfix_funcs[i], f.source);
		if (lines) {
			cr_assert_str_eq(base_name(f.file), "symfix.c", "%s", symfix_funcs[i]);
			cr_assert_gt(f.line, 0);
		} else {
			cr_assert_str_eq(f.file, "");
		}
	}
	bw_syms__free(syms);
}

/* None of them named. */
static void assert_unnamed(const char *path, const char *debug_root)
{
	struct bw_syms *syms = open_elf(path, debug_root);
	__u64 addrs[NFUNCS];
	struct bw_frame f;
	size_t i;

	symfix_addrs(addrs);
	for (i = 0; i < NFUNCS; i++) {
		cr_assert_eq(bw_syms__find(syms, addrs[i] + 1, &f), -ENOENT, "%s named %s",
			     symfix_funcs[i], f.func);
		cr_assert_eq(f.source, BW_SYM_NONE);
	}
	bw_syms__free(syms);
}

static char *make_tmpdir(void)
{
	char *dir = strdup("/tmp/bw-syms-stripped-XXXXXX");

	cr_assert_not_null(dir);
	cr_assert_not_null(mkdtemp(dir));
	return dir;
}

static void rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	in = open(from, O_RDONLY);
	cr_assert_geq(in, 0, "%s: %s", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	cr_assert_geq(out, 0, "%s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, n), n);
	cr_assert_eq(n, 0);
	close(in);
	close(out);
}

/* mkdir -p */
static void make_dirs(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		cr_assert(!mkdir(buf, 0755) || errno == EEXIST, "%s: %s", buf, strerror(errno));
		*p = '/';
	}
	cr_assert(!mkdir(buf, 0755) || errno == EEXIST, "%s: %s", buf, strerror(errno));
}

/* ".build-id/xx/yyyy.debug" of an ELF file's NT_GNU_BUILD_ID note. */
static void build_id_path(const char *path, char *out, size_t size)
{
	const unsigned char *id = NULL;
	ssize_t len, i;
	size_t at;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "%s", path);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	cr_assert_not_null(elf);
	len = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	cr_assert_gt(len, 1, "%s has no build-id", path);
	at = snprintf(out, size, ".build-id/%02x/", id[0]);
	for (i = 1; i < len; i++)
		at += snprintf(out + at, size - at, "%02x", id[i]);
	snprintf(out + at, size - at, ".debug");
	elf_end(elf);
	close(fd);
}

Test(syms_stripped, stripped_has_no_names)
{
	char *root = make_tmpdir();

	assert_unnamed(fixture("symfix.stripped"), root);
	rm_rf(root);
	free(root);
}

/* A function reader of its own: what it counts and the name it gives every pc. */
struct fake_reader {
	int opens, finds, frees;
	char path[PATH_MAX];
};

static struct fake_reader fake;

static int fake_open(const char *path, struct Elf *elf, void **reader)
{
	fake.opens++;
	cr_assert_not_null(elf);
	snprintf(fake.path, sizeof(fake.path), "%s", path);
	*reader = &fake;
	return 0;
}

static int fake_find(void *reader, __u64 pc, struct bw_syms_func *out)
{
	cr_assert_eq(reader, &fake);
	fake.finds++;
	*out = (struct bw_syms_func){
		.name = "fake_func", .file = "fake.go", .entry = pc - 3, .line = 7
	};
	return 0;
}

static void fake_free(void *reader)
{
	cr_assert_eq(reader, &fake);
	fake.frees++;
}

static const struct bw_syms_funcs fake_funcs = {
	.source = BW_SYM_GOPCLNTAB,
	.open = fake_open,
	.find = fake_find,
	.free = fake_free,
};

/*
 * The reader of the options names what nothing else names, opened once per
 * module and freed with the symbolizer; a pc the ELF names never reaches it.
 */
Test(syms_stripped, function_reader_names_what_nothing_else_does)
{
	char *root = make_tmpdir();
	struct bw_syms *syms;
	__u64 addrs[NFUNCS];
	struct bw_frame f;
	size_t i;

	symfix_addrs(addrs);
	memset(&fake, 0, sizeof(fake));
	syms = open_elf_funcs(fixture("symfix.stripped"), root, &fake_funcs);
	for (i = 0; i < NFUNCS; i++) {
		cr_assert_eq(bw_syms__find(syms, addrs[i] + 1, &f), 0);
		cr_assert_str_eq(f.func, "fake_func");
		cr_assert_eq(f.offset, 3);
		cr_assert_eq(f.source, BW_SYM_GOPCLNTAB);
		cr_assert_str_eq(f.file, "fake.go");
		cr_assert_eq(f.line, 7);
	}
	cr_assert_eq(fake.opens, 1);
	cr_assert_eq(fake.finds, NFUNCS);
	cr_assert_str_eq(fake.path, fixture("symfix.stripped"));
	bw_syms__free(syms);
	cr_assert_eq(fake.frees, 1);

	memset(&fake, 0, sizeof(fake));
	syms = open_elf_funcs(fixture("symfix"), root, &fake_funcs);
	for (i = 0; i < NFUNCS; i++) {
		cr_assert_eq(bw_syms__find(syms, addrs[i] + 1, &f), 0);
		cr_assert_str_eq(f.func, symfix_funcs[i]);
		cr_assert_eq(f.source, BW_SYM_ELF);
	}
	cr_assert_eq(fake.opens + fake.finds, 0);
	bw_syms__free(syms);
	cr_assert_eq(fake.frees, 0);
	rm_rf(root);
	free(root);
}

Test(syms_stripped, debug_file_by_build_id)
{
	char *root = make_tmpdir(), rel[256], path[PATH_MAX];

	build_id_path(fixture("symfix.stripped"), rel, sizeof(rel));
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	*strrchr(path, '/') = '\0';
	make_dirs(path);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	copy_file(fixture("symfix.stripped.dbg"), path);
	assert_named(fixture("symfix.stripped"), root, BW_SYM_DEBUGFILE, true);
	rm_rf(root);
	free(root);
}

/* The .gnu_debuglink name, next to the binary, in its .debug/ and under the root; checked. */
Test(syms_stripped, debug_file_by_debuglink)
{
	char *root = make_tmpdir(), *dir = make_tmpdir(), bin[PATH_MAX], dbg[PATH_MAX];

	/* symfix.debuglink.debug lies next to it. */
	assert_named(fixture("symfix.debuglink"), root, BW_SYM_DEBUGFILE, true);

	snprintf(bin, sizeof(bin), "%s/symfix.debuglink", dir);
	copy_file(fixture("symfix.debuglink"), bin);
	assert_unnamed(bin, root);
	snprintf(dbg, sizeof(dbg), "%s/.debug", dir);
	make_dirs(dbg);
	snprintf(dbg, sizeof(dbg), "%s/.debug/symfix.debuglink.debug", dir);
	copy_file(fixture("symfix.debuglink.debug"), dbg);
	assert_named(bin, root, BW_SYM_DEBUGFILE, true);
	cr_assert_eq(unlink(dbg), 0);

	snprintf(dbg, sizeof(dbg), "%s%s", root, dir);
	make_dirs(dbg);
	snprintf(dbg, sizeof(dbg), "%s%s/symfix.debuglink.debug", root, dir);
	copy_file(fixture("symfix.debuglink.debug"), dbg);
	assert_named(bin, root, BW_SYM_DEBUGFILE, true);

	/*
	 * The same name, another binary's symbols (this test's own): refused.
	 * libdwfl checks the file by build-id when the binary has one, else
	 * by the CRC of .gnu_debuglink.
	 */
	copy_file("/proc/self/exe", dbg);
	assert_unnamed(bin, root);
	rm_rf(root);
	rm_rf(dir);
	free(root);
	free(dir);
}

Test(syms_stripped, minidebuginfo)
{
	char *root = make_tmpdir();

	assert_named(fixture("symfix.minidebug"), root, BW_SYM_MINIDEBUG, false);
	rm_rf(root);
	free(root);
}

/*
 * A payload that decompresses past BW_SYMS_DEBUGDATA_MAX_BYTES is not read, though
 * it starts with a whole ELF of symbols libdwfl would otherwise name them from.
 */
Test(syms_stripped, minidebuginfo_past_the_bound_is_not_read, .timeout = 60)
{
	char *root = make_tmpdir();

	assert_unnamed(fixture("symfix.minibomb"), root);
	rm_rf(root);
	free(root);
}

/*
 * Nor when a debug file is found that has no .symtab: libdwfl would read
 * .gnu_debugdata for the symbols then.
 */
Test(syms_stripped, minidebuginfo_past_the_bound_with_a_debug_file_without_symtab, .timeout = 60)
{
	char *root = make_tmpdir(), rel[256], path[PATH_MAX];

	build_id_path(fixture("symfix.minibomb"), rel, sizeof(rel));
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	*strrchr(path, '/') = '\0';
	make_dirs(path);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	copy_file(fixture("symfix.stripped.nosym.dbg"), path);
	assert_unnamed(fixture("symfix.minibomb"), root);
	rm_rf(root);
	free(root);
}

/* The path of the libc this test runs with, from /proc/self/maps. */
static void own_libc(char *out, size_t size)
{
	char line[PATH_MAX + 128], *path;
	FILE *f = fopen("/proc/self/maps", "r");

	cr_assert_not_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		path = strchr(line, '/');
		if (!path || !strstr(path, "/libc.so.6"))
			continue;
		path[strcspn(path, "\n")] = '\0';
		snprintf(out, size, "%s", path);
		break;
	}
	fclose(f);
	cr_assert(out[0], "no libc.so.6 in /proc/self/maps");
}

/*
 * libc6-dbg's build-id debug file names glibc's internal functions, with
 * file:line; without it (an empty root) the same address is unknown.
 */
Test(syms_stripped, libc_internals_from_libc6_dbg)
{
	static const char *const internal[] = { "__lll_lock_wait", "__futex_abstimed_wait_common" };
	char libc[PATH_MAX], rel[256], dbg[PATH_MAX];
	struct bw_syms *syms, *bare;
	char *root = make_tmpdir();
	struct bw_frame f;
	struct stat st;
	__u64 addr;
	size_t i;

	own_libc(libc, sizeof(libc));
	build_id_path(libc, rel, sizeof(rel));
	snprintf(dbg, sizeof(dbg), "%s/%s", BW_SYMS_DEBUG_ROOT, rel);
	cr_assert_eq(stat(dbg, &st), 0, "no %s: is libc6-dbg installed (make deps)?", dbg);
	syms = open_elf(libc, NULL);
	bare = open_elf(libc, root);
	for (i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
		cr_assert_eq(bw_syms__addr_of(syms, internal[i], &addr), 0, "%s", internal[i]);
		cr_assert_eq(bw_syms__find(syms, addr + 4, &f), 0);
		cr_assert(strstr(f.func, internal[i] + 2), "%s at %#llx is %s", internal[i],
			  (unsigned long long)addr, f.func);
		cr_assert_eq(f.offset, 4);
		cr_assert_eq(f.source, BW_SYM_DEBUGFILE);
		cr_assert_neq(f.file[0], '\0', "%s has no file", f.func);
		cr_assert_gt(f.line, 0);
		cr_log_info("%s: %s+4 %s:%d", internal[i], f.func, f.file, f.line);

		cr_assert_eq(bw_syms__find(bare, addr + 4, &f), -ENOENT, "%s without libc6-dbg: %s",
			     internal[i], f.func);
		cr_assert_eq(bw_syms__addr_of(bare, internal[i], &addr), -ENOENT);
	}
	/* Exported functions are named from .dynsym without it. */
	cr_assert_eq(bw_syms__addr_of(bare, "pthread_cond_wait", &addr), 0);
	cr_assert_eq(bw_syms__find(bare, addr + 1, &f), 0);
	cr_assert_str_eq(f.func, "pthread_cond_wait");
	cr_assert_eq(f.source, BW_SYM_ELF);
	bw_syms__free(syms);
	bw_syms__free(bare);
	rm_rf(root);
	free(root);
}

static const char *go_fixtures(void)
{
	const char *e = getenv("BW_GO_FIXTURES");

	return e && *e ? e : ".output/go-fixtures";
}

/* Functions of tests/go/gobin and of the runtime a goroutine or thread stack shows. */
static const char *const go_funcs[] = { "main.main", "runtime.gopark", "runtime.futexsleep",
					"runtime.notesleep", "runtime.mallocgc" };
#define NGOFUNCS (sizeof(go_funcs) / sizeof(go_funcs[0]))

/* Twin built with .symtab, its strip(1) copy at the same addresses named from the pclntab. */
static int check_go_twin(const char *dir, const char *twin)
{
	char normal[PATH_MAX], stripped[PATH_MAX];
	struct bw_syms *ref, *syms;
	struct bw_frame f;
	struct stat st;
	__u64 addr;
	size_t i;

	snprintf(normal, sizeof(normal), "%s/%s", dir, twin);
	snprintf(stripped, sizeof(stripped), "%s/%s.gnustrip", dir, twin);
	if (stat(normal, &st) || stat(stripped, &st))
		return 0;
	ref = open_elf(normal, NULL);
	syms = open_go(stripped);
	for (i = 0; i < NGOFUNCS; i++) {
		cr_assert_eq(bw_syms__addr_of(ref, go_funcs[i], &addr), 0, "%s: %s", normal,
			     go_funcs[i]);
		cr_assert_eq(bw_syms__find(syms, addr + 1, &f), 0, "%s: %s", stripped, go_funcs[i]);
		cr_assert_str_eq(f.func, go_funcs[i], "%s", stripped);
		cr_assert_eq(f.offset, 1);
		cr_assert_eq(f.source, BW_SYM_GOPCLNTAB);
		cr_assert(strstr(f.file, ".go"), "%s: %s in %s", stripped, go_funcs[i], f.file);
		cr_assert_gt(f.line, 0);
	}
	bw_syms__free(ref);
	bw_syms__free(syms);
	return 1;
}

/* -ldflags='-s -w': no twin at the same addresses; the entries gobin reads must be named. */
static int check_go_stripped(const char *dir, const char *name)
{
	struct bw_gobin *gb = NULL;
	char path[PATH_MAX];
	struct bw_syms *syms, *bare;
	struct bw_frame f;
	struct stat st;
	__u64 addr, size;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st))
		return 0;
	cr_assert_eq(bw_gobin__open(path, &gb), 0, "%s", path);
	cr_assert_eq(bw_gobin__info(gb)->flags & BW_GOBIN_SYMTAB, 0, "%s has a .symtab", path);
	syms = open_go(path);
	bare = open_elf(path, NULL);
	for (i = 0; i < NGOFUNCS; i++) {
		cr_assert_eq(bw_gobin__lookup(gb, go_funcs[i], &addr, &size), 0, "%s: %s", path,
			     go_funcs[i]);
		/* Without the Go reader nothing in the file names it. */
		cr_assert_eq(bw_syms__find(bare, addr + 2, &f), -ENOENT, "%s: %s", path, f.func);
		cr_assert_eq(f.source, BW_SYM_NONE);
		cr_assert_eq(bw_syms__find(syms, addr + 2, &f), 0, "%s: %s", path, go_funcs[i]);
		cr_assert_str_eq(f.func, go_funcs[i], "%s", path);
		cr_assert_eq(f.offset, 2);
		cr_assert_eq(f.source, BW_SYM_GOPCLNTAB);
	}
	bw_syms__free(bare);
	bw_syms__free(syms);
	bw_gobin__free(gb);
	return 1;
}

Test(syms_stripped, go_binaries_from_pclntab)
{
	static const char *const twins[] = { "normal", "pie", "cgo", "cgo-pie" };
	static const char *const stripped[] = { "stripped", "pie-stripped", "cgo-stripped",
						"cgo-pie-stripped" };
	const char *root = go_fixtures();
	char dir[PATH_MAX - 64];
	struct dirent *de;
	int checked = 0;
	size_t i;
	DIR *d;

	d = opendir(root);
	cr_assert_not_null(d, "no %s: make go-fixtures", root);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "go1.", 4))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, de->d_name);
		for (i = 0; i < sizeof(twins) / sizeof(twins[0]); i++)
			checked += check_go_twin(dir, twins[i]);
		for (i = 0; i < sizeof(stripped) / sizeof(stripped[0]); i++)
			checked += check_go_stripped(dir, stripped[i]);
	}
	closedir(d);
	cr_assert_gt(checked, 0, "no Go fixture in %s: make go-fixtures", root);
	cr_log_info("%d stripped Go binaries named", checked);
}
