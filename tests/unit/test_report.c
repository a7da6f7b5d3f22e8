// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <json-c/json.h>
#include "threads/classify.h"
#include "export/report.h"
#include "fixture.h"

#define SEC FX_SEC

/* Threads alone, watched 2 s, threshold 10 s. */
static void capture(struct bw_capture *c, const struct bw_thread *t, size_t n)
{
	fx_capture(c, t, n);
	c->threshold_ns = 10 * SEC;
	c->watched_ns = 2 * SEC;
}

static void add(struct bw_thread *t, __u32 tid, const char *comm, enum bw_wait wait, __u32 owner)
{
	memset(t, 0, sizeof(*t));
	t->pid = 100;
	t->tid = tid;
	strncpy(t->comm, comm, sizeof(t->comm) - 1);
	t->state = 'S';
	t->blocked_ns = 15 * SEC;
	t->wait = wait;
	t->owner_tid = owner;
	t->wait_fd = -1;
	t->wait_addr = owner ? 0x7000 + tid : 0;
	t->syscall_nr = 202;
}

Test(report, json_lines_parse_and_carry_fields)
{
	struct bw_thread t[4];
	struct bw_capture c;
	struct bw_classify_opts co = { .threshold_ns = 10 * SEC };
	struct bw_frame fr = {
		.pc = 0x401000,
		.func = "evil\"\x1b",
		.file = "a.c",
		.line = 3,
		.source = BW_SYM_DEBUGFILE,
	};
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0, records = 0;
	FILE *f;
	bool saw_deadlock = false;

	add(&t[0], 100, "main", BW_WAIT_SIGNAL, 0);
	add(&t[1], 101, "a\"b\\c\n\x1b[2J\xff", BW_WAIT_MUTEX, 102);
	add(&t[2], 102, "peer", BW_WAIT_MUTEX, 101);
	add(&t[3], 103, "runner", BW_WAIT_NONE, 0);
	t[3].state = 'R';
	t[3].blocked_ns = 0;
	t[1].ustack = &fr;
	t[1].ustack_entries = 1;
	t[1].kstack_entries = 1;
	t[1].kstack[0] = 0xffffffff81000000ULL;
	cr_assert_eq(bw_classify_opts(t, 4, &co), 0);

	f = open_memstream(&buf, &len);
	capture(&c, t, 4);
	bw_report_json(f, &c);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *obj = json_tokener_parse(line), *v;

		cr_assert_not_null(obj, "not JSON: %s", line);
		cr_assert(json_object_object_get_ex(obj, "type", &v));
		if (!strcmp(json_object_get_string(v), "thread")) {
			records++;
			cr_assert(json_object_object_get_ex(obj, "tid", &v));
			if (json_object_get_int(v) == 101) {
				json_object_object_get_ex(obj, "comm", &v);
				cr_assert_str_eq(json_object_get_string(v),
						 "a\"b\\c\n\x1b[2J\xc3\xbf"); /* \u00ff */
				json_object_object_get_ex(obj, "verdict", &v);
				cr_assert_str_eq(json_object_get_string(v), "deadlock");
				json_object_object_get_ex(obj, "owner_tid", &v);
				cr_assert_eq(json_object_get_int(v), 102);
				json_object_object_get_ex(obj, "waits_for", &v);
				cr_assert_eq(json_object_array_length(v), 1);
				json_object_object_get_ex(obj, "blocked_s", &v);
				cr_assert_float_eq(json_object_get_double(v), 15.0, 1e-9);
				json_object_object_get_ex(obj, "user_stack", &v);
				cr_assert_str_eq(json_object_get_string(json_object_object_get(
							 json_object_array_get_idx(v, 0), "func")),
						 "evil\"\x1b");
				cr_assert_str_eq(
					json_object_get_string(json_object_object_get(
						json_object_array_get_idx(v, 0), "sym_source")),
					"debugfile");
				json_object_object_get_ex(obj, "kernel_stack", &v);
				cr_assert_eq(json_object_array_length(v), 1);
				saw_deadlock = true;
			}
		}
		json_object_put(obj);
	}
	cr_assert_eq(records, 3, "the running thread has no record");
	cr_assert(saw_deadlock);
	t[1].ustack = NULL;
	free(buf);
}

