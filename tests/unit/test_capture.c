// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include "core/capture.h"
#include "fixture.h"

/*
 * pid 100: tids wrapped, so a worker's tid is below its main thread's;
 * pid 200: its main thread gone, two workers; pid 300 a Go process.
 */
static void threads_init(struct bw_thread *t)
{
	fx_thread(&t[0], 100, 40, "worker-40", BW_WAIT_NONE, BW_VERDICT_NONE, 0);
	fx_thread(&t[1], 100, 100, "main100", BW_WAIT_NONE, BW_VERDICT_NONE, 0);
	fx_thread(&t[2], 200, 201, "w201", BW_WAIT_NONE, BW_VERDICT_NONE, 0);
	fx_thread(&t[3], 200, 202, "w202", BW_WAIT_NONE, BW_VERDICT_NONE, 0);
	fx_thread(&t[4], 300, 300, "gomain", BW_WAIT_NONE, BW_VERDICT_NONE, 0);
}

Test(capture, comm_go_then_main_thread_then_lowest_tid)
{
	struct bw_thread t[5];
	struct bw_capture_go go = { .pid = 300, .comm = "gosvc" };
	struct bw_capture c;

	threads_init(t);
	fx_capture(&c, t, 5);
	cr_assert_str_eq(bw_capture_comm(&c, 100), "main100", "the main thread, not tid 40");
	cr_assert_str_eq(bw_capture_comm(&c, 200), "w201", "no main thread: the lowest tid");
	cr_assert_str_eq(bw_capture_comm(&c, 300), "gomain");
	cr_assert_str_eq(bw_capture_comm(&c, 400), "", "no such process");
	c.gos = &go;
	c.ngos = 1;
	cr_assert_str_eq(bw_capture_comm(&c, 300), "gosvc", "the Go process's comm wins");
	go.comm = "";
	cr_assert_str_eq(bw_capture_comm(&c, 300), "gomain", "an empty one does not");
	go.comm = NULL;
	cr_assert_str_eq(bw_capture_comm(&c, 300), "gomain");
	go = (struct bw_capture_go){ .pid = 500, .comm = "threadless" };
	cr_assert_str_eq(bw_capture_comm(&c, 500), "threadless");
	cr_assert_eq(bw_capture_go_of(&c, 500), &go);
	cr_assert_null(bw_capture_go_of(&c, 300));
}

/* Out of tid order (a test's or a caller's array): the same answers. */
Test(capture, comm_of_threads_out_of_order)
{
	struct bw_thread t[5], r[5];
	struct bw_capture c;
	int i;

	threads_init(t);
	for (i = 0; i < 5; i++)
		r[i] = t[4 - i];
	fx_capture(&c, r, 5);
	cr_assert_str_eq(bw_capture_comm(&c, 100), "main100");
	cr_assert_str_eq(bw_capture_comm(&c, 200), "w201");
	cr_assert_str_eq(bw_capture_comm(&c, 300), "gomain");
	fx_capture(&c, NULL, 0);
	cr_assert_str_eq(bw_capture_comm(&c, 100), "");
}

static int freed;

static void count_free(void *p)
{
	freed += p == &freed;
}

Test(capture, free_calls_the_owner_once)
{
	struct bw_capture c = { .owned = &freed, .free_owned = count_free };

	bw_capture_free(&c);
	cr_assert_eq(freed, 1);
	cr_assert_null(c.owned);
	bw_capture_free(&c); /* a live capture, or one freed already */
	bw_capture_free(NULL);
	cr_assert_eq(freed, 1);
}
