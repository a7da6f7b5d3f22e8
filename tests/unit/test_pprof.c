// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <criterion/criterion.h>
#include "export/pprof.h"
#include "fixture.h"
#include "proto/profile.pb-c.h"

#define SEC FX_SEC

static void scan_init(struct fx_scan *s)
{
	cr_assert_eq(fx_profile_scan(s), 0);
}

/* The whole of f, gunzipped. */
static unsigned char *gunzip_file(FILE *f, size_t *len)
{
	unsigned char in[4096], *out = NULL;
	size_t cap = 0, n;
	z_stream zs = { 0 };
	int ret = Z_OK;

	rewind(f);
	cr_assert_eq(inflateInit2(&zs, 15 + 16), Z_OK); /* gzip only */
	while (ret != Z_STREAM_END && (n = fread(in, 1, sizeof(in), f)) > 0) {
		zs.next_in = in;
		zs.avail_in = n;
		while (zs.avail_in && ret != Z_STREAM_END) {
			if (zs.total_out == cap) {
				cap = cap ? cap * 2 : 4096;
				out = realloc(out, cap);
				cr_assert_not_null(out);
			}
			zs.next_out = out + zs.total_out;
			zs.avail_out = cap - zs.total_out;
			ret = inflate(&zs, Z_NO_FLUSH);
			cr_assert(ret == Z_OK || ret == Z_STREAM_END, "inflate: %d", ret);
		}
	}
	cr_assert_eq(ret, Z_STREAM_END, "truncated gzip stream");
	*len = zs.total_out;
	inflateEnd(&zs);
	return out;
}

static Perftools__Profiles__Profile *write_and_decode(const struct bw_capture *c)
{
	FILE *f = tmpfile();
	Perftools__Profiles__Profile *p;
	unsigned char *raw;
	size_t len;

	cr_assert_not_null(f);
	cr_assert_eq(bw_pprof_write(f, c), 0);
	raw = gunzip_file(f, &len);
	fclose(f);
	p = perftools__profiles__profile__unpack(NULL, len, raw);
	free(raw);
	cr_assert_not_null(p, "the profile does not decode");
	return p;
}

static const char *str(const Perftools__Profiles__Profile *p, int64_t idx)
{
	cr_assert(idx >= 0 && (size_t)idx < p->n_string_table, "string index %lld out of range",
		  (long long)idx);
	return p->string_table[idx];
}

static const Perftools__Profiles__Location *loc_by_id(const Perftools__Profiles__Profile *p,
						      uint64_t id)
{
	size_t i;

	for (i = 0; i < p->n_location; i++)
		if (p->location[i]->id == id)
			return p->location[i];
	cr_assert_fail("no location %llu", (unsigned long long)id);
	return NULL;
}

static const Perftools__Profiles__Function *func_by_id(const Perftools__Profiles__Profile *p,
						       uint64_t id)
{
	size_t i;

	for (i = 0; i < p->n_function; i++)
		if (p->function[i]->id == id)
			return p->function[i];
	cr_assert_fail("no function %llu", (unsigned long long)id);
	return NULL;
}

static const Perftools__Profiles__Function *func_of(const Perftools__Profiles__Profile *p,
						    uint64_t loc_id)
{
	const Perftools__Profiles__Location *l = loc_by_id(p, loc_id);

	cr_assert_eq(l->n_line, 1);
	return func_by_id(p, l->line[0]->function_id);
}

/* The function names of a sample's stack, leaf first, joined by '|'. */
static char *stack_of(const Perftools__Profiles__Profile *p, const Perftools__Profiles__Sample *s)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	for (i = 0; i < s->n_location_id; i++)
		fprintf(f, "%s%s", i ? "|" : "", str(p, func_of(p, s->location_id[i])->name));
	fclose(f);
	return buf;
}

