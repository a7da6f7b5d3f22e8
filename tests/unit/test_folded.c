// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "export/folded.h"
#include "platform/ksyms.h"

#define MSEC 1000000ULL

static const char kallsyms[] = "ffffffff81002000 T futex_wait_queue\n"
			       "ffffffff81003000 T do_futex\n"
			       "ffffffff81004000 T after_do_futex\n";

struct scan {
	struct bw_ksyms *ksyms;
	struct bw_frame ustack_a[3], ustack_c[2];
	struct bw_thread threads[4];
	struct bw_gofunc gostack[3];
	struct bw_gorec recs[3];
	struct bw_pprof_goproc goproc;
	struct bw_pprof_input in;
};

static void frame(struct bw_frame *fr, __u64 pc, const char *func, const char *module)
{
	memset(fr, 0, sizeof(*fr));
	fr->pc = pc;
	snprintf(fr->func, sizeof(fr->func), "%s", func);
	snprintf(fr->module, sizeof(fr->module), "%s", module);
}

static void thread(struct bw_thread *t, __u32 tid, enum bw_verdict v, __u64 blocked_ns)
{
	memset(t, 0, sizeof(*t));
	t->pid = 100;
	t->tid = tid;
	strcpy(t->comm, "leakd");
	t->verdict = v;
	t->blocked_ns = blocked_ns;
	t->wait_fd = -1;
}

static void gorec(struct bw_gorec *r, __u64 goid, enum bw_verdict v, struct bw_gofunc *stack)
{
	memset(r, 0, sizeof(*r));
	r->g.goid = goid;
	r->g.wait_reason = "chan receive";
	r->verdict = v;
	r->blocked_ns = 20000 * MSEC;
	r->stack = stack;
	r->nstack = 3;
	r->blocked_at = stack[2];
}

static void scan_init(struct scan *s)
{
	FILE *f = fmemopen((void *)kallsyms, strlen(kallsyms), "r");

	memset(s, 0, sizeof(*s));
	cr_assert_not_null(f);
	cr_assert_eq(bw_ksyms__load(f, &s->ksyms), 0);
	fclose(f);

	frame(&s->ustack_a[0], 0x7f0000002000, "pthread_cond_wait", "libc.so.6");
	frame(&s->ustack_a[1], 0x401234, "leaky_worker", "leakd");
	frame(&s->ustack_a[2], 0x401800, "", "leakd");
	thread(&s->threads[0], 101, BW_VERDICT_LEAK, 5000 * MSEC);
	s->threads[0].kstack[0] = 0xffffffff81002040;
	s->threads[0].kstack[1] = 0xffffffff81003010;
	s->threads[0].kstack_len = 2;
	s->threads[0].ustack = s->ustack_a;
	s->threads[0].ustack_len = 3;
	thread(&s->threads[1], 102, BW_VERDICT_NONE, 0);
	frame(&s->ustack_c[0], 0x7f0000003000, "epoll_wait", "libc.so.6");
	frame(&s->ustack_c[1], 0x401234, "leaky_worker", "leakd");
	thread(&s->threads[2], 103, BW_VERDICT_IDLE, 1500 * MSEC + 999999);
	s->threads[2].ustack = s->ustack_c;
	s->threads[2].ustack_len = 2;
	/* Under a millisecond, not unwound: still one unit of weight. */
	thread(&s->threads[3], 104, BW_VERDICT_BLOCKED, MSEC / 3);

	s->gostack[0] = (struct bw_gofunc){ .name = "runtime.gopark", .file = "proc.go" };
	s->gostack[1] = (struct bw_gofunc){ .name = "runtime.chanrecv1", .file = "chan.go" };
	s->gostack[2] = (struct bw_gofunc){ .name = "main.leakyHandler", .file = "main.go" };
	gorec(&s->recs[0], 7, BW_VERDICT_LEAK, s->gostack);
	gorec(&s->recs[1], 8, BW_VERDICT_NONE, s->gostack);
	gorec(&s->recs[2], 9, BW_VERDICT_LEAK, s->gostack);
	s->goproc = (struct bw_pprof_goproc){
		.pid = 200, .comm = "gosrv", .recs = s->recs, .nrecs = 3
	};

	s->in.threads = s->threads;
	s->in.nthreads = 4;
	s->in.ksyms = s->ksyms;
	s->in.goprocs = &s->goproc;
	s->in.ngoprocs = 1;
}

