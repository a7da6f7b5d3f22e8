/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything one scan knows, in one place: the one input of every output
 * (text and JSON report, snapshot, Prometheus, pprof, folded stacks, diff).
 * A capture either points into the live state (owned elsewhere; built
 * again after each scan) or, read back from a snapshot, owns all of it.
 */
#ifndef BW_CAPTURE_H
#define BW_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include "core/gomodel.h"
#include "core/model.h"

struct bw_ksyms;

struct bw_capture_go {
	__u32 pid; /* each pid at most once in a capture */
	/* NULL or "": the process's comm is its threads' (bw_capture_comm). */
	const char *comm;
	const char *go_version;
	/* How the liveness search read stacks, heap and globals ("precise", "conservative"...). */
	const char *scan_stacks, *scan_heap, *scan_globals;
	/* Every parked goroutine of the scan (a version-1 snapshot kept the reported ones). */
	const struct bw_gorec *recs;
	size_t nrecs;
	const struct bw_gogroup *groups;
	size_t ngroups;
};

struct bw_capture {
	char tool[32];	  /* "blockwatch 0.1" */
	char kernel[128]; /* uname -r */
	char host[64];
	__u64 created_unix_s;
	__u64 threshold_ns;
	__u64 watched_ns;
	__u64 dropped;
	__u32 fallbacks; /* BW_FALLBACK_* (kfeatures.h): what the kernel lacked */
	bool all;
	__u32 version; /* of the snapshot it was read from; 0 for a live capture */
	const struct bw_thread *threads; /* every thread of the scan, sorted by tid */
	size_t nthreads;
	const struct bw_capture_go *gos;
	size_t ngos;
	const struct bw_ksyms *ksyms; /* NULL: kernel addresses stay raw */
	/* Storage of a capture read back, and its destructor (bw_capture_free calls it). */
	void *owned;
	void (*free_owned)(void *owned);
};

/* Fills tool, kernel, host and creation time of a live capture. */
void bw_capture_stamp(struct bw_capture *c);
/* The Go process pid of c, or NULL. */
const struct bw_capture_go *bw_capture_go_of(const struct bw_capture *c, __u32 pid);
/*
 * The name a process goes by in every output: its Go process's comm when
 * given, else its main thread's, else that of its lowest tid; "" when c has
 * neither. Thread pools name threads by number: one name per process.
 * Quick when the threads are sorted by tid (a lookup of the main thread).
 */
const char *bw_capture_comm(const struct bw_capture *c, __u32 pid);
/* Every pid of c (its threads' and Go processes'), ascending and once each, into *pids (malloc'd). 0 or -ENOMEM. */
int bw_capture_pids(const struct bw_capture *c, __u32 **pids, size_t *npids);
/* Frees what a capture read back owns; a live capture (or NULL) is left as is. */
void bw_capture_free(struct bw_capture *c);

#endif
