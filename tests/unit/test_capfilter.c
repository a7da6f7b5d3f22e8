// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "export/capfilter.h"
#include "export/report.h"
#include "fixture.h"

#define SEC FX_SEC
#define MSEC FX_MSEC

/*
 * Threshold 1 s. pid 100 "cworker": main idle, 101 stuck on a condvar 5 s,
 * 102 on one for 300 ms (no verdict), 103 running; pid 200: a deadlocked
 * pair, 3 s; pid 300 "gosvc": goroutine 1 leaked 20 s and 2 (its site)
 * 400 ms, 3 idle 20 s, 4 on a sync.Cond 500 ms (stuck at any age).
 */
static struct bw_thread th[7];
static struct bw_gorec recs[4];
static struct bw_gogroup groups[3];
static struct bw_capture_go go;

static void blocked(struct bw_thread *t, __u32 pid, __u32 tid, const char *comm, enum bw_wait w,
		    enum bw_verdict v, __u64 ns)
{
	fx_thread(t, pid, tid, comm, w, v, ns);
	t->state = 'S';
	t->syscall_nr = 202;
	if (v != BW_VERDICT_NONE)
		snprintf(t->why, sizeof(t->why), "as the run said");
}

static void fixture(struct bw_capture *c)
{
	blocked(&th[0], 100, 100, "cworker", BW_WAIT_SIGNAL, BW_VERDICT_IDLE, 5 * SEC);
	blocked(&th[1], 100, 101, "worker-1", BW_WAIT_CONDVAR, BW_VERDICT_STUCK, 5 * SEC);
	th[1].reason = BW_REASON_NO_WAKER;
	blocked(&th[2], 100, 102, "worker-2", BW_WAIT_CONDVAR, BW_VERDICT_NONE, 300 * MSEC);
	fx_thread(&th[3], 100, 103, "worker-3", BW_WAIT_NONE, BW_VERDICT_NONE, 0);
	th[3].state = 'R';
	th[3].syscall_nr = -1;
	blocked(&th[4], 200, 200, "dl-a", BW_WAIT_MUTEX, BW_VERDICT_DEADLOCK, 3 * SEC);
	blocked(&th[5], 200, 201, "dl-b", BW_WAIT_MUTEX, BW_VERDICT_DEADLOCK, 3 * SEC);
	th[4].owner_tid = 201;
	th[5].owner_tid = 200;
	th[4].in_cycle = th[5].in_cycle = true;
	th[4].reason = th[5].reason = BW_REASON_CYCLE;
	blocked(&th[6], 300, 300, "gosvc", BW_WAIT_RUNTIME, BW_VERDICT_NONE, 0);
	th[6].state = 'S';

	fx_gorec(&recs[0], 1, "chan send", BW_VERDICT_LEAK, NULL, 0);
	fx_gorec(&recs[1], 2, "chan send", BW_VERDICT_NONE, NULL, 0);
	fx_gorec(&recs[2], 3, "select", BW_VERDICT_IDLE, NULL, 0);
	fx_gorec(&recs[3], 4, "sync.Cond.Wait", BW_VERDICT_NONE, NULL, 0);
	recs[0].verdict_any = recs[1].verdict_any = BW_VERDICT_LEAK;
	recs[0].g.why = recs[0].why_any = recs[1].why_any = BW_WHY_CHAN;
	recs[1].blocked_ns = 400 * MSEC;
	recs[2].verdict_any = BW_VERDICT_IDLE;
	recs[2].group = 1;
	recs[3].verdict_any = BW_VERDICT_STUCK;
	recs[3].blocked_ns = 500 * MSEC;
	recs[3].group = 2;
	fx_group(&groups[0], "chan send", "main.send", "main.main", 2, 0, BW_VERDICT_LEAK);
	groups[0].reported = 1;
	groups[0].oldest_ns = 20 * SEC;
	fx_group(&groups[1], "select", "main.loop", "main.main", 1, 0, BW_VERDICT_IDLE);
	groups[1].oldest_ns = 20 * SEC;
	fx_group(&groups[2], "sync.Cond.Wait", "main.wait", "main.main", 1, 0, BW_VERDICT_NONE);
	for (size_t i = 0; i < 3; i++) {
		groups[i].key = 0x1000 + i;
		groups[i].blocked_at.file = groups[i].created_by.file = "main.go";
	}
	for (size_t i = 0; i < 4; i++) {
		recs[i].g.status = BW_GSTATUS_WAITING;
		recs[i].blocked_at = groups[recs[i].group].blocked_at;
		recs[i].created_by = groups[recs[i].group].created_by;
	}
	memset(&go, 0, sizeof(go));
	go.pid = 300;
	go.go_version = "go1.22";
	go.recs = recs;
	go.nrecs = 4;
	go.groups = groups;
	go.ngroups = 3;
	fx_capture(c, th, 7);
	c->threshold_ns = SEC;
	c->watched_ns = 2 * SEC;
	c->gos = &go;
	c->ngos = 1;
}

