/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --snapshot-dir: the files (core/autosnap.h decides when and which go),
 * and the write requests of the /metrics server, done by the main loop from
 * the last scan's capture.
 */
#ifndef BW_CLI_SNAPDIR_H
#define BW_CLI_SNAPDIR_H

#include <stddef.h>
#include <linux/types.h>
#include "cli/watch.h"

/* Makes dir when missing (mode 0700) and checks it can be written: 0 or a negative errno. */
int snapdir_prepare(const char *dir);
/* The token of --http-token FILE (trailing blanks cut) into *token: 0 or a negative errno. */
int snapdir_read_token(const char *path, char **token);
/* After a scan: a snapshot of each process due one (each logged, a failure too). */
void snapdir_after_scan(struct watch *w);
/* Does and answers every write request the /metrics server has queued. */
void snapdir_serve(struct watch *w);

#endif
