// SPDX-License-Identifier: GPL-2.0
/*
 * bw_gobin against real Go binaries: the fixture program tests/go/gobin built
 * by tests/go/build-fixtures.sh with every Go toolchain found (the system one
 * and those fetched by tests/go/fetch-toolchains.sh), each as normal,
 * -s -w stripped, PIE, and cgo externally linked (non-PIE and PIE), plus
 * `strip` copies that keep the addresses of their unstripped twin. The
 * references are the toolchain's own addr2line (go1.X/addr2line beside the
 * builds), the running fixture's runtime.Callers/CallersFrames, and the
 * unstripped twin's .symtab and DWARF.
 *
 * BW_GO_FIXTURES names the fixture folder (default .output/go-fixtures); when
 * it holds no build, the tests run the build script (from the source root).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gelf.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include "go/gcmap.h"
#include "go/gobin.h"
#include "go/goversions.h"
#include "platform/memread.h"

#define MAX_VERSIONS 16
#define MAX_MISMATCHES 5
/* Enough for building the fixtures with every toolchain on the first run. */
#define FIXTURE_TIMEOUT 900

struct gover {
	char name[16]; /* "go1.19" */
	char dir[PATH_MAX];
	char goroot[PATH_MAX];
	char version[64]; /* from $GOROOT/VERSION */
	unsigned int minor;
};

static const char *const builds[] = {
	"normal",
	"stripped",
	"pie",
	"pie-stripped",
	"cgo",
	"cgo-stripped",
	"cgo-pie",
	"cgo-pie-stripped",
	"normal.gnustrip",
	"pie.gnustrip",
	"cgo.gnustrip",
	"cgo-pie.gnustrip",
};
#define NBUILDS (sizeof(builds) / sizeof(builds[0]))

/* Twins with the same addresses: X has .symtab and DWARF, X.gnustrip not. */
static const char *const twins[] = { "normal", "pie", "cgo", "cgo-pie" };

static const char *fixtures_root(void)
{
	const char *e = getenv("BW_GO_FIXTURES");

	return e && *e ? e : ".output/go-fixtures";
}

static int cmp_gover(const void *a, const void *b)
{
	const struct gover *x = a, *y = b;

	return (int)x->minor - (int)y->minor;
}

static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static int scan_versions(const char *root, struct gover *v, int max)
{
	struct dirent *de;
	DIR *d = opendir(root);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		struct gover *g = &v[n];
		char path[PATH_MAX + 32];
		unsigned int minor;
		char *sp;

		if (sscanf(de->d_name, "go1.%u", &minor) != 1 ||
		    strlen(de->d_name) >= sizeof(g->name))
			continue;
		snprintf(g->dir, sizeof(g->dir), "%s/%s", root, de->d_name);
		snprintf(path, sizeof(path), "%s/GOROOT", g->dir);
		read_line(path, g->goroot, sizeof(g->goroot));
		if (!g->goroot[0])
			continue;
		snprintf(path, sizeof(path), "%s/VERSION", g->goroot);
		read_line(path, g->version, sizeof(g->version));
		sp = strpbrk(g->version, " \t");
		if (sp)
			*sp = '\0';
		strcpy(g->name, de->d_name);
		g->minor = minor;
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_gover);
	return n;
}

/*
 * The fixture versions, built first if there are none. Under a lock: tests
 * run in parallel and the first build with all toolchains takes minutes.
 */
static int versions(struct gover *v)
{
	const char *root = fixtures_root();
	char cmd[PATH_MAX + 128], lock[PATH_MAX];
	int n, fd;

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", root);
	cr_assert_eq(system(cmd), 0, "failed to create %s", root);
	snprintf(lock, sizeof(lock), "%s/.lock", root);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "failed to open %s: %s", lock, strerror(errno));
	flock(fd, LOCK_EX);
	n = scan_versions(root, v, MAX_VERSIONS);
	if (!n) {
		snprintf(cmd, sizeof(cmd), "sh tests/go/build-fixtures.sh '%s' >&2", root);
		if (system(cmd) != 0)
			cr_log_warn("tests/go/build-fixtures.sh reported errors");
		n = scan_versions(root, v, MAX_VERSIONS);
	}
	close(fd);
	cr_assert_gt(
		n, 0,
		"no Go fixtures in %s: run `sh tests/go/build-fixtures.sh` from the source "
		"root (needs a Go toolchain: apt-get install golang-go), or set BW_GO_FIXTURES",
		root);
	return n;
}

static int fixture_path(const struct gover *g, const char *build, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", g->dir, build);
	return access(path, R_OK) == 0;
}

static struct bw_gobin *open_fixture(const struct gover *g, const char *build)
{
	char path[PATH_MAX + 32];
	struct bw_gobin *gb = NULL;
	int err;

	if (!fixture_path(g, build, path, sizeof(path)))
		return NULL;
	err = bw_gobin__open(path, &gb);
	cr_expect_eq(err, 0, "%s/%s: bw_gobin__open: %s", g->name, build, strerror(-err));
	return err ? NULL : gb;
}

Test(gobin, version_and_info, .timeout = FIXTURE_TIMEOUT)
{
	struct gover v[MAX_VERSIONS];
	int nv = versions(v), i;
	size_t b;

	for (i = 0; i < nv; i++) {
		for (b = 0; b < NBUILDS; b++) {
			struct bw_gobin *gb = open_fixture(&v[i], builds[b]);
			const struct bw_goinfo *info;

			if (!gb)
				continue;
			info = bw_gobin__info(gb);
			cr_expect_str_eq(info->version, v[i].version, "%s/%s", v[i].name,
					 builds[b]);
			cr_expect_eq(info->major, 1);
			cr_expect_eq(info->minor, v[i].minor, "%s/%s: minor %u", v[i].name,
				     builds[b], info->minor);
			cr_expect_eq(info->pclntab_magic,
				     v[i].minor >= 20 ? 0xfffffff1u : 0xfffffff0u, "%s/%s",
				     v[i].name, builds[b]);
			cr_expect_gt(info->nfunc, 1000, "%s/%s", v[i].name, builds[b]);
			cr_expect(info->flags & BW_GOBIN_INLINE, "%s/%s: no gofunc", v[i].name,
				  builds[b]);
			cr_expect_eq(!!(info->flags & BW_GOBIN_PIE), !!strstr(builds[b], "pie"),
				     "%s/%s", v[i].name, builds[b]);
			cr_expect_eq(!!(info->flags & BW_GOBIN_EXTLINK), !!strstr(builds[b], "cgo"),
				     "%s/%s", v[i].name, builds[b]);
			cr_expect_eq(!!(info->flags & BW_GOBIN_SYMTAB), !strstr(builds[b], "strip"),
				     "%s/%s", v[i].name, builds[b]);
			cr_expect_neq(info->moduledata, 0, "%s/%s", v[i].name, builds[b]);
			bw_gobin__free(gb);
		}
	}
}

/* PCs to check in a function: entry, last byte, middle and a pseudo-random one. */
static int func_pcs(const struct bw_gofunc *f, __u32 idx, __u64 *pcs)
{
	__u64 len = f->end - f->entry;

	if (!len)
		return 0;
	pcs[0] = f->entry;
	pcs[1] = f->end - 1;
	pcs[2] = f->entry + len / 2;
	pcs[3] = f->entry + (idx * 2654435761u) % len;
	return 4;
}

/*
 * Runs addr2line (tool) on ref, a binary with the same addresses as path, for
 * the pcs of every function of path and compares. Returns the number of pcs
 * compared, -1 when the tool knew none of them (Go 1.19's addr2line cannot
 * read PIE binaries). With no_table_ok, a pc we give no position for may have
 * one there: debug/gosym decodes the table at offset 0 of functions that
 * have none (C functions linked internally), the runtime says "none".
 */