static const struct bw_thread *tid_of(const struct bw_capture *c, __u32 tid)
{
	for (size_t i = 0; i < c->nthreads; i++)
		if (c->threads[i].tid == tid)
			return &c->threads[i];
	return NULL;
}

static void view(const struct bw_capture *c, const struct bw_capfilter *f, struct bw_capture *out)
{
	cr_assert_eq(bw_capfilter_apply(c, f, out), 0);
}

Test(capfilter, verdict_lists_parse)
{
	unsigned int m;

	cr_assert_eq(bw_capfilter_parse_verdicts("deadlock,leak", &m), 0);
	cr_assert_eq(m, (1u << BW_VERDICT_DEADLOCK) | (1u << BW_VERDICT_LEAK));
	cr_assert_eq(bw_capfilter_parse_verdicts("idle", &m), 0);
	cr_assert_eq(m, 1u << BW_VERDICT_IDLE);
	cr_assert_eq(bw_capfilter_parse_verdicts("stuck,blocked,idle,leak,deadlock", &m), 0);
	cr_assert_eq(bw_capfilter_parse_verdicts("", &m), -EINVAL);
	cr_assert_eq(bw_capfilter_parse_verdicts("leak,", &m), -EINVAL);
	cr_assert_eq(bw_capfilter_parse_verdicts("lea", &m), -EINVAL);
	cr_assert_eq(bw_capfilter_parse_verdicts("leaks", &m), -EINVAL);
	cr_assert_eq(bw_capfilter_parse_verdicts("none", &m), -EINVAL);
	cr_assert_eq(bw_capfilter_parse_verdicts(",leak", &m), -EINVAL);
}

/* The run's own threshold is no filter: the view renders byte for byte as the capture. */
Test(capfilter, own_threshold_is_the_capture)
{
	struct bw_capfilter f = { .has_threshold = true, .threshold_ns = SEC };
	struct bw_capfilter none = {};
	struct bw_capture c, v;
	char *a, *b;

	fixture(&c);
	cr_assert(bw_capfilter_is_identity(&f, &c));
	cr_assert(bw_capfilter_is_identity(&none, &c));
	view(&c, &f, &v);
	a = fx_report(&c, false);
	b = fx_report(&v, false);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	a = fx_report(&c, true);
	b = fx_report(&v, true);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	cr_assert_eq(bw_report_found(&v), bw_report_found(&c));
	bw_capture_free(&v);
	f.threshold_ns = 2 * SEC;
	cr_assert_not(bw_capfilter_is_identity(&f, &c));
}

