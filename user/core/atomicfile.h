/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files written whole or not at all: a new temporary file beside the target
 * (created with O_EXCL, mode 0600, so a planted symlink is never followed),
 * renamed over it once complete and synced.
 */
#ifndef BW_ATOMICFILE_H
#define BW_ATOMICFILE_H

#include <stdio.h>

struct bw_atomic {
	FILE *f;
	char tmp[4096];
	char path[4096];
};

/* 0 or a negative errno; a->f is open for writing. */
int bw_atomic_open(struct bw_atomic *a, const char *path);
/* Flushes, syncs and renames into place; on error the temporary is removed. */
int bw_atomic_commit(struct bw_atomic *a);
/* Drops the temporary (after a failed write). */
void bw_atomic_abort(struct bw_atomic *a);

#endif