static long check_addr2line(const char *label, const char *path, const char *ref, const char *tool,
			    int no_table_ok)
{
	char tmp[] = "/tmp/bw-gobin-pcs-XXXXXX", cmd[4 * PATH_MAX];
	char want_name[4096], want_pos[4096];
	struct bw_gobin *gb = NULL;
	size_t npcs = 0, i, known = 0;
	int fd, mismatches = 0, err;
	__u64 *pcs = NULL;
	FILE *f, *out;
	__u32 idx;

	if (access(path, R_OK))
		return 0;
	err = bw_gobin__open(path, &gb);
	cr_assert_eq(err, 0, "%s: bw_gobin__open: %s", label, strerror(-err));
	pcs = calloc(4 * (size_t)bw_gobin__info(gb)->nfunc, sizeof(*pcs));
	cr_assert_not_null(pcs);
	for (idx = 0; idx < bw_gobin__info(gb)->nfunc; idx++) {
		struct bw_gofunc fn;

		cr_assert_eq(bw_gobin__func_at(gb, idx, &fn), 0, "%s: func %u", label, idx);
		npcs += func_pcs(&fn, idx, pcs + npcs);
	}
	fd = mkstemp(tmp);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	for (i = 0; i < npcs; i++)
		fprintf(f, "%#llx\n", (unsigned long long)pcs[i]);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "'%s' '%s' < '%s'", tool, ref, tmp);
	out = popen(cmd, "r");
	cr_assert_not_null(out, "%s", cmd);
	for (i = 0; i < npcs; i++) {
		struct bw_gofunc fn;
		char got_pos[4096 + 16], *colon;

		if (!fgets(want_name, sizeof(want_name), out) ||
		    !fgets(want_pos, sizeof(want_pos), out))
			break;
		want_name[strcspn(want_name, "\n")] = '\0';
		want_pos[strcspn(want_pos, "\n")] = '\0';
		if (!strcmp(want_name, "?"))
			continue;
		known++;
		/* No line (padding after the last instruction, markers such as
		 * go:textfipsstart) is -1 or another negative number there, 0 here. */
		colon = strrchr(want_pos, ':');
		if (colon && colon[1] == '-')
			strcpy(colon, ":0");
		err = bw_gobin__func(gb, pcs[i], &fn);
		snprintf(got_pos, sizeof(got_pos), "%s:%d", fn.file, fn.line);
		if (!err && !strcmp(fn.name, want_name) &&
		    (!strcmp(got_pos, want_pos) || (no_table_ok && !strcmp(got_pos, ":0"))))
			continue;
		cr_expect_fail("%s pc %#llx: got %d %s %s, %s says %s %s", label,
			       (unsigned long long)pcs[i], err, fn.name, got_pos, tool, want_name,
			       want_pos);
		if (++mismatches >= MAX_MISMATCHES)
			break;
	}
	cr_expect(mismatches || i == npcs, "%s: %s answered %zu of %zu pcs", label, tool, i, npcs);
	pclose(out);
	unlink(tmp);
	free(pcs);
	bw_gobin__free(gb);
	return known ? (long)known : -1;
}

/*
 * Every function entry, last byte, middle and one more pc of every build
 * against addr2line: the fixture's own toolchain's, or the newest one's where
 * the own one reads nothing (1.19 on PIE). Without runtime.text addr2line
 * takes the start of .text as the text start, which the C linker's code
 * before Go's makes wrong in cgo builds: so it reads X for X.gnustrip, and
 * skips -s -w cgo builds (the runtime frames test covers those). Also the
 * toolchain's own go and gofmt: large, built by Debian, cgo linked internally.
 */
Test(gobin, pc_to_line_matches_addr2line, .timeout = FIXTURE_TIMEOUT)
{
	struct gover v[MAX_VERSIONS];
	int nv = versions(v), i;
	char own[PATH_MAX + 16], newest[PATH_MAX + 16];
	size_t b;

	snprintf(newest, sizeof(newest), "%s/addr2line", v[nv - 1].dir);
	for (i = 0; i < nv; i++) {
		snprintf(own, sizeof(own), "%s/addr2line", v[i].dir);
		for (b = 0; b < NBUILDS + 2; b++) {
			char path[PATH_MAX + 32], ref[PATH_MAX + 32], label[PATH_MAX + 48];
			int tool = b >= NBUILDS;
			long n;

			if (tool) {
				snprintf(path, sizeof(path), "%s/bin/%s", v[i].goroot,
					 b == NBUILDS ? "go" : "gofmt");
				snprintf(ref, sizeof(ref), "%s", path);
				snprintf(label, sizeof(label), "%s", path);
			} else {
				if (!strcmp(builds[b], "cgo-stripped") ||
				    !strcmp(builds[b], "cgo-pie-stripped"))
					continue;
				fixture_path(&v[i], builds[b], path, sizeof(path));
				snprintf(ref, sizeof(ref), "%s", path);
				*strrchr(ref, '/') = '\0';
				snprintf(ref + strlen(ref), sizeof(ref) - strlen(ref), "/%.*s",
					 (int)strcspn(builds[b], "."), builds[b]);
				snprintf(label, sizeof(label), "%s/%s", v[i].name, builds[b]);
			}
			n = check_addr2line(label, path, ref, own, tool);
			if (n < 0 && i != nv - 1) {
				cr_log_info("%s: own addr2line reads nothing, using %s", label,
					    newest);
				n = check_addr2line(label, path, ref, newest, tool);
			}
			if (n < 0) /* e.g. only Go 1.19 here, whose addr2line cannot read PIE */
				cr_log_warn("skip: %s: no addr2line here can read it", label);
		}
	}
}

struct rt_frame {
	__u64 pc;
	char func[512];
	char file[1024];
	int line;
};

/*
 * Runs the fixture in "frames" mode: the pcs runtime.Callers gives at a call
 * inlined three levels deep (one pc per logical frame) and CallersFrames' view
 * of each. Returns the number of frames and the load bias.
 */
static int runtime_frames(const char *path, struct bw_gobin *gb, struct rt_frame *fr, int max,
			  __u64 *bias)
{
	char cmd[PATH_MAX + 64], line[2048];
	unsigned long long v;
	__u64 leaf, size;
	int n = 0;
	FILE *p;

	cr_assert_eq(bw_gobin__lookup(gb, "main.leaf", &leaf, &size), 0, "%s: main.leaf", path);
	snprintf(cmd, sizeof(cmd), "'%s' frames", path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, "entry main.leaf %llx", &v) == 1) {
			*bias = v - leaf;
		} else if (sscanf(line, "pc %llx", &v) == 1 && n < max) {
			fr[n].pc = v;
		} else if (n < max && sscanf(line, "frame %511s %1023s %d", fr[n].func, fr[n].file,
					     &fr[n].line) == 3) {
			n++;
		}
	}
	cr_expect_eq(pclose(p), 0, "%s exited with an error", cmd);
	return n;
}

