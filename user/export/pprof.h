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
 * are escaped as the text report does (bw_text_dup, core/escape.h): printable
 * ASCII as is, '\' doubled, any other byte as \xNN. A thread's root and comm
 * label are its own comm; a goroutine's are its process's (bw_capture_comm).
 * Profile.time_nanos is the capture's creation time, duration_nanos how long
 * blockwatch watched.
 */
#ifndef BW_PPROF_H
#define BW_PPROF_H

#include <stddef.h>
#include <stdio.h>
#include "core/capture.h"

/*
 * Writes the gzipped profile to f and flushes f. 0, -ENOMEM, -EOVERFLOW (a
 * profile of 4 GiB or more), or the negative errno of a failed write or flush
 * (-EIO when there is none).
 */
int bw_pprof_write(FILE *f, const struct bw_capture *c);

#endif
