/* SPDX-License-Identifier: GPL-2.0 */
/*
 * When --snapshot-dir writes a snapshot of a process, and which of its old
 * files go. Pure: takes captures, times and file lists; the I/O is the
 * caller's (cli/snapdir.c).
 *
 * A process is due a snapshot when, since its last snapshot (or since first
 * seen), a deadlock or a leak appeared in it: a thread deadlocked or leaked
 * (by tid), a goroutine deadlocked (by goid), a goroutine site turned leak,
 * or threads piled up at a site (BW_REASON_PILE); or when a leak site it
 * had grew past the bound: BW_AUTOSNAP_GROWTH times the goroutines (or
 * piled threads) it had at the last snapshot, and by BW_AUTOSNAP_GROWTH_MIN
 * at least. Leaked goroutines count by site, not by goid: a site leaking one
 * goroutine a second is one leak that grows, not a new one each second.
 * At most one snapshot per process per `every_ns`: what is due while that
 * lasts stays due, and is written once it has passed.
 */
#ifndef BW_AUTOSNAP_H
#define BW_AUTOSNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <linux/types.h>
#include "core/capture.h"

#define BW_AUTOSNAP_GROWTH 2
#define BW_AUTOSNAP_GROWTH_MIN 16

struct bw_autosnap;

int bw_autosnap__new(struct bw_autosnap **out);
void bw_autosnap__free(struct bw_autosnap *a);

/*
 * The pids of c due a snapshot at now_ns (a monotonic clock), ascending,
 * into *pids (malloc'd, NULL when none). Processes no longer in c are
 * forgotten. 0 or -ENOMEM.
 */
int bw_autosnap__due(struct bw_autosnap *a, const struct bw_capture *c, __u64 now_ns,
		     __u64 every_ns, __u32 **pids, size_t *npids);
/* True when pid had no snapshot in the every_ns before now_ns. */
bool bw_autosnap__allowed(const struct bw_autosnap *a, __u32 pid, __u64 now_ns, __u64 every_ns);
/* Records a failed try at now_ns: the rate limit counts it, what is new stays new. */
int bw_autosnap__tried(struct bw_autosnap *a, __u32 pid, __u64 now_ns);
/* Records a snapshot of pid taken at now_ns: what c shows of it is no longer new. */
int bw_autosnap__taken(struct bw_autosnap *a, const struct bw_capture *c, __u32 pid, __u64 now_ns);

/*
 * Snapshot file names: blockwatch-PID-COMM-YYYYmmddTHHMMSSZ.snap, or with
 * -N before .snap for the Nth of a second. comm is sanitized to
 * [A-Za-z0-9._-] (anything else becomes '_', "" becomes "unknown"), so
 * nothing a target names itself reaches a path beyond one component.
 */
#define BW_SNAPNAME_BYTES 96
/* 0, or -ENAMETOOLONG when len is too short. seq 0: no -N. */
int bw_snapname_make(char *buf, size_t len, __u32 pid, const char *comm, time_t t,
		     unsigned int seq);
/* True when name is one of ours; *pid, its time (UTC) and seq when given. */
bool bw_snapname_parse(const char *name, __u32 *pid, time_t *t, unsigned int *seq);

struct bw_snapfile {
	char name[256];
	__u64 bytes;
	time_t t;	  /* from the name */
	unsigned int seq; /* from the name */
	bool remove;	  /* set by bw_snapfiles_prune */
};

/*
 * Marks the files to remove, oldest first (by the time and seq in their
 * names), so that at most keep files and max_bytes bytes stay; the newest
 * always stays, even alone past max_bytes. files may be reordered. Returns
 * how many are marked.
 */
size_t bw_snapfiles_prune(struct bw_snapfile *files, size_t n, size_t keep, __u64 max_bytes);

#endif
