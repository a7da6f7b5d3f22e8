// SPDX-License-Identifier: GPL-2.0
/*
 * The pieces that let a scan of a million goroutines stay cheap: batched
 * reads, shared symbolization, report lines formatted once per site. Each
 * must give exactly what the one-at-a-time path gives.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include "export/goreport.h"
#include "go/gobin.h"
#include "go/gorec.h"
#include "go/gosyms.h"
#include "go/gowait.h"
#include "go/goverdict.h"
#include "platform/memread.h"

#define SEC 1000000000ULL

static void refuse_process_vm_readv(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_process_vm_readv, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };

	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
}

/*
 * 3000 pieces (three syscalls' worth) of a mapped page, every 7th one in the
 * unmapped page after it instead, and one straddling both: exactly the
 * unmapped ones fail, the rest read the right bytes.
 */
static void check_readv(void)
{
	enum { N = 3000 };
	size_t page = sysconf(_SC_PAGESIZE), i;
	struct bw_memvec *v = calloc(N, sizeof(*v));
	__u64 *got = calloc(N, sizeof(*got));
	struct bw_mem *mem = NULL;
	__u8 *p;

	cr_assert(v && got);
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(p, MAP_FAILED);
	cr_assert_eq(munmap(p + page, page), 0);
	for (i = 0; i < page; i++)
		p[i] = i * 7 + 1;
	cr_assert_eq(bw_mem__open(getpid(), &mem), 0);
	for (i = 0; i < N; i++) {
		__u64 at = (unsigned long)p + (i * 8) % (page - 8);

		if (i % 7 == 3)
			at = (unsigned long)p + page + 8;
		if (i == 1500)
			at = (unsigned long)p + page - 4;
		v[i] = (struct bw_memvec){ .addr = at, .buf = &got[i], .len = 8, .err = 1 };
	}
	cr_assert_eq(bw_mem__readv(mem, v, N), 0);
	for (i = 0; i < N; i++) {
		if (i % 7 == 3 || i == 1500) {
			cr_expect_eq(v[i].err, -EFAULT, "piece %zu: %d", i, v[i].err);
			continue;
		}
		cr_expect_eq(v[i].err, 0, "piece %zu: %d", i, v[i].err);
		cr_expect_eq(memcmp(&got[i], (void *)(unsigned long)v[i].addr, 8), 0, "piece %zu",
			     i);
	}
	cr_assert_eq(bw_mem__readv(mem, v, 0), 0);
	bw_mem__free(mem);
	munmap(p, page);
	free(v);
	free(got);
}

Test(goscale, readv_fails_only_unmapped_pieces)
{
	check_readv();
}

/*
 * Pieces of far-apart mappings (the heap, stacks, the binary's data) in a
 * shuffled order, with duplicates: each reads its own bytes.
 */
Test(goscale, readv_far_apart_in_any_order)
{
	enum { N = 2500, MAPS = 3 };
	static int data_word = 0x5eed;
	size_t page = sysconf(_SC_PAGESIZE), i;
	struct bw_memvec *v = calloc(N, sizeof(*v));
	__u64 *got = calloc(N, sizeof(*got)), s = 977, stack_word = 0x57ac;
	const __u8 *base[MAPS + 2];
	struct bw_mem *mem = NULL;
	__u8 *p;

	cr_assert(v && got);
	for (i = 0; i < MAPS; i++) {
		p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		cr_assert_neq(p, MAP_FAILED);
		memset(p, 0x11 * (i + 1), page);
		base[i] = p;
	}
	base[MAPS] = (const __u8 *)&data_word;
	base[MAPS + 1] = (const __u8 *)&stack_word;
	cr_assert_eq(bw_mem__open(getpid(), &mem), 0);
	for (i = 0; i < N; i++) {
		size_t m = (s = s * 6364136223846793005ULL + 1442695040888963407ULL) >> 61;
		__u64 at = (unsigned long)base[m % (MAPS + 2)];

		if (m % (MAPS + 2) < MAPS)
			at += (s >> 20) % (page / 8) * 8;
		v[i] = (struct bw_memvec){ .addr = at, .buf = &got[i], .len = 4, .err = 1 };
	}
	cr_assert_eq(bw_mem__readv(mem, v, N), 0);
	for (i = 0; i < N; i++) {
		cr_expect_eq(v[i].err, 0, "piece %zu: %d", i, v[i].err);
		cr_expect_eq(memcmp(&got[i], (void *)(unsigned long)v[i].addr, 4), 0, "piece %zu",
			     i);
	}
	bw_mem__free(mem);
	for (i = 0; i < MAPS; i++)
		munmap((void *)base[i], page);
	free(v);
	free(got);
}