static void check_frames(const struct gover *g, const char *build)
{
	struct bw_gobin *gb = open_fixture(g, build);
	struct rt_frame fr[32];
	struct bw_gofunc out[16];
	char path[PATH_MAX + 32];
	__u64 bias = 0;
	int n, i = 0, k, j;

	if (!gb)
		return;
	fixture_path(g, build, path, sizeof(path));
	n = runtime_frames(path, gb, fr, 32, &bias);
	cr_expect_geq(n, 6, "%s/%s: %d frames from the fixture", g->name, build, n);
	cr_expect_eq(!!bias, !!(bw_gobin__info(gb)->flags & BW_GOBIN_PIE), "%s/%s: bias %#llx",
		     g->name, build, (unsigned long long)bias);
	while (i < n) {
		/* Return addresses: symbolize pc - 1; the next k pcs are those the
		 * runtime made up for the frames inlined at this one. */
		k = bw_gobin__frames(gb, fr[i].pc - bias - 1, out, 16);
		cr_assert_gt(k, 0, "%s/%s: no frames for %#llx", g->name, build,
			     (unsigned long long)fr[i].pc);
		if (i == 0) {
			cr_expect_eq(k, 4, "%s/%s: inline chain of %d", g->name, build, k);
			cr_expect(out[0].inlined && out[1].inlined && out[2].inlined &&
					  !out[k - 1].inlined,
				  "%s/%s: inlined flags", g->name, build);
		}
		for (j = 0; j < k && i + j < n; j++) {
			cr_expect_str_eq(out[j].name, fr[i + j].func, "%s/%s: frame %d", g->name,
					 build, i + j);
			cr_expect_str_eq(out[j].file, fr[i + j].file, "%s/%s: frame %d", g->name,
					 build, i + j);
			cr_expect_eq(out[j].line, fr[i + j].line,
				     "%s/%s: frame %d %s: line %d != %d", g->name, build, i + j,
				     fr[i + j].func, out[j].line, fr[i + j].line);
		}
		i += k;
	}
	bw_gobin__free(gb);
}

Test(gobin, inline_frames_match_runtime, .timeout = FIXTURE_TIMEOUT)
{
	struct gover v[MAX_VERSIONS];
	int nv = versions(v), i;
	size_t b;

	for (i = 0; i < nv; i++)
		for (b = 0; b < NBUILDS; b++)
			check_frames(&v[i], builds[b]);
}

static const char *const rt_syms[] = {
	"runtime.allgs",	"runtime.allglen",
	"runtime.allm",		"runtime.waitReasonStrings",
	"runtime.buildVersion", "runtime.firstmoduledata",
};

Test(gobin, runtime_symbols, .timeout = FIXTURE_TIMEOUT)
{
	struct gover v[MAX_VERSIONS];
	int nv = versions(v), i;
	size_t b, s;

	for (i = 0; i < nv; i++) {
		/* Found in every build, by symbol or recovered. */
		for (b = 0; b < NBUILDS; b++) {
			struct bw_gobin *gb = open_fixture(&v[i], builds[b]);
			__u64 addr, size;
			__u32 src = 0;

			if (!gb)
				continue;
			for (s = 0; s < sizeof(rt_syms) / sizeof(rt_syms[0]); s++) {
				addr = 0;
				cr_expect_eq(bw_gobin__lookup(gb, rt_syms[s], &addr, &size), 0,
					     "%s/%s: %s not found", v[i].name, builds[b],
					     rt_syms[s]);
				cr_expect_neq(addr, 0, "%s/%s: %s", v[i].name, builds[b],
					      rt_syms[s]);
			}
			if (!bw_gobin__lookup(gb, "runtime.waitReasonStrings", &addr, &size))
				cr_expect_eq(size / 16, bw_gobin__nwait_reasons(gb, NULL), "%s/%s",
					     v[i].name, builds[b]);
			bw_gobin__nwait_reasons(gb, &src);
			cr_expect_eq(src, BW_GOWAIT_FILE, "%s/%s", v[i].name, builds[b]);
			cr_expect_eq(bw_gobin__lookup(gb, "runtime.no_such_symbol", &addr, &size),
				     -ENOENT);
			bw_gobin__free(gb);
		}
		/* Recovered exactly: same addresses as the .symtab of the twin. */
		for (b = 0; b < sizeof(twins) / sizeof(twins[0]); b++) {
			char stripped[64];
			struct bw_gobin *full = open_fixture(&v[i], twins[b]), *bare;
			const struct bw_goinfo *fi, *bi;

			snprintf(stripped, sizeof(stripped), "%s.gnustrip", twins[b]);
			bare = open_fixture(&v[i], stripped);
			if (!full || !bare)
				goto next;
			for (s = 0; s < sizeof(rt_syms) / sizeof(rt_syms[0]); s++) {
				__u64 fa = 0, fs = 0, ba = 1, bs = 1;

				bw_gobin__lookup(full, rt_syms[s], &fa, &fs);
				bw_gobin__lookup(bare, rt_syms[s], &ba, &bs);
				cr_expect_eq(ba, fa, "%s/%s: %s at %#llx, .symtab says %#llx",
					     v[i].name, stripped, rt_syms[s],
					     (unsigned long long)ba, (unsigned long long)fa);
				if (strcmp(rt_syms[s], "runtime.firstmoduledata"))
					cr_expect_eq(
						bs, fs, "%s/%s: %s size %llu, .symtab says %llu",
						v[i].name, stripped, rt_syms[s],
						(unsigned long long)bs, (unsigned long long)fs);
			}
			fi = bw_gobin__info(full);
			bi = bw_gobin__info(bare);
			cr_expect_eq(bi->text_start, fi->text_start, "%s/%s", v[i].name, stripped);
			cr_expect_eq(bi->gofunc, fi->gofunc, "%s/%s", v[i].name, stripped);
			cr_expect_eq(bi->moduledata, fi->moduledata, "%s/%s", v[i].name, stripped);
		next:
			bw_gobin__free(full);
			bw_gobin__free(bare);
		}
	}
}

/* Without symbols, allp is among the slices runtime.retake reads (goscan checks them). */
Test(gobin, allp_among_retake_slices, .timeout = FIXTURE_TIMEOUT)
{
	struct gover v[MAX_VERSIONS];
	int nv = versions(v), i;
	size_t b, k, n;

	for (i = 0; i < nv; i++)
		for (b = 0; b < sizeof(twins) / sizeof(twins[0]); b++) {
			char stripped[64];
			struct bw_gobin *full = open_fixture(&v[i], twins[b]), *bare;
			__u64 allp = 0, size, cand[8];
			bool found = false;

			snprintf(stripped, sizeof(stripped), "%s.gnustrip", twins[b]);
			bare = open_fixture(&v[i], stripped);
			if (full && bare) {
				cr_assert_eq(bw_gobin__lookup(full, "runtime.allp", &allp, &size),
					     0, "%s/%s: no runtime.allp", v[i].name, twins[b]);
				n = bw_gobin__slice_refs(bare, "runtime.retake", cand, 8);
				for (k = 0; k < n; k++)
					found = found || cand[k] == allp;
				cr_expect(found, "%s/%s: allp %#llx not among %zu candidates",
					  v[i].name, stripped, (unsigned long long)allp, n);
			}
			bw_gobin__free(full);
			bw_gobin__free(bare);
		}
}