Test(report, text_has_no_raw_control_bytes)
{
	struct bw_thread t[2];
	struct bw_capture c;
	struct bw_classify_opts co = { .threshold_ns = 10 * SEC };
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	add(&t[0], 100, "x\x1b]2;title\x07", BW_WAIT_MUTEX, 101);
	add(&t[1], 101, "y", BW_WAIT_MUTEX, 100);
	cr_assert_eq(bw_classify_opts(t, 2, &co), 0);
	f = open_memstream(&buf, &len);
	capture(&c, t, 2);
	bw_report_text(f, &c);
	fclose(f);
	for (i = 0; i < len; i++)
		cr_assert(buf[i] == '\n' || (buf[i] >= 0x20 && buf[i] < 0x7f), "byte 0x%02x at %zu",
			  (unsigned char)buf[i], i);
	cr_assert_not_null(strstr(buf, "deadlock"));
	cr_assert_not_null(strstr(buf, "held by 101"));
	free(buf);
}

/* Stuck threads are counted, shown with their why, and grouped by site. */
Test(report, stuck_is_counted_explained_and_grouped)
{
	struct bw_thread t[4];
	struct bw_capture c;
	struct bw_classify_opts co = { .threshold_ns = 10 * SEC };
	struct bw_frame fr[2] = { { .pc = 0x1000, .func = "pthread_cond_wait" },
				  { .pc = 0x2000, .func = "consumer_loop" } };
	char *buf = NULL;
	size_t len = 0, v[BW_VERDICT_COUNT];
	FILE *f;
	int i;

	add(&t[0], 100, "main", BW_WAIT_SIGNAL, 0);
	for (i = 1; i < 3; i++) {
		add(&t[i], 100 + i, "consumer", BW_WAIT_CONDVAR, 0);
		t[i].wait_addr = 0x9000 + 0x100 * i; /* one condvar each: no pool */
		t[i].ustack = fr;
		t[i].ustack_entries = 2;
	}
	add(&t[3], 103, "joiner", BW_WAIT_JOIN, 101);
	cr_assert_eq(bw_classify_opts(t, 4, &co), 0);
	capture(&c, t, 4);
	bw_report_count(&c, v);
	cr_expect_eq(v[BW_VERDICT_STUCK], 3);
	cr_expect_eq(v[BW_VERDICT_LEAK], 0);
	f = open_memstream(&buf, &len);
	bw_report_text(f, &c);
	fclose(f);
	cr_expect(strstr(buf, ": 0 deadlocked, 0 leaked, 3 stuck, 0 blocked, 1 idle\n"), "%s", buf);
	cr_expect(strstr(buf, "\n  pid 100 stuck 2 threads on condvar at pthread_cond_wait <- "
			      "consumer_loop\n"),
		  "%s", buf);
	cr_expect(strstr(buf, "    why: joins 101, which is stuck\n"), "%s", buf);
	free(buf);
}

/*
 * pid 300 "gosvc": its main goroutine (goid 1, created by the runtime's entry)
 * leaked alone at its site, goroutines 5 and 6 deadlocked, 7 idle, 8 parked
 * under the threshold; pid 100 "cdaemon" one idle thread, in the capture
 * with all (-a), else pid 300 alone (-p).
 */
struct go_scan {
	struct bw_thread threads[3];
	struct bw_gorec recs[5];
	struct bw_gogroup groups[4];
	struct bw_capture_go go;
	struct bw_capture c;
};