/* Under the run's threshold: the short waits get verdicts; the run's own stay as it gave them. */
Test(capfilter, lower_threshold_judges_the_short_ones)
{
	struct bw_capfilter f = { .has_threshold = true, .threshold_ns = 100 * MSEC };
	struct bw_capture c, v;
	char *text;

	fixture(&c);
	view(&c, &f, &v);
	cr_assert_eq(v.threshold_ns, 100 * MSEC);
	cr_assert_eq(v.nthreads, 7);
	cr_assert_eq(tid_of(&v, 102)->verdict, BW_VERDICT_STUCK, "the 300 ms condvar wait");
	cr_assert_str_eq(tid_of(&v, 101)->why, "as the run said");
	cr_assert_eq(tid_of(&v, 200)->verdict, BW_VERDICT_DEADLOCK);
	cr_assert_eq(tid_of(&v, 103)->verdict, BW_VERDICT_NONE, "running");
	cr_assert_eq(v.gos[0].recs[1].verdict, BW_VERDICT_LEAK, "the 400 ms goroutine");
	cr_assert_eq(v.gos[0].recs[1].g.why, BW_WHY_CHAN);
	cr_assert_eq(v.gos[0].recs[3].verdict, BW_VERDICT_STUCK);
	cr_assert_eq(v.gos[0].groups[0].reported, 2);
	cr_assert_eq(v.gos[0].groups[0].count, 2);
	cr_assert_eq(v.gos[0].groups[2].reported, 1);
	cr_assert_eq(v.gos[0].groups[2].verdict, BW_VERDICT_STUCK);
	cr_assert_eq(bw_report_found(&v), 4, "2 deadlocked threads, 2 leaked goroutines");
	cr_assert_eq(bw_report_found(&c), 3);
	/* The source is untouched. */
	cr_assert_eq(c.threads[2].verdict, BW_VERDICT_NONE);
	cr_assert_eq(recs[1].verdict, BW_VERDICT_NONE);
	text = fx_report(&v, false);
	cr_assert_not_null(strstr(text, "threshold 100ms"), "%s", text);
	cr_assert_not_null(strstr(text, "worker-2"), "%s", text);
	cr_assert_not_null(strstr(text, "4 parked, 4 for 100ms or more: 2 leaked, 1 stuck"), "%s",
			   text);
	free(text);
	bw_capture_free(&v);
}

/* Over it: what is younger than the new threshold has no verdict. */
Test(capfilter, higher_threshold_drops_the_younger)
{
	struct bw_capfilter f = { .has_threshold = true, .threshold_ns = 4 * SEC };
	struct bw_capture c, v;

	fixture(&c);
	view(&c, &f, &v);
	cr_assert_eq(tid_of(&v, 200)->verdict, BW_VERDICT_NONE);
	cr_assert_eq(tid_of(&v, 200)->why[0], '\0');
	cr_assert_eq(tid_of(&v, 101)->verdict, BW_VERDICT_STUCK);
	cr_assert_eq(v.gos[0].recs[0].verdict, BW_VERDICT_LEAK);
	cr_assert_eq(v.gos[0].groups[0].reported, 1);
	cr_assert_eq(bw_report_found(&v), 1);
	bw_capture_free(&v);
}

Test(capfilter, verdicts_pick_what_is_listed)
{
	struct bw_capfilter f = {};
	struct bw_capture c, v;
	char *text;

	fixture(&c);
	cr_assert_eq(bw_capfilter_parse_verdicts("leak", &f.verdicts), 0);
	view(&c, &f, &v);
	for (size_t i = 0; i < v.nthreads; i++)
		cr_assert_eq(v.threads[i].verdict, BW_VERDICT_NONE, "tid %u", v.threads[i].tid);
	cr_assert_eq(v.gos[0].recs[0].verdict, BW_VERDICT_LEAK);
	cr_assert_eq(v.gos[0].recs[2].verdict, BW_VERDICT_NONE, "idle is not listed");
	cr_assert_eq(v.gos[0].groups[1].reported, 0);
	cr_assert_eq(bw_report_found(&v), 1);
	text = fx_report(&v, false);
	cr_assert_null(strstr(text, "\nidle "), "%s", text);
	cr_assert_not_null(strstr(text, "0 deadlocked"), "%s", text);
	free(text);
	bw_capture_free(&v);

	cr_assert_eq(bw_capfilter_parse_verdicts("deadlock,stuck", &f.verdicts), 0);
	view(&c, &f, &v);
	cr_assert_eq(tid_of(&v, 101)->verdict, BW_VERDICT_STUCK);
	cr_assert_eq(tid_of(&v, 201)->verdict, BW_VERDICT_DEADLOCK);
	cr_assert_eq(tid_of(&v, 100)->verdict, BW_VERDICT_NONE);
	cr_assert_eq(v.gos[0].recs[0].verdict, BW_VERDICT_NONE);
	cr_assert_eq(bw_report_found(&v), 2);
	bw_capture_free(&v);
}

