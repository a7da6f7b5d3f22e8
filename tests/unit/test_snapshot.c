// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "export/diff.h"
#include "platform/ksyms.h"
#include "export/report.h"
#include "export/snapshot.h"
#include "core/hash.h"
#include "fixture.h"

#define SEC 1000000000ULL

static struct bw_thread threads[3];
static struct bw_frame frames[2];
static struct bw_gofunc stack[2];
static struct bw_gorec recs[2];
static struct bw_gogroup groups[1];
static struct bw_capture_go go;
static struct bw_ksyms *ksyms;

static void fixture(struct bw_capture *c)
{
	static char kallsyms[] = "ffffffff81000000 T futex_wait\nffffffff81000100 T schedule\n";
	FILE *kf = fmemopen(kallsyms, strlen(kallsyms), "r");

	cr_assert_eq(bw_ksyms__load(kf, &ksyms), 0);
	fclose(kf);
	memset(c, 0, sizeof(*c));
	snprintf(c->tool, sizeof(c->tool), "blockwatch test");
	snprintf(c->kernel, sizeof(c->kernel), "6.18");
	snprintf(c->host, sizeof(c->host), "h\"ost");
	c->created_unix_s = 1700000000;
	c->threshold_ns = 10 * SEC;
	c->watched_ns = 3 * SEC;
	memset(threads, 0, sizeof(threads));
	threads[0] = (struct bw_thread){ .pid = 10,
					 .tid = 10,
					 .comm = "main",
					 .state = 'S',
					 .blocked_ns = 20 * SEC,
					 .wait = BW_WAIT_SIGNAL,
					 .verdict = BW_VERDICT_IDLE,
					 .wait_fd = -1,
					 .syscall_nr = 34 };
	threads[1] = (struct bw_thread){ .pid = 10,
					 .tid = 11,
					 .comm = "a\\b\x1b",
					 .state = 'S',
					 .blocked_ns = 15 * SEC + 123,
					 .wait = BW_WAIT_MUTEX,
					 .verdict = BW_VERDICT_DEADLOCK,
					 .owner_tid = 11,
					 .wait_addr = 0x7000,
					 .wait_fd = -1,
					 .in_cycle = true,
					 .chain_entries = 1,
					 .chain = { 11 },
					 .kstack_entries = 2,
					 .kstack = { 0xffffffff81000010ULL, 0xffffffff81000180ULL },
					 .ustack = frames,
					 .ustack_entries = 2,
					 .has_history = true,
					 .syscall_nr = 202 };
	threads[1].history.blocks = 4;
	threads[1].history.max_ns = 7 * SEC;
	threads[1].history.slots[3] = 4;
	threads[1].history.futex_blocks = 3;
	threads[1].has_futex = true;
	threads[1].futex.waits = 9;
	threads[2] = (struct bw_thread){
		.pid = 10, .tid = 12, .comm = "busy", .state = 'R', .wait_fd = -1, .syscall_nr = -1
	};
	threads[1].reason = BW_REASON_CYCLE;
	snprintf(threads[1].why, sizeof(threads[1].why), "cycle: 11 -> 11");
	/* evidence fields of another kind of claim, as they would travel */
	threads[0].reason = BW_REASON_PILE;
	threads[0].pile_threads = 7;
	threads[0].pile_growth_per_min = 12.5;
	threads[0].gone_owner_tid = 4242;
	snprintf(threads[0].why, sizeof(threads[0].why), "pile: \"7\" threads");
	frames[0] = (struct bw_frame){ .pc = 0x7f00,
				       .func = "__lll_lock_wait",
				       .module = "libc",
				       .source = BW_SYM_DEBUGFILE };
	frames[1] = (struct bw_frame){
		.pc = 0x4010, .offset = 5, .func = "transfer", .file = "/src/demo.c", .line = 44
	};
	c->threads = threads;
	c->nthreads = 3;
	c->ksyms = ksyms;
	stack[0] = (struct bw_gofunc){ .name = "runtime.gopark", .file = "proc.go", .line = 363 };
	stack[1] = (struct bw_gofunc){ .name = "main.leakSend", .file = "main.go", .line = 9 };
	groups[0] = (struct bw_gogroup){
		.wait_reason = "chan send",
		.blocked_at = stack[1],
		.created_by = { .name = "main.gather", .file = "main.go", .line = 15 },
		.count = 2,
		.reported = 1,
		.oldest_ns = 30 * SEC,
		.growth_per_min = 12.25,
		.verdict = BW_VERDICT_LEAK,
		.key = 0xabcdef
	};
	memset(recs, 0, sizeof(recs));
	recs[0].g.goid = 18;
	recs[0].g.wait_reason = "chan send";
	recs[0].g.status = 4;
	recs[0].blocked_ns = 30 * SEC;
	recs[0].verdict = BW_VERDICT_LEAK;
	recs[0].blocked_at = stack[1];
	recs[0].created_by = groups[0].created_by;
	recs[0].stack = stack;
	recs[0].nstack = 2;
	recs[0].g.why = BW_WHY_CHAN;
	recs[0].g.wait_obj = 0xc000123000;
	recs[0].g.why_goid = 23;
	recs[1] = recs[0];
	recs[1].g.goid = 19;
	recs[0].verdict_any = BW_VERDICT_LEAK;
	recs[0].why_any = BW_WHY_CHAN;
	recs[1].verdict = BW_VERDICT_NONE; /* under the threshold: kept since version 2 */
	recs[1].blocked_ns = 2 * SEC;
	recs[1].verdict_any = BW_VERDICT_LEAK;
	recs[1].why_any = BW_WHY_CHAN;
	go = (struct bw_capture_go){ .pid = 10,
				     .go_version = "go1.22.1",
				     .scan_stacks = "precise",
				     .scan_heap = "conservative",
				     .scan_globals = "precise",
				     .recs = recs,
				     .nrecs = 2,
				     .groups = groups,
				     .ngroups = 1 };
	c->gos = &go;
	c->ngos = 1;
}