static void go_scan(struct go_scan *s, bool all)
{
	static const size_t group_of[5] = { 0, 1, 1, 2, 3 };
	size_t i;

	memset(s, 0, sizeof(*s));
	/* Sorted by tid, as a capture's threads are. */
	fx_thread(&s->threads[0], 100, 100, "cdaemon", BW_WAIT_EPOLL, BW_VERDICT_IDLE, 20 * SEC);
	fx_thread(&s->threads[1], 300, 300, "gosvc", BW_WAIT_RUNTIME, BW_VERDICT_IDLE, 20 * SEC);
	fx_thread(&s->threads[2], 300, 301, "gosvc", BW_WAIT_NONE, BW_VERDICT_NONE, 0);
	fx_gorec(&s->recs[0], 1, "chan receive", BW_VERDICT_LEAK, NULL, 0);
	fx_gorec(&s->recs[1], 5, "sync.Mutex.Lock", BW_VERDICT_DEADLOCK, NULL, 0);
	fx_gorec(&s->recs[2], 6, "sync.Mutex.Lock", BW_VERDICT_DEADLOCK, NULL, 0);
	fx_gorec(&s->recs[3], 7, "select", BW_VERDICT_IDLE, NULL, 0);
	fx_gorec(&s->recs[4], 8, "select", BW_VERDICT_NONE, NULL, 0);
	for (i = 0; i < 5; i++)
		s->recs[i].group = group_of[i];
	fx_group(&s->groups[0], "chan receive", "main.main", "runtime.newproc", 1, 0,
		 BW_VERDICT_LEAK);
	fx_group(&s->groups[1], "sync.Mutex.Lock", "main.transfer", "main.start", 2, 0,
		 BW_VERDICT_DEADLOCK);
	fx_group(&s->groups[2], "select", "main.loop", "main.start", 1, 0, BW_VERDICT_IDLE);
	fx_group(&s->groups[3], "select", "main.tick", "main.start", 1, 0, BW_VERDICT_NONE);
	for (i = 0; i < 4; i++) {
		s->groups[i].blocked_at.file = s->groups[i].created_by.file = "";
		s->groups[i].oldest_ns = s->groups[i].reported ? 20 * SEC : 0;
	}
	s->go.pid = 300;
	s->go.go_version = "go1.22.1";
	s->go.recs = s->recs;
	s->go.nrecs = 5;
	s->go.groups = s->groups;
	s->go.ngroups = 4;
	fx_capture(&s->c, all ? s->threads : &s->threads[1], all ? 3 : 2);
	s->c.all = all;
	s->c.threshold_ns = 10 * SEC;
	s->c.watched_ns = 2 * SEC;
	s->c.gos = &s->go;
	s->c.ngos = 1;
}

/* -p: the goroutines' counts under the threads', the first thing read. */
Test(report, headline_counts_goroutines)
{
	struct go_scan s;
	char *buf;

	go_scan(&s, false);
	buf = fx_report(&s.c, false);
	cr_expect(
		!strncmp(
			buf,
			"pid 300 (gosvc), 2 threads, watched 2.0s, threshold 10.0s: 0 deadlocked, "
			"0 leaked, 0 stuck, 0 blocked, 1 idle\n"
			"5 goroutines parked: 2 deadlocked, 1 leaked, 0 stuck, 0 blocked, 1 idle\n",
			strlen("pid 300 (gosvc), 2 threads, watched 2.0s, threshold 10.0s: 0 "
			       "deadlocked, 0 leaked, 0 stuck, 0 blocked, 1 idle\n"
			       "5 goroutines parked: 2 deadlocked, 1 leaked, 0 stuck, 0 blocked, "
			       "1 idle\n")),
		"%s", buf);
	free(buf);
}

/* -a: a total in the headline, and each Go process's goroutines in a row under its own. */
Test(report, headline_counts_goroutines_per_process)
{
	struct go_scan s;
	char *buf;

	go_scan(&s, true);
	buf = fx_report(&s.c, false);
	cr_expect(strstr(buf,
			 "2 processes, 3 threads, watched 2.0s, threshold 10.0s: 0 deadlocked, "
			 "0 leaked, 0 stuck, 0 blocked, 2 idle\n"
			 "5 goroutines parked in 1 Go process: 2 deadlocked, 1 leaked, 0 stuck, "
			 "0 blocked, 1 idle\n") == buf,
		  "%s", buf);
	cr_expect(
		strstr(buf,
		       "\n    300 gosvc                  2        0      0      0       0"
		       "      1\n"
		       "        goroutines             5        2      1      0       0      1\n"),
		"%s", buf);
	cr_expect(strstr(buf, "\n    100 cdaemon                1        0      0      0       0"
			      "      1\n    300 "),
		  "a C process has no goroutine row: %s", buf);
	free(buf);
}