static const char *label_str(const Perftools__Profiles__Profile *p,
			     const Perftools__Profiles__Sample *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n_label; i++)
		if (!strcmp(str(p, s->label[i]->key), key)) {
			cr_assert_neq(s->label[i]->str, 0, "label %s is not a string", key);
			return str(p, s->label[i]->str);
		}
	return NULL;
}

static int64_t label_num(const Perftools__Profiles__Profile *p,
			 const Perftools__Profiles__Sample *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n_label; i++)
		if (!strcmp(str(p, s->label[i]->key), key))
			return s->label[i]->num;
	return -1;
}

static bool has_string(const Perftools__Profiles__Profile *p, const char *want)
{
	size_t i;

	for (i = 0; i < p->n_string_table; i++)
		if (!strcmp(p->string_table[i], want))
			return true;
	return false;
}

Test(pprof, header_and_sample_types)
{
	struct fx_scan s;
	Perftools__Profiles__Profile *p;

	scan_init(&s);
	p = write_and_decode(&s.c);
	cr_assert_geq(p->n_string_table, 1);
	cr_assert_str_eq(p->string_table[0], "");
	cr_assert_eq(p->n_sample_type, 2);
	cr_assert_str_eq(str(p, p->sample_type[0]->type), "count");
	cr_assert_str_eq(str(p, p->sample_type[0]->unit), "count");
	cr_assert_str_eq(str(p, p->sample_type[1]->type), "blocked");
	cr_assert_str_eq(str(p, p->sample_type[1]->unit), "nanoseconds");
	cr_assert_str_eq(str(p, p->default_sample_type), "blocked");
	cr_assert_eq(p->time_nanos, (int64_t)(1700000000 * SEC));
	cr_assert_eq(p->duration_nanos, (int64_t)(30 * SEC));
	cr_assert_eq(p->n_comment, 1);
	cr_assert(strstr(str(p, p->comment[0]), "blockwatch"));
	perftools__profiles__profile__free_unpacked(p, NULL);
	fx_scan_fini(&s);
}

Test(pprof, one_sample_per_reported_thread_and_goroutine)
{
	struct fx_scan s;
	Perftools__Profiles__Profile *p;
	char *st;
	size_t i;

	scan_init(&s);
	p = write_and_decode(&s.c);
	/* Threads 101 and 103, goroutines 7 and 9; not 102 nor 8 (no verdict). */
	cr_assert_eq(p->n_sample, 4);
	for (i = 0; i < p->n_sample; i++)
		cr_assert_eq(p->sample[i]->n_value, 2);

	cr_assert_eq(p->sample[0]->value[0], 1);
	cr_assert_eq(p->sample[0]->value[1], (int64_t)(5 * SEC));
	st = stack_of(p, p->sample[0]);
	cr_assert_str_eq(st, "[k] futex_wait_queue|[k] do_futex|__futex_abstimed_wait_common|"
			     "pthread_cond_wait|leaky_worker|[leakd]|leakd (100)");
	free(st);
	cr_assert_str_eq(label_str(p, p->sample[0], "kind"), "thread");
	cr_assert_str_eq(label_str(p, p->sample[0], "verdict"), "leak");
	cr_assert_str_eq(label_str(p, p->sample[0], "wait"), bw_wait_name(BW_WAIT_CONDVAR));
	cr_assert_str_eq(label_str(p, p->sample[0], "comm"), "leakd");
	cr_assert_eq(label_num(p, p->sample[0], "pid"), 100);
	cr_assert_eq(label_num(p, p->sample[0], "tid"), 101);
	cr_assert_eq(label_num(p, p->sample[0], "goid"), -1, "no goroutine on that thread");

	cr_assert_eq(p->sample[1]->value[1], (int64_t)SEC);
	st = stack_of(p, p->sample[1]);
	cr_assert_str_eq(st, "epoll_wait|leaky_worker|leakd (100)");
	free(st);
	cr_assert_str_eq(label_str(p, p->sample[1], "verdict"), "idle");
	cr_assert_eq(label_num(p, p->sample[1], "tid"), 103);
	cr_assert_eq(label_num(p, p->sample[1], "goid"), 77);

	for (i = 2; i < 4; i++) {
		cr_assert_eq(p->sample[i]->value[0], 1);
		cr_assert_eq(p->sample[i]->value[1], (int64_t)(20 * SEC));
		st = stack_of(p, p->sample[i]);
		cr_assert_str_eq(st, "runtime.gopark|runtime.chanrecv1|main.leakyHandler|"
				     "gosrv (200)");
		free(st);
		cr_assert_str_eq(label_str(p, p->sample[i], "kind"), "goroutine");
		cr_assert_str_eq(label_str(p, p->sample[i], "verdict"), "leak");
		cr_assert_str_eq(label_str(p, p->sample[i], "wait"), "chan receive");
		cr_assert_str_eq(label_str(p, p->sample[i], "comm"), "gosrv");
		cr_assert_str_eq(label_str(p, p->sample[i], "created_by"), "main.main");
		cr_assert_eq(label_num(p, p->sample[i], "pid"), 200);
		cr_assert_eq(label_num(p, p->sample[i], "tid"), -1);
	}
	cr_assert_eq(label_num(p, p->sample[2], "goid"), 7);
	cr_assert_eq(label_num(p, p->sample[3], "goid"), 9);
	perftools__profiles__profile__free_unpacked(p, NULL);
	fx_scan_fini(&s);
}