static char *write_to_string(const struct bw_capture *c, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	cr_assert_eq(bw_snapshot_write(f, c), 0);
	fclose(f);
	return buf;
}

static int read_from(const char *buf, size_t len, struct bw_capture *c, char *why)
{
	FILE *f = fmemopen((void *)buf, len, "r");
	int err = bw_snapshot_read(f, c, why, 256);

	fclose(f);
	return err;
}

Test(snapshot, round_trip_is_byte_stable)
{
	struct bw_capture c, back;
	char why[256] = "", *snap, *again, *t1, *t2, *j1, *j2;
	size_t len, len2;

	fixture(&c);
	snap = write_to_string(&c, &len);
	cr_assert_eq(read_from(snap, len, &back, why), 0, "%s", why);
	cr_assert_eq(back.nthreads, 3);
	cr_assert_eq(back.ngos, 1);
	cr_assert_eq(back.gos[0].nrecs, 2, "every goroutine is kept");
	cr_assert_eq(back.version, BW_SNAPSHOT_VERSION);
	cr_assert_eq(back.gos[0].recs[1].verdict, BW_VERDICT_NONE);
	cr_assert_eq(back.gos[0].recs[1].verdict_any, BW_VERDICT_LEAK);
	cr_assert_eq(back.gos[0].recs[1].why_any, BW_WHY_CHAN);
	cr_assert_eq(back.gos[0].recs[1].blocked_ns, 2 * SEC);
	again = write_to_string(&back, &len2);
	cr_assert_eq(len, len2);
	cr_assert_eq(memcmp(snap, again, len), 0, "snapshot -> read -> snapshot differs");
	t1 = fx_report(&c, false);
	t2 = fx_report(&back, false);
	cr_assert_str_eq(t1, t2);
	cr_assert_not_null(strstr(t2, "futex_wait+0x10"), "kernel symbols travel: %s", t2);
	cr_assert_not_null(strstr(t2, "schedule+0x80"));
	cr_assert_not_null(strstr(t2, "4 blocks (3 in futex waits, of 9 futex wait calls)"),
			   "futex waits travel: %s", t2);
	j1 = fx_report(&c, true);
	j2 = fx_report(&back, true);
	cr_assert_str_eq(j1, j2);
	cr_assert_not_null(strstr(j2, "\"futex_waits\":9"), "%s", j2);
	cr_assert_not_null(strstr(j2, "\"futex_blocks\":3"), "%s", j2);
	cr_assert_not_null(strstr(t2, "why: cycle: 11 -> 11"), "the evidence travels: %s", t2);
	cr_assert_not_null(strstr(j2, "\"reason\":\"pile\",\"why\":\"pile: \\\"7\\\" threads\""),
			   "%s", j2);
	cr_assert_not_null(strstr(j2, "\"pile_threads\":7,\"pile_growth_per_min\":12.5"), "%s", j2);
	cr_assert_not_null(strstr(j2, "\"gone_owner_tid\":4242"), "%s", j2);
	cr_assert_not_null(strstr(j2, "\"sym_source\":\"debugfile\""), "where a name came from: %s",
			   j2);
	/* The evidence and the scan kinds travel. */
	cr_assert_not_null(strstr(t2, "why         chan 0xc000123000 reachable from no live "
				      "goroutine or global; also waited on by leaked goroutine 23"),
			   "%s", t2);
	cr_assert_not_null(strstr(j2, "\"scan\":{\"stacks\":\"precise\",\"heap\":\"conservative\","
				      "\"globals\":\"precise\"}"),
			   "%s", j2);
	cr_assert_not_null(strstr(j2, "\"why\":\"chan 0xc000123000"), "%s", j2);
	free(snap);
	free(again);
	free(t1);
	free(t2);
	free(j1);
	free(j2);
	bw_capture_free(&back);
	bw_ksyms__free(ksyms);
}