Test(goscale, readv_through_proc_mem_when_vm_readv_is_refused)
{
	refuse_process_vm_readv();
	check_readv();
}

Test(goscale, readv_of_a_gone_process)
{
	struct bw_memvec v = { .addr = 0x1000, .buf = &v.addr, .len = 8 };
	struct bw_mem *mem = NULL;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	cr_assert_eq(bw_mem__open(pid, &mem), 0);
	waitpid(pid, NULL, 0);
	cr_expect_lt(bw_mem__readv(mem, &v, 1), 0);
	cr_expect_lt(v.err, 0);
	bw_mem__free(mem);
}

static struct bw_gobin *fixture(void)
{
	const char *root = getenv("BW_GO_FIXTURES");
	char path[PATH_MAX];
	struct bw_gobin *gb = NULL;

	snprintf(path, sizeof(path), "%s/go1.19/normal",
		 root && *root ? root : ".output/go-fixtures");
	cr_assert_eq(bw_gobin__open(path, &gb), 0, "%s: run tests/go/build-fixtures.sh", path);
	return gb;
}

static bool same_func(const struct bw_gofunc *a, const struct bw_gofunc *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->file, b->file) && a->line == b->line &&
	       a->entry == b->entry && a->inlined == b->inlined;
}

/*
 * Stacks made of real return addresses of the binary: the shared path
 * gives what bw_gorec_fill and bw_gorec_fill_stack give, and records with
 * the same pcs share one symbolized stack.
 */
Test(goscale, shared_symbols_match_per_record_ones, .timeout = 60)
{
	struct bw_gobin *gb = fixture();
	const struct bw_goinfo *info = bw_gobin__info(gb);
	struct bw_gosyms *c = NULL;
	__u64 pcs[40][6];
	struct bw_gofunc f;
	__u32 i, j, k = 0;

	cr_assert_eq(bw_gosyms__new(gb, &c), 0);
	for (i = 0; i < info->nfunc && k < 40 * 6; i += 1 + info->nfunc / 300) {
		if (bw_gobin__func_at(gb, i, &f))
			continue;
		pcs[k / 6][k % 6] = f.entry + 1 + (f.end - f.entry) / 2;
		k++;
	}
	cr_assert_eq(k, 40 * 6);
	for (i = 0; i < 80; i++) {
		struct bw_goroutine g = { .goid = i + 1, .npcs = 1 + i % 6, .pcs = pcs[i % 40] };
		struct bw_gorec want, got = { .g = g }, twin = { .g = g };
		int n;

		g.gopc = pcs[(i + 7) % 40][i % 6];
		got.g.gopc = twin.g.gopc = g.gopc;
		bw_gorec_fill(&want, gb, &g);
		cr_assert_eq(bw_gosyms__fill(c, &got), 0);
		cr_expect(same_func(&got.blocked_at, &want.blocked_at), "%u: %s vs %s", i,
			  got.blocked_at.name, want.blocked_at.name);
		cr_expect(same_func(&got.created_by, &want.created_by));
		cr_expect_eq(got.runtime_only, want.runtime_only);
		cr_assert_eq(bw_gorec_fill_stack(&want, gb), 0);
		cr_assert_eq(bw_gosyms__fill_stack(c, &got), 0);
		n = want.nstack;
		cr_expect_eq(got.nstack, n);
		for (j = 0; j < (__u32)n && (int)j < got.nstack; j++)
			cr_expect(same_func(&got.stack[j], &want.stack[j]));
		cr_assert_eq(bw_gosyms__fill_stack(c, &twin), 0);
		cr_expect_eq(twin.stack, got.stack, "same pcs, one stack");
		free(want.stack);
	}
	bw_gosyms__sweep(c);
	bw_gosyms__free(c);
	bw_gobin__free(gb);
}

