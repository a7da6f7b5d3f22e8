// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <criterion/criterion.h>
#include "go/gowait.h"

Test(gowait, wait_classes)
{
	cr_assert_eq(bw_gowait_class("chan send"), BW_GOWAIT_CHAN);
	cr_assert_eq(bw_gowait_class("chan receive"), BW_GOWAIT_CHAN);
	cr_assert_eq(bw_gowait_class("select"), BW_GOWAIT_CHAN);
	cr_assert_eq(bw_gowait_class("chan send (nil chan)"), BW_GOWAIT_NILCHAN);
	cr_assert_eq(bw_gowait_class("chan receive (nil chan)"), BW_GOWAIT_NILCHAN);
	cr_assert_eq(bw_gowait_class("select (no cases)"), BW_GOWAIT_NILCHAN);
	cr_assert_eq(bw_gowait_class("sync.Mutex.Lock"), BW_GOWAIT_SYNC);
	cr_assert_eq(bw_gowait_class("sync.WaitGroup.Wait"), BW_GOWAIT_SYNC);
	cr_assert_eq(bw_gowait_class("semacquire"), BW_GOWAIT_SYNC);
	cr_assert_eq(bw_gowait_class("sync.Cond.Wait"), BW_GOWAIT_SYNC);
	cr_assert_eq(bw_gowait_class("IO wait"), BW_GOWAIT_IO);
	cr_assert_eq(bw_gowait_class("sleep"), BW_GOWAIT_SLEEP);
	cr_assert_eq(bw_gowait_class("GC worker (idle)"), BW_GOWAIT_RUNTIME);
	cr_assert_eq(bw_gowait_class("finalizer wait"), BW_GOWAIT_RUNTIME);
	cr_assert_eq(bw_gowait_class("timer goroutine (idle)"), BW_GOWAIT_RUNTIME);
	cr_assert_eq(bw_gowait_class("syscall"), BW_GOWAIT_SYSCALL);
	cr_assert_eq(bw_gowait_class(NULL), BW_GOWAIT_OTHER);
}

/* The frames a goroutine's "blocked at" skips, and those that make it the runtime's own. */
Test(gowait, function_names)
{
	cr_assert(bw_gowait_machinery("runtime.gopark"));
	cr_assert(bw_gowait_machinery("internal/poll.(*FD).Read"));
	cr_assert(bw_gowait_machinery("sync.(*WaitGroup).Wait"));
	cr_assert(bw_gowait_machinery("sync/atomic.(*Int64).Load"));
	cr_assert(bw_gowait_machinery("time.Sleep"));
	cr_assert_not(bw_gowait_machinery("time.(*Timer).Reset"));
	cr_assert_not(bw_gowait_machinery("main.worker"));
	cr_assert_not(bw_gowait_machinery("syncer.run"));
	cr_assert_not(bw_gowait_machinery(""));

	cr_assert(bw_goruntime_package("runtime.gcBgMarkWorker"));
	cr_assert(bw_goruntime_package("unique.registerCleanup.func1"));
	cr_assert(bw_goruntime_package("weak.runtime_registerWeakPointer"));
	cr_assert(bw_goruntime_package("internal/sync.(*Mutex).Lock"));
	cr_assert_not(bw_goruntime_package("sync.(*Mutex).Lock"));
	cr_assert_not(bw_goruntime_package("main.main"));

	cr_assert(bw_golock_frame("sync.(*Mutex).Lock"));
	cr_assert(bw_golock_frame("sync.(*Mutex).lockSlow"));
	cr_assert(bw_golock_frame("sync.(*RWMutex).RLock"));
	cr_assert_not(bw_golock_frame("sync.(*WaitGroup).Wait"));
	cr_assert_not(bw_golock_frame("sync.(*Cond).Wait"));
	cr_assert_not(bw_golock_frame("main.(*Mutex).Lock"));
}

/* The parks memory cannot decide: os/signal's loop waits for the kernel. */
Test(gowait, benign_builtins)
{
	struct bw_patterns *p;

	cr_assert_eq(bw_patterns__new(&p), 0);
	cr_assert_not(bw_patterns__match(p, "os/signal.loop"));
	cr_assert_eq(bw_gobenign_add(p), 0);
	cr_assert(bw_patterns__match(p, "os/signal.loop"));
	cr_assert(bw_patterns__match(p, "os/signal.signal_recv"));
	cr_assert_not(bw_patterns__match(p, "os/signal.Notify"));
	cr_assert_not(bw_patterns__match(p, "net/http.(*persistConn).writeLoop"));
	bw_patterns__free(p);
}

Test(gowait, evidence_text)
{
	struct bw_goroutine g = { .wait_reason = "sync.Mutex.Lock" };
	char buf[256];

	g.why = BW_WHY_NILCHAN;
	bw_gowhy_text(&g, buf, sizeof(buf));
	cr_expect_str_eq(buf, "nil channel");
	g.why = BW_WHY_NOCASES;
	bw_gowhy_text(&g, buf, sizeof(buf));
	cr_expect_str_eq(buf, "select with no cases");
	g.why = BW_WHY_SYNC;
	g.wait_obj = 0xc000123000;
	g.why_goid = 41;
	bw_gowhy_text(&g, buf, sizeof(buf));
	cr_expect_str_eq(buf, "mutex 0xc000123000 reachable from no live goroutine or global; also "
			      "waited on by leaked goroutine 41");
	g.why = BW_WHY_CHAN;
	g.why_goid = 0;
	bw_gowhy_text(&g, buf, sizeof(buf));
	cr_expect_str_eq(buf, "chan 0xc000123000 reachable from no live goroutine or global");
	g.why = BW_WHY_CYCLE;
	g.why_goid = 7;
	g.wait_reason = "sync.RWMutex.Lock";
	bw_gowhy_text(&g, buf, sizeof(buf));
	cr_expect_str_eq(buf,
			 "rwmutex 0xc000123000 reachable from the stack of goroutine 7, itself "
			 "leaked waiting on a lock of the same cycle");
	g.why = BW_WHY_RUNTIME;
	bw_gowhy_text(&g, buf, sizeof(buf));
	cr_expect_str_eq(buf, "marked leaked by the Go runtime's leak detector");
	g.why = BW_WHY_NONE;
	bw_gowhy_text(&g, buf, sizeof(buf));
	cr_expect_str_eq(buf, "");
}

/* Cut to fit as snprintf cuts, and the length it would have taken. */
Test(gowait, evidence_text_cut)
{
	struct bw_goroutine g = { .wait_reason = "sync.WaitGroup.Wait",
				  .why = BW_WHY_SYNC,
				  .wait_obj = 0xc0000a0010,
				  .why_goid = 18446744073709551615ULL };
	char full[256], buf[256];
	int n = bw_gowhy_text(&g, full, sizeof(full));
	size_t len;

	cr_assert_str_eq(full, "waitgroup 0xc0000a0010 reachable from no live goroutine or global; "
			       "also waited on by leaked goroutine 18446744073709551615");
	cr_expect_eq(n, (int)strlen(full));
	for (len = 0; len <= strlen(full) + 1; len++) {
		memset(buf, 'x', sizeof(buf));
		cr_expect_eq(bw_gowhy_text(&g, buf, len), n);
		if (len)
			cr_expect(!strncmp(buf, full, len - 1) && buf[len - 1] == '\0', "len %zu",
				  len);
		cr_expect_eq(buf[len], 'x', "len %zu: a byte past the buffer", len);
	}
}