Test(snapshot, damage_is_reported)
{
	struct bw_capture c, back;
	char why[256], *snap, *bad;
	size_t len, cut;

	fixture(&c);
	snap = write_to_string(&c, &len);
	/* Every truncation point fails, none crashes. */
	for (cut = 0; cut < len; cut += 7) {
		why[0] = '\0';
		cr_assert_eq(read_from(snap, cut, &back, why), -EINVAL, "cut at %zu read fine",
			     cut);
		cr_assert_neq(why[0], '\0');
	}
	bad = strdup(snap);
	*strstr(bad, "transfer") = 'T';
	cr_assert_eq(read_from(bad, len, &back, why), -EINVAL);
	cr_assert_not_null(strstr(why, "checksum"), "%s", why);
	strcpy(bad, snap);
	memcpy(bad, "{\"type\":\"snapshot\",\"format\":\"other\"", 35);
	cr_assert_eq(read_from(bad, len, &back, why), -EINVAL);
	cr_assert_not_null(strstr(why, "not a blockwatch snapshot"), "%s", why);
	strcpy(bad, snap);
	*strstr(bad, "\"version\":2") = ' ';
	cr_assert_eq(read_from(bad, len, &back, why), -EINVAL);
	cr_assert_eq(read_from("", 0, &back, why), -EINVAL);
	cr_assert_eq(read_from("garbage\n", 8, &back, why), -EINVAL);
	free(bad);
	free(snap);
	bw_ksyms__free(ksyms);
}

Test(snapshot, diff_shows_growth_and_new_threads)
{
	struct bw_capture old, new;
	struct bw_gogroup g2;
	struct bw_capture_go go2;
	struct bw_thread t2[3];
	char *buf = NULL;
	size_t len, more;
	FILE *f;

	fixture(&old);
	new = old;
	g2 = groups[0];
	g2.count = 40;
	go2 = go;
	go2.groups = &g2;
	new.gos = &go2;
	memcpy(t2, threads, sizeof(t2));
	t2[2].state = 'S';
	t2[2].verdict = BW_VERDICT_LEAK;
	t2[2].wait = BW_WAIT_CONDVAR;
	t2[2].blocked_ns = 11 * SEC;
	new.threads = t2;
	f = open_memstream(&buf, &len);
	more = bw_diff(f, &old, &new, false);
	fclose(f);
	cr_assert_not_null(strstr(buf, "+38 goroutines"), "%s", buf);
	cr_assert_not_null(strstr(buf, "main.leakSend <- main.gather"), "%s", buf);
	cr_assert_not_null(strstr(buf, "new      thread 12 (busy)"), "%s", buf);
	cr_assert_eq(more, 1, "one more leaked thread");
	free(buf);
	bw_ksyms__free(ksyms);
}

