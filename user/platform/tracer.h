/* SPDX-License-Identifier: GPL-2.0 */
/* The only module that talks to libbpf: load, attach, snapshot, read maps. */
#ifndef BW_TRACER_H
#define BW_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "blockwatch.h"

struct bw_tracer;

struct bw_tracer_opts {
	const __u32 *tgids; /* processes to watch; none: every process */
	size_t ntgids;
	__u32 max_threads;     /* threads with a history at once (0: BW_THREAD_ENTRIES_DEFAULT) */
	bool verbose;	       /* libbpf debug output */
	bool futex_calls;      /* futex.bpf.c too: every futex wait call, blocking or not */
	const char *btf_path;  /* kernel BTF for CO-RE (NULL: /sys/kernel/btf/vmlinux) */
	__u32 force_fallbacks; /* BW_FALLBACK_* (kfeatures.h) taken even where the kernel has it */
};

/* Whether path holds BTF libbpf can relocate against: 0 or a negative errno. */
int bw_tracer__check_btf(const char *path);

/* Opens, loads and attaches everything: 0 or a negative errno. */
int bw_tracer__new(const struct bw_tracer_opts *opts, struct bw_tracer **out);
/*
 * Runs the task iterator: every thread of the target right now. *recs is
 * malloc'd (caller frees). 0 or a negative errno.
 */
int bw_tracer__scan(struct bw_tracer *tr, struct bw_task_rec **recs, size_t *n);
/*
 * The block history and last futex wait of a thread as the last scan saw
 * them: 0, or -ENOENT when the thread had none.
 */
int bw_tracer__history(struct bw_tracer *tr, __u32 tid, struct bw_history *out);
int bw_tracer__futex(struct bw_tracer *tr, __u32 tid, struct bw_futex_wait *out);
/*
 * Opt-in Go probes on one process: uprobes at the given file offsets of
 * path, reading g.goid and g.waitreason at those offsets. 0 or a negative errno.
 */
int bw_tracer__attach_go(struct bw_tracer *tr, pid_t pid, const char *path, __u64 park_off,
			 __u64 exit_off, __u32 goid_off, __u32 waitreason_off);
/* Last park of the g at gaddr: 0 or -ENOENT. */
int bw_tracer__go_park(struct bw_tracer *tr, __u64 gaddr, struct bw_gopark *out);
/* The fallbacks taken for what the kernel lacks: BW_FALLBACK_* (kfeatures.h). */
__u32 bw_tracer__fallbacks(const struct bw_tracer *tr);
/* Threads the history map had no room for. */
__u64 bw_tracer__dropped(struct bw_tracer *tr);
void bw_tracer__free(struct bw_tracer *tr);

/* The libbpf whose headers we were built with, and the shared library running now. */
struct bw_libbpf_version {
	__u32 built_major, built_minor;
	__u32 running_major, running_minor;
};
void bw_tracer__libbpf_version(struct bw_libbpf_version *out);

#endif