Test(pprof, locations_and_functions_shared_and_consistent)
{
	struct fx_scan s;
	Perftools__Profiles__Profile *p;
	const Perftools__Profiles__Location *l;
	const Perftools__Profiles__Function *fn;
	size_t i, j;

	scan_init(&s);
	p = write_and_decode(&s.c);
	/* 7 for thread 101, epoll_wait for 103, 3 Go frames and the Go root. */
	cr_assert_eq(p->n_location, 12);
	cr_assert_eq(p->n_function, 12);
	cr_assert_eq(p->n_mapping, 1);
	cr_assert_eq(p->mapping[0]->id, 1);
	cr_assert_str_eq(str(p, p->mapping[0]->filename), "[blockwatch]");
	cr_assert(p->mapping[0]->has_functions && p->mapping[0]->has_line_numbers);
	for (i = 0; i < p->n_location; i++) {
		cr_assert_neq(p->location[i]->id, 0);
		cr_assert_eq(p->location[i]->mapping_id, 1);
		for (j = 0; j < i; j++)
			cr_assert_neq(p->location[i]->id, p->location[j]->id);
		func_of(p, p->location[i]->id); /* asserts the function exists */
	}
	for (i = 0; i < p->n_function; i++) {
		cr_assert_neq(p->function[i]->id, 0);
		for (j = 0; j < i; j++) {
			cr_assert_neq(p->function[i]->id, p->function[j]->id);
			cr_assert(p->function[i]->name != p->function[j]->name ||
				  p->function[i]->filename != p->function[j]->filename);
		}
	}
	/* Strings are interned once. */
	for (i = 0; i < p->n_string_table; i++)
		for (j = 0; j < i; j++)
			cr_assert_str_neq(p->string_table[i], p->string_table[j]);

	/* leaky_worker's frame: one location for both threads, with pc and line. */
	cr_assert_eq(p->sample[0]->location_id[4], p->sample[1]->location_id[1]);
	cr_assert_eq(p->sample[0]->location_id[6], p->sample[1]->location_id[2]);
	l = loc_by_id(p, p->sample[0]->location_id[4]);
	cr_assert_eq(l->address, 0x401234);
	cr_assert_eq(l->line[0]->line, 42);
	fn = func_by_id(p, l->line[0]->function_id);
	cr_assert_str_eq(str(p, fn->name), "leaky_worker");
	cr_assert_str_eq(str(p, fn->filename), "/src/leakd.c");
	l = loc_by_id(p, p->sample[0]->location_id[0]);
	cr_assert_eq(l->address, 0xffffffff81002040);
	l = loc_by_id(p, p->sample[0]->location_id[5]);
	cr_assert_eq(l->address, 0x401800, "the pc of an unsymbolized frame is kept");

	/* Two goroutines on one stack: the same locations. */
	cr_assert_eq(p->sample[2]->n_location_id, p->sample[3]->n_location_id);
	for (i = 0; i < p->sample[2]->n_location_id; i++)
		cr_assert_eq(p->sample[2]->location_id[i], p->sample[3]->location_id[i]);
	l = loc_by_id(p, p->sample[2]->location_id[2]);
	cr_assert_eq(l->line[0]->line, 17);
	fn = func_by_id(p, l->line[0]->function_id);
	cr_assert_str_eq(str(p, fn->filename), "/src/gosrv/main.go");
	perftools__profiles__profile__free_unpacked(p, NULL);
	fx_scan_fini(&s);
}