/* A Go process's own comm, when a capture has one, comes back; none is written otherwise. */
Test(snapshot, go_comm_travels_when_given)
{
	struct bw_capture c, back;
	char why[256] = "", *snap;
	size_t len;

	fixture(&c);
	snap = write_to_string(&c, &len);
	cr_assert_null(strstr(snap, "\"comm\":\"gosvc\""));
	cr_assert_eq(read_from(snap, len, &back, why), 0, "%s", why);
	cr_assert_null(back.gos[0].comm);
	bw_capture_free(&back);
	free(snap);
	go.comm = "gosvc";
	snap = write_to_string(&c, &len);
	cr_assert_not_null(strstr(snap, "\"groups\":1,\"comm\":\"gosvc\""), "%s", snap);
	cr_assert_eq(read_from(snap, len, &back, why), 0, "%s", why);
	cr_assert_str_eq(back.gos[0].comm, "gosvc");
	cr_assert_str_eq(bw_capture_comm(&back, 10), "gosvc");
	bw_capture_free(&back);
	free(snap);
	bw_ksyms__free(ksyms);
}

/*
 * A snapshot as version 1 wrote it: no verdict at any age, no goroutine
 * without a verdict, and a trailer over those lines.
 */
static char *as_version1(const char *snap, size_t *len)
{
	char *out = NULL, *copy = strdup(snap), *line, *save = NULL, *p, *q;
	__u64 hash = BW_FNV_OFFSET, records = 0;
	FILE *f = open_memstream(&out, len);

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "\"type\":\"end\""))
			break;
		if (strstr(line, "\"type\":\"goroutine\"") && strstr(line, ",\"verdict\":0,"))
			continue;
		if ((p = strstr(line, "\"version\":2")))
			p[10] = '1';
		if ((p = strstr(line, ",\"verdict_any\":"))) {
			q = strstr(p, ",\"why_any\":");
			q = strpbrk(q + 1, ",}");
			memmove(p, q, strlen(q) + 1);
		}
		fprintf(f, "%s\n", line);
		hash = bw_fnv1a(hash, line, strlen(line));
		hash = bw_fnv1a(hash, "\n", 1);
		records++;
	}
	fprintf(f, "{\"type\":\"end\",\"records\":%llu,\"fnv64\":\"%016llx\"}\n",
		(unsigned long long)records, (unsigned long long)hash);
	fclose(f);
	free(copy);
	return out;
}

/* Files of version 1 still read, and render as they did: the reported goroutines only. */
Test(snapshot, version1_still_reads)
{
	struct bw_capture c, back, v2;
	char why[256] = "", *snap, *old, *t1, *t2;
	size_t len, oldlen;

	fixture(&c);
	snap = write_to_string(&c, &len);
	old = as_version1(snap, &oldlen);
	cr_assert_null(strstr(old, "verdict_any"), "%s", old);
	cr_assert_not_null(strstr(old, "\"version\":1,"), "%s", old);
	cr_assert_eq(read_from(old, oldlen, &back, why), 0, "%s: %s", why, old);
	cr_assert_eq(back.version, 1);
	cr_assert_eq(back.gos[0].nrecs, 1, "version 1 kept the reported goroutine");
	cr_assert_eq(back.gos[0].recs[0].verdict_any, BW_VERDICT_LEAK, "taken from verdict");
	cr_assert_eq(back.gos[0].recs[0].why_any, BW_WHY_CHAN);
	cr_assert_eq(read_from(snap, len, &v2, why), 0, "%s", why);
	t1 = fx_report(&back, false);
	t2 = fx_report(&v2, false);
	cr_assert_str_eq(t1, t2, "version 1 and 2 render alike");
	free(t1);
	free(t2);
	t1 = fx_report(&back, true);
	t2 = fx_report(&v2, true);
	cr_assert_str_eq(t1, t2);
	free(t1);
	free(t2);
	bw_capture_free(&back);
	bw_capture_free(&v2);
	/* A version this blockwatch does not know yet is refused. */
	strstr(snap, "\"version\":2")[10] = '3';
	cr_assert_eq(read_from(snap, len, &back, why), -EINVAL);
	cr_assert_not_null(strstr(why, "version 3"), "%s", why);
	free(old);
	free(snap);
	bw_ksyms__free(ksyms);
}