Test(gobin, layout_dwarf_equals_table, .timeout = FIXTURE_TIMEOUT)
{
	struct gover v[MAX_VERSIONS];
	int nv = versions(v), i;

	for (i = 0; i < nv; i++) {
		struct bw_gobin *full = open_fixture(&v[i], "normal");
		struct bw_gobin *bare = open_fixture(&v[i], "normal.gnustrip");
		struct bw_golayout d, t, h;

		if (!full || !bare)
			goto next;
		cr_assert_eq(bw_gobin__layout(full, &d), 0, "%s: no layout", v[i].name);
		cr_assert_eq(bw_gobin__layout(bare, &t), 0, "%s: no table layout", v[i].name);
		cr_expect_eq(d.source, BW_GOLAYOUT_DWARF, "%s", v[i].name);
		cr_expect_eq(t.source, BW_GOLAYOUT_TABLE, "%s", v[i].name);
		cr_expect(bw_gobin__info(full)->flags & BW_GOBIN_DWARF);
		t.source = d.source;
		/* The heap metadata comes from DWARF only; the table leaves it -1. */
		cr_expect_eq(t.mheap_arenas, -1);
		cr_expect_eq(t.mspan_elemsize, -1);
		cr_expect_geq(d.mheap_arenas, 0, "%s: mheap.arenas", v[i].name);
		cr_expect_geq(d.heaparena_spans, 0, "%s: heapArena.spans", v[i].name);
		cr_expect_eq(d.mspan_startaddr, 24, "%s: mspan.startAddr", v[i].name);
		cr_expect_geq(d.mspan_elemsize, 0, "%s: mspan.elemsize", v[i].name);
		/* The heap table stripped builds fall back to says what DWARF says. */
		memset(&h, 0xff, sizeof(h));
		cr_expect_eq(bw_goversion_heap(1, v[i].minor, &h), 0, "%s: no heap table",
			     v[i].name);
		cr_expect_eq(h.mheap_arenas, d.mheap_arenas, "%s: mheap.arenas", v[i].name);
		cr_expect_eq(h.heaparena_spans, d.heaparena_spans, "%s: heapArena.spans",
			     v[i].name);
		cr_expect_eq(h.mspan_startaddr, d.mspan_startaddr, "%s: mspan.startAddr",
			     v[i].name);
		cr_expect_eq(h.mspan_elemsize, d.mspan_elemsize, "%s: mspan.elemsize", v[i].name);
		d.mheap_arenas = d.heaparena_spans = d.mspan_startaddr = d.mspan_elemsize = -1;
		cr_expect_eq(t.mspan_npages, -1);
		if (v[i].minor >= 22) {
			cr_expect_geq(d.mspan_npages, 0, "%s: mspan.npages", v[i].name);
			cr_expect_geq(d.mspan_spanclass, 0, "%s: mspan.spanclass", v[i].name);
			cr_expect_geq(d.mspan_largetype, 0, "%s: mspan.largeType", v[i].name);
		}
		cr_expect_eq(d.span_inline_marks, v[i].minor >= 26 ? 128 : 0, "%s", v[i].name);
		d.mspan_npages = d.mspan_spanclass = d.mspan_largetype = -1;
		cr_expect(!memcmp(&d, &t, sizeof(d)),
			  "%s: DWARF and table differ: size %u/%u goid %d/%d status %d/%d "
			  "waitreason %d/%d gopc %d/%d bp %d/%d procid %d/%d curg %d/%d "
			  "alllink %d/%d sudog.c %d/%d tracking %d/%d waitlink %d/%d",
			  v[i].name, d.g_size, t.g_size, d.g_goid, t.g_goid, d.g_atomicstatus,
			  t.g_atomicstatus, d.g_waitreason, t.g_waitreason, d.g_gopc, t.g_gopc,
			  d.gobuf_bp, t.gobuf_bp, d.m_procid, t.m_procid, d.m_curg, t.m_curg,
			  d.m_alllink, t.m_alllink, d.sudog_c, t.sudog_c, d.g_tracking_seq,
			  t.g_tracking_seq, d.sudog_waitlink, t.sudog_waitlink);
		if (v[i].minor == 19) { /* GO-RUNTIME.md */
			cr_expect_eq(d.g_size, 392);
			cr_expect_eq(d.g_goid, 152);
			cr_expect_eq(d.g_waitreason, 176);
			cr_expect_eq(d.g_parent_goid, -1);
			cr_expect_eq(d.g_stack_hi, 8);
		}
	next:
		bw_gobin__free(full);
		bw_gobin__free(bare);
	}
}

static int expected_reason(const char *name, unsigned int minor)
{
	/* From GO-RUNTIME.md: index by version 1.19, 1.20-1.23, 1.24, 1.25, 1.26 (and 1.27). */
	static const struct {
		const char *name;
		int v119, v120, v124, v125, v126;
	} t[] = {
		{ "IO wait", 2, 2, 2, 2, 2 },
		{ "chan receive (nil chan)", 3, 3, 3, 3, 15 },
		{ "select", 9, 9, 9, 9, 18 },
		{ "select (no cases)", 10, 10, 10, 10, 17 },
		{ "chan receive", 14, 14, 14, 14, 19 },
		{ "chan send", 15, 15, 15, 15, 20 },
		{ "semacquire", 18, 18, 18, 19, 13 },
		{ "sleep", 19, 19, 19, 20, 14 },
		{ "sync.Cond.Wait", 20, 20, 20, 21, 21 },
		{ "sync.Mutex.Lock", -1, 21, 21, 22, 22 },
		{ "sync.RWMutex.Lock", -1, 23, 23, 24, 24 },
		{ "sync.WaitGroup.Wait", -1, -1, 24, 25, 25 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(t[i].name, name))
			continue;
		if (minor <= 19)
			return t[i].v119;
		if (minor <= 23)
			return t[i].v120;
		return minor == 24 ? t[i].v124 : minor == 25 ? t[i].v125 : t[i].v126;
	}
	return -2;
}

static const char *const reasons[] = {
	"IO wait",
	"chan receive (nil chan)",
	"select",
	"select (no cases)",
	"chan receive",
	"chan send",
	"semacquire",
	"sleep",
	"sync.Cond.Wait",
	"sync.Mutex.Lock",
	"sync.RWMutex.Lock",
	"sync.WaitGroup.Wait",
};

Test(gobin, wait_reasons, .timeout = FIXTURE_TIMEOUT)
{
	struct gover v[MAX_VERSIONS];
	int nv = versions(v), i;
	size_t b, r;

	for (i = 0; i < nv; i++) {
		for (b = 0; b < NBUILDS; b++) {
			struct bw_gobin *gb = open_fixture(&v[i], builds[b]);

			if (!gb)
				continue;
			cr_expect_str_eq(bw_gobin__wait_reason(gb, 0), "");
			cr_expect_str_eq(bw_gobin__wait_reason(gb, 1), "GC assist marking");
			cr_expect_null(bw_gobin__wait_reason(gb, 1000));
			for (r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++) {
				int want = expected_reason(reasons[r], v[i].minor);
				int got = bw_gobin__wait_reason_index(gb, reasons[r]);

				cr_expect_eq(got, want < 0 ? -ENOENT : want, "%s/%s: %s at %d",
					     v[i].name, builds[b], reasons[r], got);
				if (want >= 0)
					cr_expect_str_eq(bw_gobin__wait_reason(gb, want),
							 reasons[r]);
			}
			bw_gobin__free(gb);
		}
	}
}

static void *read_file(const char *path, size_t *size)
{
	struct stat st;
	void *buf;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || !(buf = malloc(st.st_size + 1)) ||
	    fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	*size = st.st_size;
	return buf;
}

static void write_file(const char *path, const void *buf, size_t size)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(buf, 1, size, f), size);
	fclose(f);
}

/* Without a usable runtime.waitReasonStrings the per-version table is used. */
Test(gobin, wait_reason_table_matches_binary, .timeout = FIXTURE_TIMEOUT)
{
	struct gover v[MAX_VERSIONS];
	int nv = versions(v), i;

	for (i = 0; i < nv; i++) {
		char path[PATH_MAX + 32], tmp[] = "/tmp/bw-gobin-wr-XXXXXX";
		struct bw_gobin *orig = open_fixture(&v[i], "stripped"), *gb = NULL;
		size_t size;
		__u32 n, k, src;
		char *buf, *p;
		int fd;

		if (!orig)
			continue;
		fixture_path(&v[i], "stripped", path, sizeof(path));
		buf = read_file(path, &size);
		cr_assert_not_null(buf);
		buf[size] = '\0';
		/* Break every copy of the string the data scan keys on. */
		for (p = buf; (p = memmem(p, buf + size - p, "GC assist marking", 17)); p += 17)
			p[16] = 'X';
		fd = mkstemp(tmp);
		cr_assert_geq(fd, 0);
		close(fd);
		write_file(tmp, buf, size);
		cr_assert_eq(bw_gobin__open(tmp, &gb), 0, "%s: open", v[i].name);
		n = bw_gobin__nwait_reasons(gb, &src);
		cr_expect_eq(src, BW_GOWAIT_TABLE, "%s: source %u", v[i].name, src);
		cr_expect_eq(n, bw_gobin__nwait_reasons(orig, NULL), "%s: %u reasons", v[i].name,
			     n);
		for (k = 0; k < n; k++)
			cr_expect_str_eq(bw_gobin__wait_reason(gb, k),
					 bw_gobin__wait_reason(orig, k) ?: "(null)",
					 "%s: reason %u", v[i].name, k);
		bw_gobin__free(gb);
		bw_gobin__free(orig);
		unlink(tmp);
		free(buf);
	}
}