static struct bw_gorec rec(__u64 goid, const char *at, const char *by, int line)
{
	struct bw_gorec r;

	memset(&r, 0, sizeof(r));
	r.g.goid = goid;
	r.g.gaddr = 0xc000000000ULL + goid * 0x200;
	r.g.status = 4;
	r.g.wait_reason = "chan receive";
	r.g.sched_sp = 0xc000100000ULL + goid * 0x1000;
	r.blocked_at = (struct bw_gofunc){ .name = at, .file = "main.go", .line = line };
	r.created_by = (struct bw_gofunc){ .name = by, .file = "main.go", .line = 20 };
	return r;
}

/* Many sites, in no goid order: groups and verdicts as with sorted input. */
Test(goscale, many_sites_in_any_order)
{
	enum { N = 6000, SITES = 1500 };
	struct bw_gorec *a = calloc(N, sizeof(*a)), *b = calloc(N, sizeof(*b));
	struct bw_gotracker *ta, *tb;
	struct bw_gogroup *ga, *gb;
	size_t nga, ngb, i;

	cr_assert(a && b);
	for (i = 0; i < N; i++) {
		a[i] = rec(i + 1, "main.worker", "main.main", 100 + i % SITES);
		b[N - 1 - i] = a[i];
	}
	cr_assert_eq(bw_gotracker__new(&ta), 0);
	cr_assert_eq(bw_gotracker__new(&tb), 0);
	cr_assert_eq(bw_gotracker__update(ta, a, N, 100 * SEC, SEC, NULL, &ga, &nga), 0);
	cr_assert_eq(bw_gotracker__update(tb, b, N, 100 * SEC, SEC, NULL, &gb, &ngb), 0);
	cr_assert_eq(nga, SITES);
	cr_assert_eq(ngb, SITES);
	for (i = 0; i < N; i++) {
		cr_assert_eq(b[i].g.goid, a[i].g.goid, "sorted by goid");
		cr_expect_eq(b[i].group, a[i].group);
		cr_expect_eq(b[i].verdict, a[i].verdict);
		cr_expect_eq(ga[a[i].group].key, gb[b[i].group].key);
	}
	for (i = 0; i < SITES; i++) {
		cr_expect_eq(ga[i].count, N / SITES);
		cr_expect_eq(ga[i].blocked_at.line, 100 + (int)i);
	}
	free(ga);
	free(gb);
	bw_gotracker__free(ta);
	bw_gotracker__free(tb);
	free(a);
	free(b);
}

/*
 * A stack shared by records prints the same bytes as a copy of it per
 * record: only the per-goroutine fields differ between the lines.
 */
Test(goscale, shared_stacks_print_like_copies)
{
	struct bw_gofunc frames[3] = {
		{ .name = "runtime.gopark", .file = "proc.go", .line = 363 },
		{ .name = "main.\"odd\"\x01", .file = "main.go", .line = 24 },
		{ .name = "runtime.goexit", .file = "asm.s", .line = 1594 },
	};
	struct bw_gofunc copies[40][3];
	struct bw_gorec r[80];
	struct bw_gogroup g[2] = { { .key = 0x1234 }, { .key = 0x5678 } };
	struct bw_capture_go go = { .pid = 7, .recs = r, .nrecs = 80, .groups = g, .ngroups = 2 };
	struct bw_capture c = { .gos = &go, .ngos = 1 };
	char *shared = NULL, *copied = NULL;
	size_t ls = 0, lc = 0, i;
	FILE *f;

	for (i = 0; i < 80; i++) {
		r[i] = rec(i + 1, "main.recv", "main.main", 24);
		r[i].verdict = BW_VERDICT_LEAK;
		r[i].blocked_ns = i * 1000000;
		r[i].group = i % 2;
		r[i].g.tid = i % 3 ? 0 : 100 + i;
		r[i].g.chan = i % 5 ? 0xc000200000ULL + i : 0;
		r[i].g.wait_reason = i % 4 ? "chan receive" : "select";
		r[i].stack = frames;
		r[i].nstack = i % 7 ? 3 : 0;
	}
	f = open_memstream(&shared, &ls);
	cr_assert_not_null(f);
	bw_goreport_json(f, &c);
	fclose(f);
	for (i = 0; i < 80; i++) {
		if (i < 40) {
			memcpy(copies[i], frames, sizeof(frames));
			r[i].stack = copies[i];
		}
	}
	f = open_memstream(&copied, &lc);
	cr_assert_not_null(f);
	bw_goreport_json(f, &c);
	fclose(f);
	cr_expect_eq(ls, lc);
	cr_expect_str_eq(shared, copied);
	cr_expect_not_null(strstr(shared, "\"stack\":[{\"func\":\"runtime.gopark\""));
	cr_expect_not_null(strstr(shared, "\"tid\":103,\"chan\":\"0xc000200003\""));
	free(shared);
	free(copied);
}