/*
 * Three snapshots: thread 11 deadlocked in all (its tid changes in the last,
 * at the same place), the leak site growing 2 -> 5 -> 9 with goroutine 18
 * in all, a pile of leaked threads at one place only in the last.
 */
Test(snapshot, series_names_what_stays_and_what_grows)
{
	struct bw_capture c1, c2, c3;
	const struct bw_capture *list[3] = { &c1, &c2, &c3 };
	struct bw_gogroup g2, g3;
	struct bw_capture_go go2, go3;
	struct bw_thread t2[3], t3[4];
	char *buf = NULL;
	size_t len, more;
	FILE *f;

	fixture(&c1);
	c2 = c3 = c1;
	g2 = g3 = groups[0];
	g2.count = 5;
	g3.count = 9;
	go2 = go3 = go;
	go2.groups = &g2;
	go3.groups = &g3;
	c2.gos = &go2;
	c3.gos = &go3;
	memcpy(t2, threads, sizeof(t2));
	t2[1].blocked_ns = 16 * SEC;
	memcpy(t3, threads, sizeof(t2));
	t3[1].tid = 14;
	t3[1].blocked_ns = 17 * SEC;
	t3[2] = t3[1];
	t3[2].tid = 12;
	t3[2].verdict = BW_VERDICT_LEAK;
	t3[2].wait = BW_WAIT_CONDVAR;
	t3[2].in_cycle = false;
	t3[3] = t3[2];
	t3[3].tid = 13;
	c2.threads = t2;
	c3.threads = t3;
	c3.nthreads = 4;
	f = open_memstream(&buf, &len);
	more = bw_diff_series(f, list, 3, false);
	fclose(f);
	cr_assert_not_null(strstr(buf, "stuck at the same place in all 3 snapshots:\n"
				       "  thread 11 (a\\\\b\\x1b) pid 10  deadlock on mutex at "
				       "__lll_lock_wait <- transfer\n"
				       "              blocked 15.0s, 16.0s, 17.0s\n"),
			   "%s", buf);
	cr_assert_not_null(strstr(buf, "  goroutines  leak     chan send  main.leakSend <- "
				       "main.gather\n              1, 1, 1 goroutines, oldest "
				       "30.0s, 30.0s, 30.0s; 1 the same in every snapshot\n"),
			   "%s", buf);
	cr_assert_not_null(strstr(buf, "grew from snapshot 1 to 2:\n  +3 goroutines  leak     "
				       "chan send  main.leakSend <- main.gather  (2 -> 5)\n"
				       "grew from snapshot 2 to 3:\n"),
			   "%s", buf);
	cr_assert_not_null(strstr(buf, "  +4 goroutines"), "%s", buf);
	cr_assert_not_null(strstr(buf, "  +2 threads     pid 10 leak on condvar at __lll_lock_wait "
				       "<- transfer  (0 -> 2)\n"),
			   "%s", buf);
	cr_assert_null(strstr(buf, "thread 12 ("), "not stuck in the first: %s", buf);
	cr_assert_eq(more, 2, "two leaked threads in the last beyond the first");
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	more = bw_diff_series(f, list, 3, true);
	fclose(f);
	cr_assert_not_null(strstr(buf, "{\"type\":\"series_thread\",\"pid\":10,\"tid\":11,"), "%s",
			   buf);
	cr_assert_not_null(strstr(buf, "\"blocked_s\":[15.000,16.000,17.000]}"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"goroutines\":[1,1,1],\"oldest_s\":[30.000,30.000,"
				       "30.000],\"same_goroutines\":1}"),
			   "%s", buf);
	cr_assert_not_null(strstr(buf, "{\"type\":\"series_grew\",\"step\":2,\"kind\":\"threads\","
				       "\"pid\":10,\"wait\":\"condvar\""),
			   "%s", buf);
	cr_assert_not_null(strstr(buf, "{\"type\":\"series_summary\",\"snapshots\":3,"
				       "\"stuck_threads\":1,\"stuck_sites\":1,\"leaks_first\":2,"
				       "\"leaks_last\":4}\n"),
			   "%s", buf);
	cr_assert_eq(more, 2);
	free(buf);

	/* Backwards nothing grows, and the last has fewer leaks: 0. */
	list[0] = &c3;
	list[2] = &c1;
	buf = NULL;
	f = open_memstream(&buf, &len);
	more = bw_diff_series(f, list, 3, false);
	fclose(f);
	cr_assert_not_null(strstr(buf, "grew from snapshot 1 to 2:\n  none\n"), "%s", buf);
	cr_assert_eq(more, 0);
	free(buf);
	bw_ksyms__free(ksyms);
}

