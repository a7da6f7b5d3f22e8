/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scans the exporters' tests write out, as captures: built here once,
 * shared by test_prom, test_pprof, test_folded, test_report and the fixed
 * scan tests/prom/serve.c serves. No Criterion in fixture.c: serve.c links it
 * too (fx_report is render.c's, the unit tests' only).
 */
#ifndef BW_TEST_FIXTURE_H
#define BW_TEST_FIXTURE_H

#include "core/capture.h"

#define FX_SEC 1000000000ULL
#define FX_MSEC 1000000ULL

/* Storage of one scan; c points into it (so a scan is not copied once built). */
struct fx_scan {
	struct bw_ksyms *ksyms;
	struct bw_frame frames[8];
	struct bw_thread threads[8];
	struct bw_gofunc gostack[3];
	struct bw_gorec recs[4];
	struct bw_gogroup groups[3];
	struct bw_capture_go go;
	struct bw_capture c;
};

/* A thread waiting on w for blocked_ns (no fd, no syscall, no stacks). */
void fx_thread(struct bw_thread *t, __u32 pid, __u32 tid, const char *comm, enum bw_wait w,
	       enum bw_verdict v, __u64 blocked_ns);
void fx_frame(struct bw_frame *fr, __u64 pc, const char *func, const char *module, const char *file,
	      int line);
/* A goroutine parked for 20 s on reason; blocked at its last frame when it has a stack. */
void fx_gorec(struct bw_gorec *r, __u64 goid, const char *reason, enum bw_verdict v,
	      struct bw_gofunc *stack, int nstack);
/* A site; reported: count, but none with no verdict. */
void fx_group(struct bw_gogroup *g, const char *reason, const char *at, const char *by,
	      size_t count, double growth, enum bw_verdict v);
/* A capture of these threads and nothing else. */
void fx_capture(struct bw_capture *c, const struct bw_thread *threads, size_t n);
/* The report of c, text or JSON, as a malloc'd string (tests/unit/render.c). */
char *fx_report(const struct bw_capture *c, bool json);

/*
 * /metrics: pid 100 "leakd" (two workers leaked at one site, its main thread
 * idle, one running), pid 200 with two deadlocked threads, pid 300 a Go
 * process (two leaked goroutines, one idle, one parked under the
 * threshold), pid 400 with nothing reported. Threads come out of tid order
 * on purpose: per-process sums must not depend on it.
 */
void fx_prom_scan(struct fx_scan *s);
/*
 * The profiles (pprof, folded): pid 100 "leakd" with a leaked thread (kernel
 * and user stacks), one not reported, an idle one running goroutine 77 that
 * shares a frame with the first; pid 200 "gosrv", a Go process with two
 * goroutines leaked on one stack and one not reported. Kernel symbols
 * loaded. 0, or the error of loading them. fx_scan_fini frees them.
 */
int fx_profile_scan(struct fx_scan *s);
void fx_scan_fini(struct fx_scan *s);

#endif
