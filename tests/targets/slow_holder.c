// SPDX-License-Identifier: GPL-2.0
/*
 * "spin-owner" takes a mutex and then spins forever without releasing it:
 * it runs, so it gets no record. "lock-waiter" waits for that mutex behind a
 * holder that makes progress: blocked, wait mutex, owner_tid spin-owner.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t owner_holds;
static volatile unsigned long spins;

static void *spin_owner_thread(void *arg)
{
	pthread_mutex_lock(&lock);
	pthread_barrier_wait(&owner_holds);
	announce("spin-owner", "none", "none", SYS_NONE);
	for (;;)
		spins++;
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
	if (pthread_create(&owner, NULL, spin_owner_thread, NULL) ||
	    pthread_create(&waiter, NULL, lock_waiter_thread, NULL))
		announce_die("slow_holder: failed to create threads\n");
	pthread_setname_np(owner, "spin-owner");
	pthread_setname_np(waiter, "lock-waiter");
	announce_main_and_pause(2);
}