Test(pprof, kernel_frames_without_ksyms_are_addresses)
{
	struct fx_scan s;
	Perftools__Profiles__Profile *p;
	char *st;

	scan_init(&s);
	s.c.ksyms = NULL;
	s.c.ngos = 0;
	p = write_and_decode(&s.c);
	cr_assert_eq(p->n_sample, 2);
	st = stack_of(p, p->sample[0]);
	cr_assert(!strncmp(st, "[k] 0xffffffff81002040|[k] 0xffffffff81003010|", 46), "%s", st);
	free(st);
	perftools__profiles__profile__free_unpacked(p, NULL);
	fx_scan_fini(&s);
}

Test(pprof, goroutine_without_stack_keeps_where_it_blocks)
{
	struct fx_scan s;
	Perftools__Profiles__Profile *p;
	char *st;

	scan_init(&s);
	s.c.nthreads = 0;
	s.recs[0].stack = NULL;
	s.recs[0].nstack = 0;
	s.recs[2].g.wait_reason = "";
	s.recs[2].g.status = BW_GSTATUS_SYSCALL;
	p = write_and_decode(&s.c);
	cr_assert_eq(p->n_sample, 2);
	st = stack_of(p, p->sample[0]);
	cr_assert_str_eq(st, "main.leakyHandler|gosrv (200)");
	free(st);
	cr_assert_str_eq(label_str(p, p->sample[1], "wait"), "syscall");
	perftools__profiles__profile__free_unpacked(p, NULL);
	fx_scan_fini(&s);
}

Test(pprof, hostile_strings_escaped)
{
	struct fx_scan s;
	Perftools__Profiles__Profile *p;
	size_t i;
	const unsigned char *c;

	scan_init(&s);
	strcpy(s.threads[0].comm, "ev\x1b]0;x\x07\n");
	snprintf(s.frames[2].func, sizeof(s.frames[2].func), "%s", "f\\x41\xff\xc3\xa9");
	snprintf(s.frames[2].file, sizeof(s.frames[2].file), "%s", "/tmp/\r\n.c");
	s.recs[0].g.wait_reason = "chan\x1b[2J";
	s.go.comm = "go\tsrv";
	p = write_and_decode(&s.c);
	/* Nothing a terminal would act on, and valid UTF-8 for strict readers. */
	for (i = 0; i < p->n_string_table; i++)
		for (c = (const unsigned char *)p->string_table[i]; *c; c++)
			cr_assert(*c >= 0x20 && *c < 0x7f, "byte 0x%02x in string %zu", *c, i);
	cr_assert_str_eq(label_str(p, p->sample[0], "comm"), "ev\\x1b]0;x\\x07\\x0a");
	cr_assert(has_string(p, "ev\\x1b]0;x\\x07\\x0a (100)"));
	cr_assert(has_string(p, "f\\\\x41\\xff\\xc3\\xa9"));
	cr_assert(has_string(p, "/tmp/\\x0d\\x0a.c"));
	cr_assert_str_eq(label_str(p, p->sample[2], "wait"), "chan\\x1b[2J");
	cr_assert(has_string(p, "go\\x09srv (200)"));
	perftools__profiles__profile__free_unpacked(p, NULL);
	fx_scan_fini(&s);
}