/*
 * A stuck thread whose stack shows Python frames in place of the eval loop:
 * the text marks them [python] with qualified name and file:line, JSON says
 * lang and sym_source python (no offset: there is no pc), and both come
 * back byte for byte from a snapshot.
 */
Test(snapshot, python_frames_render_and_travel)
{
	struct bw_frame py[3] = {
		{ .pc = 0x7f10,
		  .offset = 3,
		  .func = "PyThread_acquire_lock_timed",
		  .module = "libpython3.11.so.1.0",
		  .source = BW_SYM_ELF },
		{ .func = "Worker.run",
		  .file = "/srv/app.py",
		  .line = 42,
		  .source = BW_SYM_PYTHON },
		{ .func = "<module>", .file = "/srv/main.py", .line = 7, .source = BW_SYM_PYTHON },
	};
	struct bw_thread t = { .pid = 20,
			       .tid = 20,
			       .comm = "python3",
			       .state = 'S',
			       .blocked_ns = 20 * SEC,
			       .wait = BW_WAIT_SEMAPHORE,
			       .verdict = BW_VERDICT_STUCK,
			       .reason = BW_REASON_NO_WAKER,
			       .why = "no waker",
			       .wait_fd = -1,
			       .syscall_nr = 202,
			       .ustack = py,
			       .ustack_entries = 3 };
	struct bw_capture c = { .tool = "blockwatch test",
				.threshold_ns = 10 * SEC,
				.watched_ns = 3 * SEC,
				.threads = &t,
				.nthreads = 1 };
	struct bw_capture back;
	char why[256] = "", *snap, *t1, *t2, *j1, *j2;
	size_t len;

	t1 = fx_report(&c, false);
	cr_expect(strstr(t1, "      #1  [python]           Worker.run (/srv/app.py:42)\n"), "%s",
		  t1);
	cr_expect(strstr(t1, "      #2  [python]           <module> (/srv/main.py:7)\n"), "%s", t1);
	cr_expect(strstr(t1, "      #0  0x0000000000007f10 PyThread_acquire_lock_timed+0x3"), "%s",
		  t1);
	j1 = fx_report(&c, true);
	cr_expect(strstr(j1, "{\"pc\":\"0x0\",\"func\":\"Worker.run\",\"sym_source\":\"python\","
			     "\"lang\":\"python\",\"file\":\"/srv/app.py\",\"line\":42}"),
		  "%s", j1);
	cr_expect(strstr(j1, "\"func\":\"PyThread_acquire_lock_timed\",\"offset\":3,"
			     "\"sym_source\":\"elf\",\"module\""),
		  "C frames as before: %s", j1);
	snap = write_to_string(&c, &len);
	cr_assert_eq(read_from(snap, len, &back, why), 0, "%s", why);
	cr_assert_eq(back.nthreads, 1);
	cr_assert_eq(back.threads[0].ustack[1].source, BW_SYM_PYTHON);
	t2 = fx_report(&back, false);
	j2 = fx_report(&back, true);
	cr_expect_str_eq(t1, t2);
	cr_expect_str_eq(j1, j2);
	free(t1);
	free(t2);
	free(j1);
	free(j2);
	free(snap);
	bw_capture_free(&back);
}
