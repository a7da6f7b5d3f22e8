// SPDX-License-Identifier: GPL-2.0
/*
 * "nap-owner" takes a mutex and then loops on 100 ms sleeps without ever
 * releasing it: it wakes ten times a second, so it is never blocked past the
 * threshold and gets no record. "lock-waiter" waits for that mutex: blocked,
 * wait mutex, owner_tid nap-owner.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t owner_holds;

static void *nap_owner_thread(void *arg)
{
	pthread_mutex_lock(&lock);
	pthread_barrier_wait(&owner_holds);
	announce("nap-owner", "none", "none", SYS_NONE);
	for (;;)
		announce_pause_ms(100);
	return NULL;
}

static void *lock_waiter_thread(void *arg)
{
	pthread_barrier_wait(&owner_holds);
	announce("lock-waiter", "blocked", "mutex", SYS_futex);
	pthread_mutex_lock(&lock);
	return NULL;
}

int main(void)
{
	pthread_t owner, waiter;

	pthread_barrier_init(&owner_holds, NULL, 2);
	if (pthread_create(&owner, NULL, nap_owner_thread, NULL) ||
	    pthread_create(&waiter, NULL, lock_waiter_thread, NULL))
		announce_die("sleepy_holder: failed to create threads\n");
	pthread_setname_np(owner, "nap-owner");
	pthread_setname_np(waiter, "lock-waiter");
	announce_main_and_pause(2);
}
