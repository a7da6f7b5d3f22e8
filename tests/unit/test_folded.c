// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "export/folded.h"
#include "fixture.h"

/*
 * The profile scan, as folded stacks see it: the leaked thread without its
 * innermost libc frame, the idle one blocked a hair under 1.5 s, and a
 * fourth thread blocked under a millisecond, not unwound.
 */
static void scan_init(struct fx_scan *s)
{
	cr_assert_eq(fx_profile_scan(s), 0);
	s->threads[0].ustack = &s->frames[1];
	s->threads[0].ustack_entries = 3;
	s->threads[2].blocked_ns = 1500 * FX_MSEC + 999999;
	/* Under a millisecond, not unwound: still one unit of weight. */
	fx_thread(&s->threads[3], 100, 104, "leakd", BW_WAIT_NONE, BW_VERDICT_BLOCKED, FX_MSEC / 3);
	s->c.nthreads = 4;
}

static char *folded(const struct bw_capture *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(bw_folded_write(f, c), 0);
	fclose(f);
	return buf;
}

Test(folded, exact_text_sorted_and_aggregated)
{
	struct fx_scan s;
	char *out;

	scan_init(&s);
	out = folded(&s.c);
	cr_assert_str_eq(out,
			 "gosrv (200);main.leakyHandler;runtime.chanrecv1;runtime.gopark 40000\n"
			 "leakd (100) 1\n"
			 "leakd (100);[leakd];leaky_worker;pthread_cond_wait;do_futex_[k];"
			 "futex_wait_queue_[k] 5000\n"
			 "leakd (100);leaky_worker;epoll_wait 1500\n");
	free(out);
	fx_scan_fini(&s);
}

Test(folded, kernel_frames_without_ksyms_and_unknown_frames)
{
	struct fx_scan s;
	char *out;

	scan_init(&s);
	s.c.ksyms = NULL;
	s.c.nthreads = 1;
	s.c.ngos = 0;
	s.frames[3].module[0] = '\0';
	out = folded(&s.c);
	cr_assert_str_eq(out, "leakd (100);[unknown];leaky_worker;pthread_cond_wait;"
			      "0xffffffff81003010_[k];0xffffffff81002040_[k] 5000\n");
	free(out);
	fx_scan_fini(&s);
}

Test(folded, goroutine_without_stack_keeps_where_it_blocks)
{
	struct fx_scan s;
	char *out;

	scan_init(&s);
	s.c.nthreads = 0;
	s.recs[2].stack = NULL;
	s.recs[2].nstack = 0;
	out = folded(&s.c);
	cr_assert_str_eq(out,
			 "gosrv (200);main.leakyHandler 20000\n"
			 "gosrv (200);main.leakyHandler;runtime.chanrecv1;runtime.gopark 20000\n");
	free(out);
	fx_scan_fini(&s);
}

Test(folded, hostile_names_cannot_split_frames_or_lines)
{
	struct fx_scan s;
	char *out;

	scan_init(&s);
	s.c.nthreads = 1;
	s.threads[0].kstack_entries = 0;
	/* A full comm: no terminating NUL inside the array. */
	memcpy(s.threads[0].comm, "a;b\nc\x1b[2Jdefghij", sizeof(s.threads[0].comm));
	snprintf(s.frames[1].func, sizeof(s.frames[1].func), "%s", "x;y 1\n0\\x3b\xc3\xa9");
	snprintf(s.frames[3].module, sizeof(s.frames[3].module), "%s", "lib;\r");
	s.gostack[2].name = "main.(*T).f;evil\n1";
	s.go.comm = "go\tsrv";
	s.recs[0].verdict = BW_VERDICT_NONE;
	out = folded(&s.c);
	cr_assert_str_eq(out, "a\\x3bb\\x0ac\\x1b[2Jdefghij (100);[lib\\x3b\\x0d];leaky_worker;"
			      "x\\x3by 1\\x0a0\\\\x3b\\xc3\\xa9 5000\n"
			      "go\\x09srv (200);main.(*T).f\\x3bevil\\x0a1;runtime.chanrecv1;"
			      "runtime.gopark 20000\n");
	free(out);
	fx_scan_fini(&s);
}

Test(folded, nothing_reported_writes_nothing)
{
	struct bw_capture c = { 0 };
	char *out = folded(&c);

	cr_assert_str_eq(out, "");
	free(out);
}

Test(folded, write_error_is_reported)
{
	struct fx_scan s;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		cr_skip_test("no /dev/full");
	scan_init(&s);
	cr_assert_eq(bw_folded_write(f, &s.c), -ENOSPC);
	fclose(f);
	fx_scan_fini(&s);
}
