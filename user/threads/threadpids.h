/* SPDX-License-Identifier: GPL-2.0 */
/* The distinct processes of a scan's threads. Pure. */
#ifndef BW_THREADPIDS_H
#define BW_THREADPIDS_H

#include <stddef.h>
#include <linux/types.h>
#include "core/model.h"

/*
 * The distinct pids of threads, in order of first appearance (the order the
 * Go scan probes them in): malloc'd, *npids of them; NULL when out of memory.
 */
__u32 *bw_thread_pids(const struct bw_thread *threads, size_t n, size_t *npids);

#endif
