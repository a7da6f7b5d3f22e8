// SPDX-License-Identifier: GPL-2.0
/*
 * Two waits on condition variables nobody signals, one long and one short:
 * "early-waiter" blocks at start, "late-waiter" 6 s later, right before
 * "ready". A scan at a threshold between the two (4 s) judges the early one
 * stuck and leaves the late one (blocked about as long as the run
 * watches) without a verdict: what a report of the snapshot with a lower
 * threshold must find again.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int signaled;

static void *waiter_thread(void *arg)
{
	const char *role = arg;

	pthread_mutex_lock(&lock);
	announce(role, !strcmp(role, "early-waiter") ? "stuck" : "none", "condvar", SYS_futex);
	while (!signaled)
		pthread_cond_wait(&never, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(void)
{
	pthread_t early, late;

	if (pthread_create(&early, NULL, waiter_thread, "early-waiter"))
		announce_die("late_waiter: failed to create a thread\n");
	pthread_setname_np(early, "early-waiter");
	announce_pause_ms(6000);
	if (pthread_create(&late, NULL, waiter_thread, "late-waiter"))
		announce_die("late_waiter: failed to create a thread\n");
	pthread_setname_np(late, "late-waiter");
	announce_main_and_pause(2);
}
