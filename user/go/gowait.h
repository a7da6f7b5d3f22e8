/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What Go's own names say about a parked goroutine: its wait reason's
 * class, which frames are the machinery of a wait rather than the code that
 * waits, the parks that are normal, and the evidence of a verdict in words.
 * Pure: strings in, answers out.
 */
#ifndef BW_GOWAIT_H
#define BW_GOWAIT_H

#include <stdbool.h>
#include <stddef.h>
#include "core/gomodel.h"
#include "core/patterns.h"

/* Adds the built-in patterns of functions whose parked goroutines are normal. 0 or -ENOMEM. */
int bw_gobenign_add(struct bw_patterns *p);

/* The class of a wait reason (the runtime's name, "chan receive"); NULL is other. */
enum bw_gowait_class bw_gowait_class(const char *reason);

/* A frame of the machinery of a wait (runtime, internal/, sync, time.Sleep). */
bool bw_gowait_machinery(const char *func);
/* A function of the packages whose goroutines are the runtime's own housekeeping. */
bool bw_goruntime_package(const char *func);
/* A frame of taking a sync.Mutex or RWMutex. */
bool bw_golock_frame(const char *func);

/*
 * The evidence of a leak or deadlock verdict in words ("nil channel", "chan
 * 0x... reachable from no live goroutine or global"...), "" when none; as
 * snprintf.
 */
int bw_gowhy_text(const struct bw_goroutine *g, char *buf, size_t len);

#endif
