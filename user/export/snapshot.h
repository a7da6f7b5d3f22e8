/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Snapshot files: one consistent capture, as JSON lines. Self-describing
 * (a header names the format and its version), complete enough to render
 * the live report byte for byte, and closed by a trailer holding the record
 * count and a checksum, so truncation and corruption are told apart from a
 * valid file. Pure: reads and writes FILE *.
 */
#ifndef BW_SNAPSHOT_H
#define BW_SNAPSHOT_H

#include <stdio.h>
#include "core/capture.h"

#define BW_SNAPSHOT_FORMAT "blockwatch-snapshot"
/*
 * 2: every goroutine the scan recorded, with its verdict at any age
 * (verdict_any, why_any); 1 kept those with a verdict only. Both read.
 */
#define BW_SNAPSHOT_VERSION 2

int bw_snapshot_write(FILE *f, const struct bw_capture *c);
/*
 * Reads a snapshot into c (which then owns everything; bw_capture_free).
 * 0, or -EINVAL with a reason in err (not a snapshot, newer version,
 * truncated, checksum mismatch, bad record at line N).
 */
int bw_snapshot_read(FILE *f, struct bw_capture *c, char *err, size_t errlen);

#endif
