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