/*
 * Go before 1.18 stored pointers in .go.buildinfo (to the runtime.buildVersion
 * string header) where 1.18+ inlines the strings: rewrite a header into the
 * old form, pointing at the binary's own runtime.buildVersion.
 */
Test(gobin, buildinfo_pointer_format, .timeout = FIXTURE_TIMEOUT)
{
	static const char *const which[] = { "normal", "pie" };
	struct gover v[MAX_VERSIONS];
	size_t w;

	versions(v);
	for (w = 0; w < 2; w++) {
		char path[PATH_MAX + 32], tmp[] = "/tmp/bw-gobin-bi-XXXXXX";
		struct bw_gobin *orig = open_fixture(&v[0], which[w]), *gb = NULL;
		__u64 bv, size;
		size_t fsize;
		char *buf, *hdr;
		int fd;

		cr_assert_not_null(orig);
		cr_assert_eq(bw_gobin__lookup(orig, "runtime.buildVersion", &bv, &size), 0);
		fixture_path(&v[0], which[w], path, sizeof(path));
		buf = read_file(path, &fsize);
		cr_assert_not_null(buf);
		hdr = memmem(buf, fsize, "\xff Go buildinf:", 14);
		cr_assert_not_null(hdr);
		hdr[15] = 0; /* flags: little-endian, pointer format */
		memcpy(hdr + 16, &bv, 8);
		memset(hdr + 24, 0, 8);	 /* modinfo: none */
		memset(hdr + 32, 0, 16); /* no inline strings left behind */
		fd = mkstemp(tmp);
		cr_assert_geq(fd, 0);
		close(fd);
		write_file(tmp, buf, fsize);
		cr_assert_eq(bw_gobin__open(tmp, &gb), 0);
		cr_expect_str_eq(bw_gobin__info(gb)->version, bw_gobin__info(orig)->version, "%s",
				 which[w]);
		cr_expect_eq(bw_gobin__info(gb)->minor, bw_gobin__info(orig)->minor);
		bw_gobin__free(gb);
		bw_gobin__free(orig);
		unlink(tmp);
		free(buf);
	}
}

Test(gobin, not_go)
{
	char tmp[] = "/tmp/bw-gobin-txt-XXXXXX";
	struct bw_gobin *gb = (void *)1;
	int fd = mkstemp(tmp);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "hello\n", 6), 6);
	close(fd);
	cr_expect_eq(bw_gobin__open(tmp, &gb), -ENOEXEC);
	cr_expect_null(gb);
	unlink(tmp);
	cr_expect_eq(bw_gobin__open("/nonexistent/blockwatch", &gb), -ENOENT);
	cr_expect_eq(bw_gobin__open("/proc/self/exe", &gb), -ENOEXEC, "a C program");
	bw_gobin__free(NULL);
}

Test(gobin, bad_arguments, .timeout = FIXTURE_TIMEOUT)
{
	struct gover v[MAX_VERSIONS];
	struct bw_gobin *gb;
	struct bw_gofunc f;

	versions(v);
	gb = open_fixture(&v[0], "normal");
	cr_assert_not_null(gb);
	cr_expect_eq(bw_gobin__func(gb, 0, &f), -ENOENT);
	cr_expect_str_eq(f.name, "");
	cr_expect_eq(bw_gobin__func(gb, ~0ull, &f), -ENOENT);
	cr_expect_eq(bw_gobin__frames(gb, bw_gobin__info(gb)->text_start, &f, 0), -EINVAL);
	cr_expect_eq(bw_gobin__frames(gb, 1, &f, 1), -ENOENT);
	cr_expect_eq(bw_gobin__func_at(gb, bw_gobin__info(gb)->nfunc, &f), -ENOENT);
	cr_expect_eq(bw_gobin__wait_reason_index(gb, "no such reason"), -ENOENT);
	bw_gobin__free(gb);
}

/* Exercises every query; the point is not crashing on whatever was opened. */
static void poke(struct bw_gobin *gb, unsigned int *seed)
{
	const struct bw_goinfo *info = bw_gobin__info(gb);
	struct bw_gofunc out[8];
	struct bw_golayout l;
	__u64 a, s;
	__u32 i, n;
	int k;

	for (i = 0; i < info->nfunc; i++) {
		if (bw_gobin__func_at(gb, i, out))
			continue;
		bw_gobin__func(gb, out[0].entry + rand_r(seed) % 64, out);
		k = bw_gobin__frames(gb, out[0].entry + rand_r(seed) % 256, out, 8);
		while (k-- > 0)
			cr_assert(out[k].name && out[k].file);
	}
	for (i = 0; i < sizeof(rt_syms) / sizeof(rt_syms[0]); i++)
		bw_gobin__lookup(gb, rt_syms[i], &a, &s);
	bw_gobin__lookup(gb, "main.leaf", &a, &s);
	bw_gobin__layout(gb, &l);
	n = bw_gobin__nwait_reasons(gb, NULL);
	for (i = 0; i <= n; i++)
		bw_gobin__wait_reason(gb, i);
}

/* Random damage to the pclntab, the data and the file length: no crash, no hang. */
Test(gobin, corrupt_binaries, .timeout = FIXTURE_TIMEOUT)
{
	unsigned char magic[] = { 0xf0, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x08 };
	char path[PATH_MAX + 32], tmp[] = "/tmp/bw-gobin-fuzz-XXXXXX";
	struct gover v[MAX_VERSIONS];
	unsigned int seed = 12345;
	size_t size, pcl, len;
	int nv = versions(v), i, j, fd, ok = 0, iter;
	char *orig, *buf, *p;

	for (i = 0; i < nv && v[i].minor != 19; i++)
		;
	if (i == nv)
		i = 0;
	cr_assert(fixture_path(&v[i], "stripped", path, sizeof(path)));
	orig = read_file(path, &size);
	cr_assert_not_null(orig);
	buf = malloc(size);
	cr_assert_not_null(buf);
	if (v[i].minor >= 20)
		magic[0] = 0xf1;
	p = memmem(orig, size, magic, sizeof(magic));
	cr_assert_not_null(p, "%s: no pclntab magic", path);
	pcl = p - orig;
	fd = mkstemp(tmp);
	cr_assert_geq(fd, 0);
	close(fd);
	for (iter = 0; iter < 400; iter++) {
		struct bw_gobin *gb = NULL;

		memcpy(buf, orig, size);
		len = size;
		switch (iter % 4) {
		case 0: /* header fields of the pclntab */
			for (j = 0; j < 4; j++)
				buf[(pcl + 8 + rand_r(&seed) % 64) % size] = rand_r(&seed);
			break;
		case 1: /* the tables after it */
			for (j = 0; j < 64; j++)
				buf[(pcl + rand_r(&seed) % 0x40000) % size] = rand_r(&seed);
			break;
		case 2: /* anywhere */
			for (j = 0; j < 256; j++)
				buf[rand_r(&seed) % size] = rand_r(&seed);
			break;
		case 3: /* truncated */
			len = rand_r(&seed) % size;
			break;
		}
		write_file(tmp, buf, len);
		if (bw_gobin__open(tmp, &gb) == 0) {
			ok++;
			poke(gb, &seed);
			bw_gobin__free(gb);
		}
	}
	cr_log_info("corrupt_binaries: %d of 400 damaged copies still opened", ok);
	unlink(tmp);
	free(buf);
	free(orig);
}

/* ---- GC pointer maps (gcmap.h) --------------------------------------------- */