Test(capfilter, pids_and_names_pick_processes)
{
	__u32 pids[] = { 200 };
	struct bw_capfilter f = { .pids = pids, .npids = 1 };
	struct bw_capture c, v;
	char *json;

	fixture(&c);
	view(&c, &f, &v);
	cr_assert_eq(v.nthreads, 2);
	cr_assert_eq(v.ngos, 0);
	cr_assert_eq(bw_report_found(&v), 2);
	json = fx_report(&v, true);
	cr_assert_null(strstr(json, "\"pid\":100"), "%s", json);
	free(json);
	bw_capture_free(&v);

	f = (struct bw_capfilter){ .comm = "gos*" };
	view(&c, &f, &v);
	cr_assert_eq(v.nthreads, 1);
	cr_assert_eq(v.ngos, 1);
	cr_assert_eq(v.gos[0].pid, 300);
	cr_assert_eq(bw_report_found(&v), 1);
	bw_capture_free(&v);

	/* A thread's own name picks its process. */
	f = (struct bw_capfilter){ .comm = "worker-[12]" };
	view(&c, &f, &v);
	cr_assert_eq(v.nthreads, 4);
	cr_assert_eq(v.threads[0].pid, 100);
	bw_capture_free(&v);

	f = (struct bw_capfilter){ .comm = "nothing-here" };
	view(&c, &f, &v);
	cr_assert_eq(v.nthreads + v.ngos, 0);
	cr_assert_eq(bw_report_found(&v), 0);
	bw_capture_free(&v);
}

/*
 * As live: a leak the run reported young was seen parked in place, and a
 * proof needs no age, so it stays at a higher threshold; one the run did
 * not report (not seen in place) waits for the threshold, as does what is
 * unproven.
 */
Test(capfilter, reported_proofs_stay_at_any_threshold)
{
	struct bw_capfilter f = { .has_threshold = true, .threshold_ns = 10 * SEC };
	struct bw_capture c, v;

	fixture(&c);
	recs[1].verdict = BW_VERDICT_LEAK;
	recs[1].g.why = BW_WHY_CHAN;
	groups[0].reported = 2;
	view(&c, &f, &v);
	cr_assert_eq(v.gos[0].recs[0].verdict, BW_VERDICT_LEAK);
	cr_assert_eq(v.gos[0].recs[1].verdict, BW_VERDICT_LEAK, "400 ms, but seen in place");
	cr_assert_eq(v.gos[0].recs[3].verdict, BW_VERDICT_NONE, "stuck needs the age");
	cr_assert_eq(v.gos[0].groups[0].reported, 2);
	bw_capture_free(&v);
	recs[1].verdict = BW_VERDICT_NONE;
	recs[1].g.why = BW_WHY_NONE;
	groups[0].reported = 1;
	view(&c, &f, &v);
	cr_assert_eq(v.gos[0].recs[1].verdict, BW_VERDICT_NONE, "not seen in place: too young");
	cr_assert_eq(v.gos[0].groups[0].reported, 1);
	bw_capture_free(&v);
	f.threshold_ns = 100 * MSEC;
	view(&c, &f, &v);
	cr_assert_eq(v.gos[0].recs[1].verdict, BW_VERDICT_LEAK, "old enough for this threshold");
	bw_capture_free(&v);
}