/* The main goroutine is named, never "created by runtime.newproc". */
Test(report, main_goroutine_is_named)
{
	struct go_scan s;
	char *buf;

	go_scan(&s, false);
	buf = fx_report(&s.c, false);
	cr_expect(strstr(buf, "\nleak     1 goroutine  chan receive  oldest 20.0s\n"
			      "         blocked at  main.main\n"
			      "         main goroutine\n"),
		  "%s", buf);
	cr_expect(!strstr(buf, "runtime.newproc"), "%s", buf);
	cr_expect(strstr(buf, "         created by  main.start\n"), "%s", buf);
	free(buf);

	/* An idle main goroutine says so in its one line. */
	s.recs[0].verdict = BW_VERDICT_IDLE;
	s.groups[0].verdict = BW_VERDICT_IDLE;
	buf = fx_report(&s.c, false);
	cr_expect(
		strstr(buf, "\nidle     1 goroutine  chan receive  main goroutine at main.main\n"),
		"%s", buf);
	free(buf);
}

static struct json_object *record(char *buf, const char *type, const char *key, int64_t val)
{
	char *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *obj = json_tokener_parse(line), *v;

		cr_assert_not_null(obj, "not JSON: %s", line);
		if (json_object_object_get_ex(obj, "type", &v) &&
		    !strcmp(json_object_get_string(v), type) &&
		    (!key ||
		     (json_object_object_get_ex(obj, key, &v) && json_object_get_int64(v) == val)))
			return obj;
		json_object_put(obj);
	}
	return NULL;
}

static int64_t member(struct json_object *obj, const char *outer, const char *key)
{
	struct json_object *o, *v;

	cr_assert(json_object_object_get_ex(obj, outer, &o), "no %s", outer);
	cr_assert(json_object_object_get_ex(o, key, &v), "no %s.%s", outer, key);
	return json_object_get_int64(v);
}

/* The summary and the process record count goroutines; goid 1 and its group say "main". */
Test(report, json_counts_goroutines_and_flags_main)
{
	struct go_scan s;
	struct json_object *o, *v;
	char *buf;

	go_scan(&s, false);
	buf = fx_report(&s.c, true);
	o = record(buf, "summary", NULL, 0);
	free(buf);
	cr_assert_not_null(o);
	cr_expect(json_object_object_get_ex(o, "threads", &v) && json_object_get_int(v) == 2);
	cr_expect(json_object_object_get_ex(o, "go_processes", &v) && json_object_get_int(v) == 1);
	cr_expect_eq(member(o, "goroutines", "parked"), 5);
	cr_expect_eq(member(o, "goroutines", "deadlock"), 2);
	cr_expect_eq(member(o, "goroutines", "leak"), 1);
	cr_expect_eq(member(o, "goroutines", "stuck"), 0);
	cr_expect_eq(member(o, "goroutines", "blocked"), 0);
	cr_expect_eq(member(o, "goroutines", "idle"), 1);
	json_object_put(o);

	buf = fx_report(&s.c, true);
	o = record(buf, "process", "pid", 300);
	free(buf);
	cr_assert_not_null(o);
	cr_expect(json_object_object_get_ex(o, "idle", &v) && json_object_get_int(v) == 1,
		  "the threads' counts stay");
	cr_expect_eq(member(o, "goroutines", "deadlock"), 2);
	cr_expect_eq(member(o, "goroutines", "parked"), 5);
	json_object_put(o);

	buf = fx_report(&s.c, true);
	o = record(buf, "goroutine", "goid", 1);
	free(buf);
	cr_assert_not_null(o);
	cr_expect(json_object_object_get_ex(o, "main", &v) && json_object_get_boolean(v));
	json_object_put(o);

	buf = fx_report(&s.c, true);
	o = record(buf, "goroutine", "goid", 5);
	free(buf);
	cr_assert_not_null(o);
	cr_expect(!json_object_object_get_ex(o, "main", &v));
	json_object_put(o);

	/* Groups come in the process's order: the main goroutine's is the first. */
	buf = fx_report(&s.c, true);
	o = record(buf, "goroutine_group", NULL, 0);
	free(buf);
	cr_assert_not_null(o);
	cr_expect(json_object_object_get_ex(o, "main", &v) && json_object_get_boolean(v));
	json_object_put(o);
	buf = fx_report(&s.c, true);
	o = record(buf, "goroutine_group", "count", 2);
	free(buf);
	cr_assert_not_null(o);
	cr_expect(!json_object_object_get_ex(o, "main", &v));
	json_object_put(o);
}