static int mask_bit(const struct bw_gcmask *m, __u64 addr)
{
	if (addr < m->start || addr >= m->end || (addr - m->start) % 8)
		return -1;
	return m->bits[(addr - m->start) / 8 / 8] >> ((addr - m->start) / 8 % 8) & 1;
}

/* The mask bit of the word at link-time addr, from whichever section holds it. */
static int global_bit(const struct bw_gcmask *data, const struct bw_gcmask *bss, __u64 addr)
{
	int b = mask_bit(data, addr);

	return b >= 0 ? b : mask_bit(bss, addr);
}

/* gcPair {p *gcNode; n uintptr; q *gcNode} at addr: words 0 and 2 pointers, 1 not. */
static void check_pair(const struct bw_gcmask *data, const struct bw_gcmask *bss, __u64 addr,
		       const char *what)
{
	cr_expect_eq(global_bit(data, bss, addr), 1, "%s.p at %#llx", what,
		     (unsigned long long)addr);
	cr_expect_eq(global_bit(data, bss, addr + 8), 0, "%s.n at %#llx", what,
		     (unsigned long long)addr + 8);
	cr_expect_eq(global_bit(data, bss, addr + 16), 1, "%s.q at %#llx", what,
		     (unsigned long long)addr + 16);
}

Test(gcmap, globals_at_symbols, .timeout = FIXTURE_TIMEOUT)
{
	static const struct {
		const char *sym;
		int bit, in_data;
	} want[] = {
		{ "main.gcBssPtr", 1, 0 },
		{ "main.gcBssInt", 0, 0 },
		{ "main.gcDataPair", 1, 1 },
		{ "main.gcBssPair", 1, 0 },
	};
	struct gover v[MAX_VERSIONS];
	int nv = versions(v), i, checked = 0;
	size_t t, k;

	for (i = 0; i < nv; i++) {
		for (t = 0; t < sizeof(twins) / sizeof(twins[0]); t++) {
			char bare_name[64];
			struct bw_gobin *gb = open_fixture(&v[i], twins[t]), *bare;
			struct bw_gcmask data, bss, bdata, bbss;
			__u64 addr, size;

			if (!gb)
				continue;
			cr_assert_eq(bw_gcmap_globals(gb, &data, &bss), 0, "%s/%s: no masks",
				     v[i].name, twins[t]);
			cr_expect_lt(data.start, data.end, "%s/%s", v[i].name, twins[t]);
			cr_expect_lt(bss.start, bss.end, "%s/%s", v[i].name, twins[t]);
			for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
				const struct bw_gcmask *m = want[k].in_data ? &data : &bss;

				cr_assert_eq(bw_gobin__lookup(gb, want[k].sym, &addr, &size), 0,
					     "%s/%s: %s", v[i].name, twins[t], want[k].sym);
				/* Scalars sit in .noptrbss, outside the masks: never marked. */
				if (want[k].bit)
					cr_expect_eq(mask_bit(m, addr), 1, "%s/%s: %s at %#llx",
						     v[i].name, twins[t], want[k].sym,
						     (unsigned long long)addr);
				else
					cr_expect_neq(global_bit(&data, &bss, addr), 1,
						      "%s/%s: %s at %#llx", v[i].name, twins[t],
						      want[k].sym, (unsigned long long)addr);
				if (size == 24)
					check_pair(&data, &bss, addr, want[k].sym);
			}
			/* The runtime's own: allgs.array is a pointer, allglen is not. */
			if (!bw_gobin__lookup(gb, "runtime.allglen", &addr, &size))
				cr_expect_neq(global_bit(&data, &bss, addr), 1, "%s: allglen",
					      v[i].name);
			if (!bw_gobin__lookup(gb, "runtime.allgs", &addr, &size)) {
				cr_expect_eq(global_bit(&data, &bss, addr), 1, "%s: allgs",
					     v[i].name);
				cr_expect_eq(global_bit(&data, &bss, addr + 8), 0, "%s: allgs.len",
					     v[i].name);
			}
			/* The strip(1) twin has no symbols but the same module: same masks. */
			snprintf(bare_name, sizeof(bare_name), "%s.gnustrip", twins[t]);
			bare = open_fixture(&v[i], bare_name);
			if (bare) {
				cr_assert_eq(bw_gcmap_globals(bare, &bdata, &bbss), 0, "%s/%s",
					     v[i].name, bare_name);
				cr_expect(bdata.start == data.start && bdata.end == data.end &&
						  !memcmp(bdata.bits, data.bits,
							  (data.end - data.start) / 64 + 1),
					  "%s/%s: data mask differs", v[i].name, bare_name);
				cr_expect(bbss.start == bss.start && bbss.end == bss.end &&
						  !memcmp(bbss.bits, bss.bits,
							  (bss.end - bss.start) / 64 + 1),
					  "%s/%s: bss mask differs", v[i].name, bare_name);
				free(bdata.bits);
				free(bbss.bits);
				bw_gobin__free(bare);
			}
			free(data.bits);
			free(bss.bits);
			bw_gobin__free(gb);
			checked++;
		}
	}
	cr_expect_gt(checked, 0);
}

Test(gcmap, gcprog)
{
	/* 3 literal bits 101, repeat the last 3 bits 2 times, 2 literal bits 11, end. */
	static const __u8 prog[] = { 0x03, 0x05, 0x83, 0x02, 0x02, 0x03, 0x00 };
	/* Varint n: repeat 1 bit (n = 1 as a varint after 0x80) 9 times. */
	static const __u8 prog2[] = { 0x01, 0x01, 0x80, 0x01, 0x09, 0x00 };
	__u8 bits[4] = { 0 };

	cr_assert_eq(bw_gcprog_run(prog, sizeof(prog), bits, 32), 0);
	/* 101 101 101 11 -> bits 0,2,3,5,6,8,9,10 */
	cr_expect_eq(bits[0], 0x6d);
	cr_expect_eq(bits[1], 0x07);
	memset(bits, 0, sizeof(bits));
	cr_assert_eq(bw_gcprog_run(prog2, sizeof(prog2), bits, 32), 0);
	cr_expect_eq(bits[0], 0xff);
	cr_expect_eq(bits[1], 0x03);
	cr_expect_eq(bits[2], 0);
	/* Output bounded by nbits: the repeat stops at bit 4. */
	memset(bits, 0, sizeof(bits));
	cr_assert_eq(bw_gcprog_run(prog2, sizeof(prog2), bits, 4), 0);
	cr_expect_eq(bits[0], 0x0f);
	cr_expect_eq(bits[1], 0);
	/* Truncated, and a repeat of more bits than emitted. */
	cr_expect_eq(bw_gcprog_run(prog, 3, bits, 32), -EINVAL);
	cr_expect_eq(bw_gcprog_run((const __u8[]){ 0x01, 0x01, 0x82, 0x01, 0x00 }, 5, bits, 32),
		     -EINVAL);
	cr_expect_eq(bw_gcprog_run((const __u8[]){ 0x08 }, 1, bits, 32), -EINVAL);
}

/* Load bias of a PIE process: where its file offset 0 is mapped minus its first PT_LOAD. */
static __u64 load_bias(pid_t pid, const char *path)
{
	char maps[64], line[PATH_MAX + 128], real[PATH_MAX], *p;
	__u64 lo = ~0ull, start, off, first = ~0ull;
	GElf_Phdr ph;
	size_t n, i;
	Elf *e;
	FILE *f;
	int fd;

	cr_assert(realpath(path, real));
	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "r");
	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		p = strchr(line, '/');
		if (!p || strcmp(p, real) ||
		    sscanf(line, "%llx-%*x %*s %llx", (unsigned long long *)&start,
			   (unsigned long long *)&off) != 2)
			continue;
		if (off == 0 && start < lo)
			lo = start;
	}
	fclose(f);
	cr_assert_neq(lo, ~0ull, "%s not mapped in %d", real, pid);
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	e = elf_begin(fd, ELF_C_READ, NULL);
	cr_assert(e && !elf_getphdrnum(e, &n));
	for (i = 0; i < n; i++)
		if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < first)
			first = ph.p_vaddr & ~0xfffull;
	elf_end(e);
	close(fd);
	return lo - first;
}