Test(pprof, empty_scan_is_a_valid_profile)
{
	struct bw_capture c = { 0 };
	Perftools__Profiles__Profile *p;

	p = write_and_decode(&c);
	cr_assert_eq(p->n_sample, 0);
	cr_assert_eq(p->n_location, 0);
	cr_assert_str_eq(p->string_table[0], "");
	cr_assert_eq(p->n_sample_type, 2);
	perftools__profiles__profile__free_unpacked(p, NULL);
}

Test(pprof, write_error_is_reported)
{
	struct fx_scan s;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		cr_skip_test("no /dev/full");
	scan_init(&s);
	cr_assert_eq(bw_pprof_write(f, &s.c), -ENOSPC);
	fclose(f);
	fx_scan_fini(&s);
}

/* Runs sh -c cmd; its exit status, or -1. */
static int run(const char *cmd)
{
	int st = system(cmd);

	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f) {
		if (getdelim(&buf, &len, '\0', f) < 0) {
			free(buf); /* nothing read: buf holds no string */
			buf = NULL;
		}
		fclose(f);
	}
	return buf ? buf : strdup("");
}

/* The real reader: `go tool pprof`, offline, with a throw-away HOME and cache. */
static char *go_pprof(const char *dir, const char *args)
{
	char cmd[1024], out[512], err[512], *text;

	snprintf(cmd, sizeof(cmd),
		 "cd %1$s && env HOME=%1$s GOCACHE=%1$s/cache GOPATH=%1$s/gopath "
		 "GOENV=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local PPROF_TMPDIR=%1$s "
		 "go tool pprof %2$s %1$s/blocked.pb.gz >%1$s/out 2>%1$s/err",
		 dir, args);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	if (run(cmd)) {
		text = slurp(err);
		cr_assert_fail("go tool pprof %s failed: %s", args, text);
	}
	text = slurp(err);
	cr_assert_str_eq(text, "", "pprof complains: %s", text);
	free(text);
	return slurp(out);
}

Test(pprof, go_tool_pprof_reads_it)
{
	char dir[] = "/tmp/bw-pprof-XXXXXX", path[512], cmd[600], *out;
	struct fx_scan s;
	FILE *f;

	if (run("command -v go >/dev/null 2>&1"))
		cr_skip_test("go is not installed: skipping the check with go tool pprof");
	cr_assert_not_null(mkdtemp(dir));
	scan_init(&s);
	snprintf(path, sizeof(path), "%s/blocked.pb.gz", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(bw_pprof_write(f, &s.c), 0);
	cr_assert_eq(fclose(f), 0);

	out = go_pprof(dir, "-top -sample_index=blocked");
	cr_assert(strstr(out, "Type: blocked"), "%s", out);
	cr_assert(strstr(out, "leaky_worker"), "%s", out);
	cr_assert(strstr(out, "main.leakyHandler"), "%s", out);
	cr_assert(strstr(out, "[k] futex_wait_queue"), "%s", out);
	/* 5s + 1s + 2 * 20s blocked in all; the goroutines' 40s are the most. */
	cr_assert(strstr(out, "46s total"), "%s", out);
	free(out);

	out = go_pprof(dir, "-tags");
	cr_assert(strstr(out, "verdict"), "%s", out);
	cr_assert(strstr(out, "chan receive"), "%s", out);
	free(out);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	run(cmd);
	fx_scan_fini(&s);
}
