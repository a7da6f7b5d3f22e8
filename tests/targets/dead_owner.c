// SPDX-License-Identifier: GPL-2.0
/*
 * "holder" locks a mutex and returns without unlocking it; once it is gone,
 * "locker" locks the same mutex and waits for ever: leak, wait mutex (the
 * mutex names an owner thread that no longer exists).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *holder_thread(void *arg)
{
	pthread_mutex_lock(&lock);
	return NULL; /* exits holding it */
}

static void *locker_thread(void *arg)
{
	announce("locker", "leak", "mutex", SYS_futex);
	pthread_mutex_lock(&lock);
	return NULL;
}

int main(void)
{
	pthread_t holder, locker;

	if (pthread_create(&holder, NULL, holder_thread, NULL))
		announce_die("dead_owner: failed to create threads\n");
	pthread_join(holder, NULL);
	if (pthread_create(&locker, NULL, locker_thread, NULL))
		announce_die("dead_owner: failed to create threads\n");
	pthread_setname_np(locker, "locker");
	announce_main_and_pause(1);
}
