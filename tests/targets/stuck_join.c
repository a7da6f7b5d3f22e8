// SPDX-License-Identifier: GPL-2.0
/*
 * "joiner" joins "cv-waiter", which waits forever on a condition variable
 * nobody signals. joiner: stuck, wait join, waits_for cv-waiter. cv-waiter:
 * stuck, wait condvar (no waker known, no proof of a leak either).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int done;

static void *cv_waiter_thread(void *arg)
{
	pthread_mutex_lock(&done_lock);
	announce("cv-waiter", "stuck", "condvar", SYS_futex);
	while (!done)
		pthread_cond_wait(&done_cond, &done_lock);
	pthread_mutex_unlock(&done_lock);
	return NULL;
}

static void *joiner_thread(void *arg)
{
	pthread_t waiter = *(pthread_t *)arg;

	announce("joiner", "stuck", "join", SYS_futex);
	pthread_join(waiter, NULL);
	return NULL;
}

int main(void)
{
	static pthread_t waiter;
	pthread_t joiner;

	if (pthread_create(&waiter, NULL, cv_waiter_thread, NULL) ||
	    pthread_create(&joiner, NULL, joiner_thread, &waiter))
		announce_die("stuck_join: failed to create threads\n");
	pthread_setname_np(waiter, "cv-waiter");
	pthread_setname_np(joiner, "joiner");
	announce_main_and_pause(2);
}