/*
 * g.waitsince is set only by a GC: a leak first seen parked since the last
 * GC has no age yet. Said so, never shown as 0 s as if it were measured.
 */
Test(report, unknown_age_is_said)
{
	struct go_scan s;
	struct json_object *o, *v;
	char *buf;

	go_scan(&s, false);
	s.recs[0].blocked_ns = 0; /* age_source watched, first seen now */
	s.groups[0].oldest_ns = 0;
	buf = fx_report(&s.c, false);
	cr_expect(strstr(buf, "\nleak     1 goroutine  chan receive  age unknown (parked since the "
			      "last GC)\n"),
		  "%s", buf);
	cr_expect(!strstr(buf, "oldest 0"), "%s", buf);
	free(buf);

	buf = fx_report(&s.c, true);
	o = record(buf, "goroutine", "goid", 1);
	free(buf);
	cr_assert_not_null(o);
	cr_expect(json_object_object_get_ex(o, "age_known", &v) && !json_object_get_boolean(v));
	cr_expect(!json_object_object_get_ex(o, "blocked_s", &v));
	cr_expect(!json_object_object_get_ex(o, "age_from", &v));
	json_object_put(o);
	buf = fx_report(&s.c, true);
	o = record(buf, "goroutine_group", "count", 1);
	free(buf);
	cr_assert_not_null(o);
	cr_expect(json_object_object_get_ex(o, "age_known", &v) && !json_object_get_boolean(v));
	cr_expect(!json_object_object_get_ex(o, "oldest_s", &v));
	json_object_put(o);

	/* A GC's waitsince or the probes give an age, 0 ms or not; so does a second scan. */
	s.recs[0].age_source = BW_AGE_WAITSINCE;
	buf = fx_report(&s.c, true);
	o = record(buf, "goroutine", "goid", 1);
	free(buf);
	cr_assert_not_null(o);
	cr_expect(json_object_object_get_ex(o, "blocked_s", &v));
	cr_expect(!json_object_object_get_ex(o, "age_known", &v));
	json_object_put(o);
	s.recs[0].age_source = BW_AGE_WATCHED;
	s.recs[0].blocked_ns = 1000000000ULL;
	buf = fx_report(&s.c, true);
	o = record(buf, "goroutine", "goid", 1);
	free(buf);
	cr_assert_not_null(o);
	cr_expect(json_object_object_get_ex(o, "age_from", &v) &&
		  !strcmp(json_object_get_string(v), "watched"));
	json_object_put(o);
}

/* Threads alone: no goroutine line, no goroutine keys. */
Test(report, no_go_no_goroutine_counts)
{
	struct go_scan s;
	struct json_object *o, *v;
	char *buf;

	go_scan(&s, false);
	s.c.ngos = 0;
	buf = fx_report(&s.c, false);
	cr_expect(!strstr(buf, "goroutine"), "%s", buf);
	free(buf);
	buf = fx_report(&s.c, true);
	o = record(buf, "summary", NULL, 0);
	free(buf);
	cr_assert_not_null(o);
	cr_expect(!json_object_object_get_ex(o, "goroutines", &v));
	cr_expect(!json_object_object_get_ex(o, "go_processes", &v));
	json_object_put(o);
}
