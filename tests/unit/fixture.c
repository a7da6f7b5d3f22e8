// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "fixture.h"
#include "platform/ksyms.h"

void fx_thread(struct bw_thread *t, __u32 pid, __u32 tid, const char *comm, enum bw_wait w,
	       enum bw_verdict v, __u64 blocked_ns)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	t->wait = w;
	t->verdict = v;
	t->blocked_ns = blocked_ns;
	t->wait_fd = -1;
}

void fx_frame(struct bw_frame *fr, __u64 pc, const char *func, const char *module, const char *file,
	      int line)
{
	memset(fr, 0, sizeof(*fr));
	fr->pc = pc;
	snprintf(fr->func, sizeof(fr->func), "%s", func);
	snprintf(fr->module, sizeof(fr->module), "%s", module);
	snprintf(fr->file, sizeof(fr->file), "%s", file);
	fr->line = line;
}

void fx_gorec(struct bw_gorec *r, __u64 goid, const char *reason, enum bw_verdict v,
	      struct bw_gofunc *stack, int nstack)
{
	memset(r, 0, sizeof(*r));
	r->g.goid = goid;
	r->g.wait_reason = reason;
	r->verdict = v;
	r->blocked_ns = 20 * FX_SEC;
	r->stack = stack;
	r->nstack = nstack;
	if (nstack)
		r->blocked_at = stack[nstack - 1];
}

void fx_group(struct bw_gogroup *g, const char *reason, const char *at, const char *by,
	      size_t count, double growth, enum bw_verdict v)
{
	memset(g, 0, sizeof(*g));
	g->wait_reason = reason;
	g->blocked_at.name = at;
	g->created_by.name = by;
	g->count = count;
	g->reported = v == BW_VERDICT_NONE ? 0 : count;
	g->growth_per_min = growth;
	g->verdict = v;
}

void fx_capture(struct bw_capture *c, const struct bw_thread *threads, size_t n)
{
	memset(c, 0, sizeof(*c));
	c->threads = threads;
	c->nthreads = n;
}

/* Blocked 20 s unless not reported. */
static void prom_thread(struct bw_thread *t, __u32 pid, __u32 tid, const char *comm, enum bw_wait w,
			enum bw_verdict v)
{
	fx_thread(t, pid, tid, comm, w, v, v == BW_VERDICT_NONE ? 0 : 20 * FX_SEC);
}

void fx_prom_scan(struct fx_scan *s)
{
	memset(s, 0, sizeof(*s));
	prom_thread(&s->threads[0], 100, 102, "worker-2", BW_WAIT_CONDVAR, BW_VERDICT_LEAK);
	prom_thread(&s->threads[1], 100, 100, "leakd", BW_WAIT_EPOLL, BW_VERDICT_IDLE);
	prom_thread(&s->threads[2], 100, 101, "worker-1", BW_WAIT_CONDVAR, BW_VERDICT_LEAK);
	prom_thread(&s->threads[3], 100, 103, "worker-3", BW_WAIT_NONE, BW_VERDICT_NONE);
	prom_thread(&s->threads[4], 200, 202, "dl-a", BW_WAIT_MUTEX, BW_VERDICT_DEADLOCK);
	prom_thread(&s->threads[5], 200, 201, "dl-b", BW_WAIT_MUTEX, BW_VERDICT_DEADLOCK);
	prom_thread(&s->threads[6], 300, 300, "gosvc", BW_WAIT_RUNTIME, BW_VERDICT_NONE);
	prom_thread(&s->threads[7], 400, 400, "quiet", BW_WAIT_NONE, BW_VERDICT_NONE);
	s->threads[0].reason = s->threads[2].reason = BW_REASON_PILE;
	s->threads[4].reason = s->threads[5].reason = BW_REASON_CYCLE;

	fx_gorec(&s->recs[0], 7, "chan receive", BW_VERDICT_LEAK, NULL, 0);
	fx_gorec(&s->recs[1], 8, "select", BW_VERDICT_NONE, NULL, 0);
	fx_gorec(&s->recs[2], 9, "chan receive", BW_VERDICT_LEAK, NULL, 0);
	fx_gorec(&s->recs[3], 10, "", BW_VERDICT_IDLE, NULL, 0);
	fx_group(&s->groups[0], "select", "main.loop", "main.start", 1, 0, BW_VERDICT_NONE);
	fx_group(&s->groups[1], "chan receive", "main.worker", "main.main", 2, 1.5,
		 BW_VERDICT_LEAK);
	fx_group(&s->groups[2], "", NULL, "main.main", 1, 0, BW_VERDICT_IDLE);
	s->go.pid = 300;
	s->go.go_version = "go1.22.1";
	s->go.recs = s->recs;
	s->go.nrecs = 4;
	s->go.groups = s->groups;
	s->go.ngroups = 3;

	s->c.threads = s->threads;
	s->c.nthreads = 8;
	s->c.gos = &s->go;
	s->c.ngos = 1;
}

