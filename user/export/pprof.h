/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stuck threads and goroutines of a scan as a pprof profile: the gzipped
 * protobuf of github.com/google/pprof (proto/profile.proto), which `go tool
 * pprof`, Pyroscope, Parca and speedscope read. Pure: writes to a FILE *.
 *
 * One sample per reported thread and goroutine (verdict != BW_VERDICT_NONE),
 * with two values: "count" (1, unit "count") and "blocked" (the time blocked,
 * unit "nanoseconds", the default sample type). Its stack, leaf first:
 *
 *   thread:    kernel frames, "[k] " + symbol ("[k] 0x<addr>" without ksyms),
 *              then the user frames, then a root frame "<comm> (<pid>)";
 *   goroutine: the logical Go frames (inlined ones expanded), then the root.
 *
 * Unsymbolized user frames are named "[<module>]" or "[unknown]"; their pc
 * stays in Location.address. Labels: kind ("thread" or "goroutine"), verdict,
 * wait (enum bw_wait name, or the Go wait reason), comm, pid, then tid (and
 * goid when the thread runs one) or goid and created_by (creating function).
 * Functions are shared by name and file; locations by address within a
 * process (user), by address (kernel), by function and line (Go, root). One
 * mapping, "[blockwatch]", spans all addresses and is marked symbolized (every
 * location carries its function), so readers never look for binaries to
 * symbolize with. Target-controlled strings (comm, symbols, files, wait reasons)
 * are escaped as the text report does: printable ASCII as is, '\' doubled,
 * any other byte as \xNN.
 */
#ifndef BW_PPROF_H
#define BW_PPROF_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "core/gomodel.h"
#include "core/model.h"

struct bw_ksyms;

/* The goroutine records of one Go process (recs with their stacks filled). */
struct bw_pprof_goproc {
	__u32 pid;
	const char *comm; /* NULL: "" */
	const struct bw_gorec *recs;
	size_t nrecs;
};

/* One scan, as the profile writers (pprof, folded) take it. */
struct bw_pprof_input {
	const struct bw_thread *threads; /* classified; only those with a verdict count */
	size_t nthreads;
	const struct bw_ksyms *ksyms; /* NULL: kernel frames as raw addresses */
	const struct bw_pprof_goproc *goprocs;
	size_t ngoprocs;
	__u64 time_ns;	   /* Profile.time_nanos: the scan, ns since the epoch (UTC) */
	__u64 duration_ns; /* Profile.duration_nanos: how long blockwatch watched */
};

/*
 * Writes the gzipped profile to f and flushes f. 0, -ENOMEM, -EOVERFLOW (a
 * profile of 4 GiB or more), or the negative errno of a failed write or flush
 * (-EIO when there is none).
 */
int bw_pprof_write(FILE *f, const struct bw_pprof_input *in);

#endif
