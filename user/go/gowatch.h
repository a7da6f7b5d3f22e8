/* SPDX-License-Identifier: GPL-2.0 */
/* One Go process watched at goroutine level: scan, symbolize, track, judge. */
#ifndef BW_GOWATCH_H
#define BW_GOWATCH_H

#include <stddef.h>
#include <sys/types.h>
#include "core/gomodel.h"
#include "core/patterns.h"

struct bw_gowatch;

/* Where the opt-in probes go in one Go binary. */
struct bw_goprobe_points {
	char path[64];	/* /proc/PID/exe: the file the process runs, wherever it is */
	__u64 park_off; /* file offsets of runtime.park_m and runtime.goexit0 */
	__u64 exit_off;
	__u32 goid_off; /* g.goid and g.waitreason */
	__u32 waitreason_off;
};

/* Exact park time of the goroutine at gaddr if it is goid; 0 when unknown. */
typedef __u64 (*bw_gopark_fn)(void *ctx, __u64 gaddr, __u64 goid);

/* -ENOEXEC when pid is not a Go program; other negative errnos when it is but cannot be read. */
int bw_gowatch__new(pid_t pid, struct bw_gowatch **out);
/*
 * One scan; 0 or a negative errno. When the process is gone or its goroutine
 * list cannot be read, the previous results stay; after -ENOMEM there are none.
 */
int bw_gowatch__scan(struct bw_gowatch *gw, __u64 threshold_ns, const struct bw_patterns *benign,
		     bw_gopark_fn park, void *park_ctx);
/* 0, or -ENOENT when the runtime functions are not found. */
int bw_gowatch__probe_points(const struct bw_gowatch *gw, struct bw_goprobe_points *out);
const struct bw_gorec *bw_gowatch__records(const struct bw_gowatch *gw, size_t *n);
const struct bw_gogroup *bw_gowatch__groups(const struct bw_gowatch *gw, size_t *n);
/* Goroutine running on thread tid at the last scan, 0 when none. */
__u64 bw_gowatch__goid_of_tid(struct bw_gowatch *gw, __u32 tid);
const char *bw_gowatch__version(const struct bw_gowatch *gw);
/* How the last liveness search read stacks, heap objects and globals: "precise", "conservative"... */
void bw_gowatch__scan_kinds(const struct bw_gowatch *gw, const char **stacks, const char **heap,
			    const char **globals);
pid_t bw_gowatch__pid(const struct bw_gowatch *gw);
/* Goroutines skipped because they changed while read, over all scans. */
size_t bw_gowatch__skipped(const struct bw_gowatch *gw);
void bw_gowatch__free(struct bw_gowatch *gw);

/* The Go processes among a changing set of pids, each probed once. */
struct bw_goset;
int bw_goset__new(struct bw_goset **out);
/*
 * Probes new pids (remembering which are not Go), forgets gone ones and
 * scans the Go ones. Per-process failures are skipped, not fatal.
 */
int bw_goset__scan(struct bw_goset *set, const __u32 *pids, size_t npids, __u64 threshold_ns,
		   const struct bw_patterns *benign, bw_gopark_fn park, void *park_ctx);
size_t bw_goset__count(const struct bw_goset *set);
struct bw_gowatch *bw_goset__get(const struct bw_goset *set, size_t i);
/* The watch of pid, or NULL. */
struct bw_gowatch *bw_goset__find(const struct bw_goset *set, __u32 pid);
/*
 * Ties the threads of the Go processes of set to their goroutines (goid).
 * A bare futex wait on a Go thread is the runtime's own (notes, runtime
 * locks: idle Ms, signal and timer waits), whether or not symbols said so:
 * Go code has no futex of its own, and C code called through cgo shows its
 * pthread frames instead.
 */
void bw_goset__link_threads(const struct bw_goset *set, struct bw_thread *threads, size_t n);
void bw_goset__free(struct bw_goset *set);
#endif
