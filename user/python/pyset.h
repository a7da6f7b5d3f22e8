/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Python frames of the watched processes, once per scan: each process
 * whose unwound threads run CPython's eval loop is opened once (its
 * interpreter binary, layout and _PyRuntime, pyproc) and kept while it is
 * watched; at each scan its thread states are read once, tied to the threads
 * by native tid, and each thread's user stack shows its Python frames in
 * place of the eval loop (pymerge). The unwinder's frames stay in
 * native_ustack, for the inspector to reuse and free.
 *
 * A process it cannot read in Python's terms (a version without a layout, an
 * interpreter not found) keeps its C frames, said once on the notice stream.
 * Processes with no eval-loop frame on an unwound stack are never opened.
 */
#ifndef BW_PYSET_H
#define BW_PYSET_H

#include <stdio.h>
#include <stddef.h>
#include "core/model.h"

struct bw_pyset;

/* 0 or -ENOMEM. notices: where the one-line notices go (stderr), NULL for none. */
int bw_pyset__new(FILE *notices, struct bw_pyset **out);
/*
 * Merges the Python frames into threads[0..n) (one scan's, every thread of
 * each process in it). Frees the merged stacks of the previous scan: call
 * it after the threads that pointed at them are gone (the inspector's
 * update). Processes absent from threads are forgotten. 0 or -ENOMEM; a
 * process that cannot be read is not an error.
 */
int bw_pyset__scan(struct bw_pyset *ps, struct bw_thread *threads, size_t n);
/* Threads whose stack showed Python frames in the last scan. */
size_t bw_pyset__merged(const struct bw_pyset *ps);
void bw_pyset__free(struct bw_pyset *ps);

#endif