static char *folded(const struct bw_pprof_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(bw_folded_write(f, in), 0);
	fclose(f);
	return buf;
}

Test(folded, exact_text_sorted_and_aggregated)
{
	struct scan s;
	char *out;

	scan_init(&s);
	out = folded(&s.in);
	cr_assert_str_eq(out,
			 "gosrv (200);main.leakyHandler;runtime.chanrecv1;runtime.gopark 40000\n"
			 "leakd (100) 1\n"
			 "leakd (100);[leakd];leaky_worker;pthread_cond_wait;do_futex_[k];"
			 "futex_wait_queue_[k] 5000\n"
			 "leakd (100);leaky_worker;epoll_wait 1500\n");
	free(out);
	bw_ksyms__free(s.ksyms);
}

Test(folded, kernel_frames_without_ksyms_and_unknown_frames)
{
	struct scan s;
	char *out;

	scan_init(&s);
	s.in.ksyms = NULL;
	s.in.nthreads = 1;
	s.in.ngoprocs = 0;
	s.ustack_a[2].module[0] = '\0';
	out = folded(&s.in);
	cr_assert_str_eq(out, "leakd (100);[unknown];leaky_worker;pthread_cond_wait;"
			      "0xffffffff81003010_[k];0xffffffff81002040_[k] 5000\n");
	free(out);
	bw_ksyms__free(s.ksyms);
}

Test(folded, goroutine_without_stack_keeps_where_it_blocks)
{
	struct scan s;
	char *out;

	scan_init(&s);
	s.in.nthreads = 0;
	s.recs[2].stack = NULL;
	s.recs[2].nstack = 0;
	out = folded(&s.in);
	cr_assert_str_eq(out,
			 "gosrv (200);main.leakyHandler 20000\n"
			 "gosrv (200);main.leakyHandler;runtime.chanrecv1;runtime.gopark 20000\n");
	free(out);
	bw_ksyms__free(s.ksyms);
}

Test(folded, hostile_names_cannot_split_frames_or_lines)
{
	struct scan s;
	char *out;

	scan_init(&s);
	s.in.nthreads = 1;
	s.threads[0].kstack_len = 0;
	/* A full comm: no terminating NUL inside the array. */
	memcpy(s.threads[0].comm, "a;b\nc\x1b[2Jdefghij", sizeof(s.threads[0].comm));
	snprintf(s.ustack_a[0].func, sizeof(s.ustack_a[0].func), "%s", "x;y 1\n0\\x3b\xc3\xa9");
	snprintf(s.ustack_a[2].module, sizeof(s.ustack_a[2].module), "%s", "lib;\r");
	s.gostack[2].name = "main.(*T).f;evil\n1";
	s.goproc.comm = "go\tsrv";
	s.recs[0].verdict = BW_VERDICT_NONE;
	out = folded(&s.in);
	cr_assert_str_eq(out, "a\\x3bb\\x0ac\\x1b[2Jdefghij (100);[lib\\x3b\\x0d];leaky_worker;"
			      "x\\x3by 1\\x0a0\\\\x3b\\xc3\\xa9 5000\n"
			      "go\\x09srv (200);main.(*T).f\\x3bevil\\x0a1;runtime.chanrecv1;"
			      "runtime.gopark 20000\n");
	free(out);
	bw_ksyms__free(s.ksyms);
}

Test(folded, nothing_reported_writes_nothing)
{
	struct bw_pprof_input in = { 0 };
	char *out = folded(&in);

	cr_assert_str_eq(out, "");
	free(out);
}

Test(folded, write_error_is_reported)
{
	struct scan s;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		cr_skip_test("no /dev/full");
	scan_init(&s);
	cr_assert_eq(bw_folded_write(f, &s.in), -ENOSPC);
	fclose(f);
	bw_ksyms__free(s.ksyms);
}