struct gc_child {
	pid_t pid;
	FILE *out;
	__u64 bss_pair, data_pair; /* runtime addresses */
	__u64 live, dead, marker;
};

/* Runs `fixture gcmap` and reads what it prints; 0 when it parked. */
static int start_gcmap(const char *path, struct gc_child *c)
{
	char line[256];
	int fds[2];

	memset(c, 0, sizeof(*c));
	cr_assert_eq(pipe(fds), 0);
	c->pid = fork();
	cr_assert_geq(c->pid, 0);
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed assertion ends the test, and it */
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		setenv("GOGC", "off", 1);
		execl(path, path, "gcmap", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	c->out = fdopen(fds[0], "r");
	while (c->out && fgets(line, sizeof(line), c->out)) {
		unsigned long long a, b, m;

		if (sscanf(line, "global gcBssPair %llx", &a) == 1)
			c->bss_pair = a;
		else if (sscanf(line, "global gcDataPair %llx", &a) == 1)
			c->data_pair = a;
		else if (sscanf(line, "gcstack %llx %llx %llx", &a, &b, &m) == 3) {
			c->live = a, c->dead = b, c->marker = m;
			return 0;
		}
	}
	return -1;
}

static void stop_gcmap(struct gc_child *c)
{
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	if (c->out)
		fclose(c->out);
}

/* The goroutine whose stack holds addr: its sched.sp/pc and stack.hi. */
static int find_g(struct bw_mem *mem, const struct bw_golayout *l, __u64 allgs, __u64 addr,
		  __u64 *sp, __u64 *pc, __u64 *hi)
{
	__u64 arr, n, i, g, lo;
	__u32 st;

	if (bw_mem__read_u64(mem, allgs, &arr) || bw_mem__read_u64(mem, allgs + 8, &n))
		return -1;
	for (i = 0; i < n && i < 100000; i++) {
		if (bw_mem__read_u64(mem, arr + 8 * i, &g) || !g ||
		    bw_mem__read_u64(mem, g + l->g_stack_lo, &lo) ||
		    bw_mem__read_u64(mem, g + l->g_stack_hi, hi) || addr < lo || addr >= *hi)
			continue;
		if (bw_mem__read_u32(mem, g + l->g_atomicstatus, &st) || (st & ~0x1000u) != 4 ||
		    bw_mem__read_u64(mem, g + l->g_sched + l->gobuf_sp, sp) ||
		    bw_mem__read_u64(mem, g + l->g_sched + l->gobuf_pc, pc))
			return -1;
		return 0;
	}
	return -1;
}

/*
 * The heap object at obj, a gcNode {next *gcNode; val int} (16 bytes, a
 * headerless small object): its span from mheap_.arenas, its heap bits at
 * the span's end; word 0 is a pointer, word 1 not.
 */
static void check_heap_object(struct bw_gobin *gb, const struct bw_golayout *l, struct bw_mem *mem,
			      __u64 bias, __u64 obj, const char *ver, const char *build)
{
	__u64 mheap, size, l2, arena, span, idx, hb_addr, hb_len, npages, base, elem;
	struct bw_gospan s;
	__u8 sc, *hb, bits[8] = { 0 };

	cr_assert_eq(bw_gobin__lookup(gb, "runtime.mheap_", &mheap, &size), 0);
	idx = (obj + (1ull << 47)) >> 26;
	cr_assert_eq(bw_mem__read_u64(mem, mheap + bias + l->mheap_arenas, &l2), 0);
	cr_assert_eq(bw_mem__read_u64(mem, l2 + 8 * idx, &arena), 0);
	cr_assert_eq(
		bw_mem__read_u64(mem, arena + l->heaparena_spans + 8 * ((obj >> 13) % 8192), &span),
		0);
	cr_assert(span, "%s/%s: no span for %#llx", ver, build, (unsigned long long)obj);
	cr_assert_eq(bw_mem__read_u64(mem, span + l->mspan_startaddr, &base), 0);
	cr_assert_eq(bw_mem__read_u64(mem, span + l->mspan_npages, &npages), 0);
	cr_assert_eq(bw_mem__read_u64(mem, span + l->mspan_elemsize, &elem), 0);
	cr_assert_eq(bw_mem__read(mem, span + l->mspan_spanclass, &sc, 1), 0);
	s = (struct bw_gospan){ .base = base, .npages = npages, .elemsize = elem, .spanclass = sc };
	cr_assert_eq(elem, 16, "%s/%s: gcNode in a span of %llu-byte objects", ver, build,
		     (unsigned long long)elem);
	cr_assert_eq(sc & 1, 0, "%s/%s: gcNode in a noscan span", ver, build);
	cr_assert_eq(bw_gcmap_heap_bits_range(l, &s, &hb_addr, &hb_len), 0);
	hb = malloc(hb_len);
	cr_assert(hb);
	cr_assert_eq(bw_mem__read(mem, hb_addr, hb, hb_len), 0);
	obj -= (obj - base) % elem; /* the object's base (obj is one already) */
	cr_assert_eq(bw_gcmap_heap_small(&s, hb, hb_len, obj, bits), 0);
	cr_expect_eq(bits[0] & 3, 1, "%s/%s: gcNode words %#x, want next=1 val=0", ver, build,
		     bits[0]);
	free(hb);
}

/*
 * The memo of walks against the walk itself on the parked stack: a second
 * walk of the same stack is a hit, and with any one word zeroed (a return
 * address read as 0 ends the walk early) the memo still answers what the
 * walk of that stack does. Some word must change the answer, or the check
 * would prove nothing.
 */
static void check_memo(const struct bw_gobin *gb, __u64 bias, __u64 pc, __u64 sp, const __u8 *buf,
		       size_t len, const char *ver, const char *build)
{
	size_t nb = (len / 8 + 7) / 8, i;
	__u8 *stack = malloc(len), *want = calloc(nb, 1), *got = calloc(nb, 1),
	     *first = calloc(nb, 1);
	struct bw_gcmap_memo *m = NULL;
	int rc, want_rc, first_rc, changed = 0;

	cr_assert(stack && want && got && first);
	cr_assert_eq(bw_gcmap_memo__new(&m), 0);
	memcpy(stack, buf, len);
	first_rc = bw_gcmap_stack(gb, bias, pc, sp, stack, len, first);
	for (i = 0; i < 2; i++) {
		memset(got, 0, nb);
		rc = bw_gcmap_stack_memo(m, gb, bias, pc, sp, stack, len, got);
		cr_expect_eq(rc, first_rc, "%s/%s: memo rc %d, walk %d", ver, build, rc, first_rc);
		cr_expect_eq(memcmp(got, first, nb), 0, "%s/%s: memo bits differ", ver, build);
	}
	cr_expect_eq(bw_gcmap_memo__hits(m), 1, "%s/%s: the second walk is no hit", ver, build);
	for (i = 0; i + 8 <= len; i += 8) {
		memset(stack + i, 0, 8);
		memset(want, 0, nb);
		memset(got, 0, nb);
		want_rc = bw_gcmap_stack(gb, bias, pc, sp, stack, len, want);
		rc = bw_gcmap_stack_memo(m, gb, bias, pc, sp, stack, len, got);
		cr_expect_eq(rc, want_rc, "%s/%s: word %zu zeroed: memo rc %d, walk %d", ver, build,
			     i / 8, rc, want_rc);
		cr_expect_eq(memcmp(got, want, nb), 0, "%s/%s: word %zu zeroed: memo bits differ",
			     ver, build, i / 8);
		changed |= want_rc != first_rc || memcmp(want, first, nb);
		memcpy(stack + i, buf + i, 8);
	}
	cr_expect(changed, "%s/%s: no zeroed word changed the walk", ver, build);
	bw_gcmap_memo__free(m);
	free(stack);
	free(want);
	free(got);
	free(first);
}

/*
 * A goroutine parked in main.gcHold's <-c, read from the running fixture:
 * the slot of `live` (used after the receive) must be marked, no word
 * holding `dead` (its last use was before) may be, the walk must be precise
 * to runtime.goexit. And the globals at the addresses the program printed.
 */
static void check_parked(const struct gover *g, const char *build)
{
	char path[PATH_MAX + 32];
	struct bw_gobin *gb = NULL;
	struct bw_golayout l;
	struct bw_gcmask data, bss;
	struct bw_mem *mem = NULL;
	struct gc_child c;
	__u64 bias = 0, allgs, size, sp, pc, hi, i, nw;
	int live_marked = 0, dead_seen = 0, dead_marked = 0, ret;
	__u8 *buf, *bits;

	if (!fixture_path(g, build, path, sizeof(path)))
		return;
	cr_assert_eq(bw_gobin__open(path, &gb), 0, "%s/%s", g->name, build);
	cr_assert_eq(start_gcmap(path, &c), 0, "%s/%s: fixture did not park", g->name, build);
	if (bw_gobin__info(gb)->flags & BW_GOBIN_PIE)
		bias = load_bias(c.pid, path);
	cr_assert_eq(bw_gobin__layout(gb, &l), 0);
	cr_assert_eq(bw_gobin__lookup(gb, "runtime.allgs", &allgs, &size), 0, "%s/%s", g->name,
		     build);
	cr_assert_eq(bw_mem__open(c.pid, &mem), 0);
	/* It printed before parking in <-c: wait (bounded) for it to be waiting. */
	for (i = 0; i < 500 && find_g(mem, &l, allgs + bias, c.marker, &sp, &pc, &hi); i++)
		usleep(10000);
	cr_assert_eq(find_g(mem, &l, allgs + bias, c.marker, &sp, &pc, &hi), 0,
		     "%s/%s: no parked goroutine with a stack holding %#llx", g->name, build,
		     (unsigned long long)c.marker);
	cr_assert(sp < hi && hi - sp < (1u << 20));
	buf = malloc(hi - sp);
	nw = (hi - sp) / 8;
	bits = calloc(nw / 8 + 1, 1);
	cr_assert(buf && bits);
	cr_assert_eq(bw_mem__read(mem, sp, buf, hi - sp), 0);
	ret = bw_gcmap_stack(gb, bias, pc, sp, buf, hi - sp, bits);
	cr_expect_eq(ret, 0, "%s/%s: walk not precise (%d)", g->name, build, ret);
	check_memo(gb, bias, pc, sp, buf, hi - sp, g->name, build);
	for (i = 0; i < nw; i++) {
		__u64 w;
		int b = bits[i / 8] >> (i % 8) & 1;

		memcpy(&w, buf + 8 * i, 8);
		if (w == c.live && b)
			live_marked = 1;
		if (w == c.dead) {
			dead_seen = 1;
			dead_marked |= b;
		}
	}
	cr_expect(live_marked, "%s/%s: the live pointer %#llx is in no marked word", g->name, build,
		  (unsigned long long)c.live);
	cr_expect(dead_seen, "%s/%s: the dead pointer is not in the stack", g->name, build);
	cr_expect(!dead_marked, "%s/%s: the dead pointer %#llx is marked live", g->name, build,
		  (unsigned long long)c.dead);

	/* Cut in the middle: the frames that fit keep their maps, the rest is all set. */
	memset(bits, 0, nw / 8 + 1);
	cr_expect_eq(bw_gcmap_stack(gb, bias, pc, sp, buf, 8 * (nw / 2), bits), 1);
	cr_expect(bits[(nw / 2 - 1) / 8] >> ((nw / 2 - 1) % 8) & 1, "%s/%s: cut stack's last word",
		  g->name, build);
	cr_expect_eq(bits[nw / 2 / 8 + 1], 0, "%s/%s: a bit past the buffer", g->name, build);
	/* A pc in no function: every word. */
	memset(bits, 0, nw / 8 + 1);
	cr_expect_eq(bw_gcmap_stack(gb, bias, 8, sp, buf, 64, bits), 1);
	cr_expect_eq(bits[0], 0xff);
	cr_expect_eq(bits[1], 0);
	cr_expect_eq(bw_gcmap_stack(gb, bias, pc, sp + 4, buf, 64, bits), -EINVAL);

	if (g->minor >= 22 && l.source == BW_GOLAYOUT_DWARF)
		check_heap_object(gb, &l, mem, bias, c.live, g->name, build);

	cr_assert_eq(bw_gcmap_globals(gb, &data, &bss), 0, "%s/%s: no masks", g->name, build);
	check_pair(&data, &bss, c.bss_pair - bias, "gcBssPair");
	check_pair(&data, &bss, c.data_pair - bias, "gcDataPair");
	free(data.bits);
	free(bss.bits);
	free(buf);
	free(bits);
	bw_mem__free(mem);
	stop_gcmap(&c);
	bw_gobin__free(gb);
}

Test(gcmap, parked_goroutine_live_and_dead_slots, .timeout = FIXTURE_TIMEOUT)
{
	struct gover v[MAX_VERSIONS];
	int nv = versions(v), i;
	size_t b;

	for (i = 0; i < nv; i++)
		for (b = 0; b < NBUILDS; b++)
			check_parked(&v[i], builds[b]);
}

Test(gcmap, heap_typed_and_small)
{
	/* A {p, n, q} type (mask 101) tiled in 56 bytes: words 0,2 3,5 6 (the third cut short). */
	static const __u8 mask[] = { 0x05 };
	struct bw_golayout l = { .span_inline_marks = 0 };
	struct bw_gospan s = { .base = 0x1000000, .npages = 1, .elemsize = 32, .spanclass = 2 };
	__u8 bits[2] = { 0 }, hb[128] = { 0 };
	__u64 a, n;

	cr_assert_eq(bw_gcmap_heap_typed(mask, 1, 24, 24, 56, bits), 0);
	cr_expect_eq(bits[0], 0x6d);
	cr_expect_eq(bw_gcmap_heap_typed(mask, 1, 0, 24, 56, bits), -EINVAL);
	cr_expect_eq(bw_gcmap_heap_typed(mask, 0, 24, 24, 56, bits), -EINVAL);
	/* One page: 128 bytes of heap bits at the end; Green Tea moves them 128 down. */
	cr_assert_eq(bw_gcmap_heap_bits_range(&l, &s, &a, &n), 0);
	cr_expect_eq(a, 0x1000000 + 8192 - 128);
	cr_expect_eq(n, 128);
	l.span_inline_marks = 128;
	cr_assert_eq(bw_gcmap_heap_bits_range(&l, &s, &a, &n), 0);
	cr_expect_eq(a, 0x1000000 + 8192 - 256);
	/* Object 3 (words 12-15): bits 12 and 14 set. */
	hb[1] = 0x50;
	memset(bits, 0, sizeof(bits));
	cr_assert_eq(bw_gcmap_heap_small(&s, hb, sizeof(hb), 0x1000000 + 96, bits), 0);
	cr_expect_eq(bits[0], 0x05);
	cr_expect_eq(bw_gcmap_heap_small(&s, hb, sizeof(hb), 0x1000000 + 97, bits), -EINVAL);
	s.spanclass = 3; /* noscan */
	memset(bits, 0, sizeof(bits));
	cr_assert_eq(bw_gcmap_heap_small(&s, hb, sizeof(hb), 0x1000000 + 96, bits), 0);
	cr_expect_eq(bits[0], 0);
}
