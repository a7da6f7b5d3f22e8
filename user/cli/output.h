/* SPDX-License-Identifier: GPL-2.0 */
/* What a run writes besides its report: the capture, /metrics, snapshot and profiles. */
#ifndef BW_CLI_OUTPUT_H
#define BW_CLI_OUTPUT_H

#include "core/capture.h"
#include "platform/ksyms.h"
#include "cli/watch.h"

/* Size of stdout's buffer when it is not a terminal. */
#define STDOUT_BUFFER_BYTES (1 << 20)

/*
 * Gives f (stdout, once, before its first use) a STDOUT_BUFFER_BYTES buffer
 * when it is not a terminal: a report of a million goroutines is ~1 GB of
 * JSON, written in big pieces. Every report is flushed whole, so readers
 * still get each one at once; exit flushes the rest.
 */
void bw_buffer_stdout(FILE *f);

/* The capture of a live run: points into the watch's state. NULL when out of memory. */
struct bw_capture_go *live_capture(struct watch *w, struct bw_capture *c,
				   const struct bw_ksyms *ksyms, __u64 watched_ns);
/* Writes the snapshot of c to path whole or not at all; prints why it failed. */
int write_snapshot(const char *path, const struct bw_capture *c);
/* The exposition of the last scan's capture, handed to the /metrics server. */
void publish_metrics(struct watch *w, const struct bw_capture *c);
/* The profiles of a capture: pprof and folded stacks, where asked for (NULL: not). */
int write_profiles(const struct bw_capture *c, const char *pprof, const char *folded);

#endif