static const char kallsyms[] = "ffffffff81001000 T schedule\n"
			       "ffffffff81002000 T futex_wait_queue\n"
			       "ffffffff81003000 T do_futex\n"
			       "ffffffff81004000 T after_do_futex\n";

/* A thread of leakd in a syscall. */
static void leakd_thread(struct bw_thread *t, __u32 tid, enum bw_verdict v, enum bw_wait wait,
			 __u64 blocked_ns)
{
	fx_thread(t, 100, tid, "leakd", wait, v, blocked_ns);
	t->state = 'S';
	t->syscall_nr = 202;
}

int fx_profile_scan(struct fx_scan *s)
{
	struct bw_frame *a = &s->frames[0], *b = &s->frames[4];
	FILE *f;
	int err;

	memset(s, 0, sizeof(*s));
	f = fmemopen((void *)kallsyms, strlen(kallsyms), "r");
	if (!f)
		return -1;
	err = bw_ksyms__load(f, &s->ksyms);
	fclose(f);
	if (err)
		return err;

	fx_frame(&a[0], 0x7f0000001000, "__futex_abstimed_wait_common", "libc.so.6",
		 "futex-internal.c", 57);
	fx_frame(&a[1], 0x7f0000002000, "pthread_cond_wait", "libc.so.6", "", 0);
	fx_frame(&a[2], 0x401234, "leaky_worker", "leakd", "/src/leakd.c", 42);
	fx_frame(&a[3], 0x401800, "", "leakd", "", 0);
	leakd_thread(&s->threads[0], 101, BW_VERDICT_LEAK, BW_WAIT_CONDVAR, 5 * FX_SEC);
	s->threads[0].kstack[0] = 0xffffffff81002040;
	s->threads[0].kstack[1] = 0xffffffff81003010;
	s->threads[0].kstack_entries = 2;
	s->threads[0].ustack = a;
	s->threads[0].ustack_entries = 4;
	/* Not reported: no verdict. */
	leakd_thread(&s->threads[1], 102, BW_VERDICT_NONE, BW_WAIT_NONE, 0);
	s->threads[1].ustack = a;
	s->threads[1].ustack_entries = 4;
	/* Shares leaky_worker's return address with the first. */
	fx_frame(&b[0], 0x7f0000003000, "epoll_wait", "libc.so.6", "", 0);
	fx_frame(&b[1], 0x401234, "leaky_worker", "leakd", "/src/leakd.c", 42);
	leakd_thread(&s->threads[2], 103, BW_VERDICT_IDLE, BW_WAIT_EPOLL, FX_SEC);
	s->threads[2].ustack = b;
	s->threads[2].ustack_entries = 2;
	s->threads[2].goid = 77;

	s->gostack[0] = (struct bw_gofunc){ .name = "runtime.gopark",
					    .file = "/usr/lib/go/src/runtime/proc.go",
					    .line = 363 };
	s->gostack[1] = (struct bw_gofunc){ .name = "runtime.chanrecv1",
					    .file = "/usr/lib/go/src/runtime/chan.go",
					    .line = 442 };
	s->gostack[2] = (struct bw_gofunc){ .name = "main.leakyHandler",
					    .file = "/src/gosrv/main.go",
					    .line = 17 };
	fx_gorec(&s->recs[0], 7, "chan receive", BW_VERDICT_LEAK, s->gostack, 3);
	fx_gorec(&s->recs[1], 8, "chan receive", BW_VERDICT_NONE, s->gostack, 3);
	fx_gorec(&s->recs[2], 9, "chan receive", BW_VERDICT_LEAK, s->gostack, 3);
	for (int i = 0; i < 3; i++) {
		s->recs[i].g.status = BW_GSTATUS_WAITING;
		s->recs[i].created_by = (struct bw_gofunc){ .name = "main.main",
							    .file = "/src/gosrv/main.go",
							    .line = 30 };
	}
	s->go = (struct bw_capture_go){ .pid = 200, .comm = "gosrv", .recs = s->recs, .nrecs = 3 };

	s->c.threads = s->threads;
	s->c.nthreads = 3;
	s->c.ksyms = s->ksyms;
	s->c.gos = &s->go;
	s->c.ngos = 1;
	s->c.created_unix_s = 1700000000;
	s->c.watched_ns = 30 * FX_SEC;
	return 0;
}

void fx_scan_fini(struct fx_scan *s)
{
	bw_ksyms__free(s->ksyms);
	s->ksyms = NULL;
}