/*
 * The evidence is formatted once per object waited on and copied after:
 * waiters of one object with different evidence (another goroutine named,
 * another kind of wait, another object) each get their own, and lines
 * longer than the line buffer (a long wait reason, a deep stack) come out
 * whole.
 */
Test(goscale, shared_evidence_prints_per_record)
{
	enum { N = 60, DEEP = 200 };
	static struct bw_gofunc deep[DEEP];
	static char long_reason[3000];
	struct bw_gorec r[N];
	struct bw_gogroup g[1] = { { .key = 0x42 } };
	struct bw_capture_go go = { .pid = 9, .recs = r, .nrecs = N, .groups = g, .ngroups = 1 };
	struct bw_capture c = { .gos = &go, .ngos = 1 };
	char *out = NULL, *line, *save = NULL, want[512], why[256];
	size_t len = 0, i, seen = 0;
	FILE *f;

	memset(long_reason, 'r', sizeof(long_reason) - 1);
	for (i = 0; i < DEEP; i++)
		deep[i] = (struct bw_gofunc){ .name = "main.deep", .file = "deep.go", .line = i };
	for (i = 0; i < N; i++) {
		r[i] = rec(i + 1, "main.wait", "main.main", 30);
		r[i].verdict = i % 10 == 9 ? BW_VERDICT_DEADLOCK : BW_VERDICT_LEAK;
		r[i].g.why = i % 10 == 9 ? BW_WHY_CYCLE : i % 2 ? BW_WHY_SYNC : BW_WHY_CHAN;
		r[i].g.wait_obj = 0xc000300000ULL + 0x100 * (i % 3);
		r[i].g.why_goid = i % 4 ? 0 : 1000 + i;
		r[i].g.wait_reason = i % 5 == 1 ? "sync.Mutex.Lock" : "semacquire";
		if (i == 7)
			r[i].g.wait_reason = long_reason;
		if (i % 11 == 3) {
			r[i].stack = deep;
			r[i].nstack = DEEP;
		}
	}
	f = open_memstream(&out, &len);
	cr_assert_not_null(f);
	bw_goreport_json(f, &c);
	fclose(f);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, "\"type\":\"goroutine\""))
			continue;
		cr_assert_lt(seen, N);
		i = seen++;
		bw_gowhy_text(&r[i].g, why, sizeof(why));
		snprintf(want, sizeof(want), "{\"type\":\"goroutine\",\"pid\":9,\"goid\":%zu,",
			 i + 1);
		cr_expect(!strncmp(line, want, strlen(want)), "line %zu: %.60s", i, line);
		snprintf(want, sizeof(want), ",\"why\":\"%s\",\"blocked_at\":", why);
		cr_expect_not_null(strstr(line, want), "line %zu: no %s", i, want);
		cr_expect_eq(strstr(line, long_reason) != NULL, i == 7, "line %zu", i);
		cr_expect_eq(strstr(line, "\"line\":199}],\"group\":\"0000000000000042\"}") != NULL,
			     i % 11 == 3, "line %zu", i);
	}
	cr_expect_eq(seen, N);
	free(out);
}
