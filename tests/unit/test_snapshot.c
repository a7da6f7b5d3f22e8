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
	recs[1].verdict = BW_VERDICT_NONE; /* not reported: not stored */
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

static char *render(const struct bw_capture *c, bool json)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (json)
		bw_report_json(f, c);
	else
		bw_report_text(f, c);
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
	cr_assert_eq(back.gos[0].nrecs, 1, "only reported goroutines are kept");
	again = write_to_string(&back, &len2);
	cr_assert_eq(len, len2);
	cr_assert_eq(memcmp(snap, again, len), 0, "snapshot -> read -> snapshot differs");
	t1 = render(&c, false);
	t2 = render(&back, false);
	cr_assert_str_eq(t1, t2);
	cr_assert_not_null(strstr(t2, "futex_wait+0x10"), "kernel symbols travel: %s", t2);
	cr_assert_not_null(strstr(t2, "schedule+0x80"));
	cr_assert_not_null(strstr(t2, "4 blocks (3 in futex waits, of 9 futex wait calls)"),
			   "futex waits travel: %s", t2);
	j1 = render(&c, true);
	j2 = render(&back, true);
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
	*strstr(bad, "\"version\":1") = ' ';
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
