// SPDX-License-Identifier: GPL-2.0
/*
 * Two threads take two mutexes in opposite orders (AB-BA): "ab-first" holds
 * lock_a and waits for lock_b, "ab-second" holds lock_b and waits for
 * lock_a. Both: deadlock, wait mutex, each the owner of the other's lock.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "announce.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *ab_first_thread(void *arg)
{
	pthread_mutex_lock(&lock_a);
	pthread_barrier_wait(&both_hold);
	announce("ab-first", "deadlock", "mutex", SYS_futex);
	pthread_mutex_lock(&lock_b);
	return NULL;
}

static void *ab_second_thread(void *arg)
{
	pthread_mutex_lock(&lock_b);
	pthread_barrier_wait(&both_hold);
	announce("ab-second", "deadlock", "mutex", SYS_futex);
	pthread_mutex_lock(&lock_a);
	return NULL;
}

int main(void)
{
	pthread_t first, second;

	pthread_barrier_init(&both_hold, NULL, 2);
	if (pthread_create(&first, NULL, ab_first_thread, NULL) ||
	    pthread_create(&second, NULL, ab_second_thread, NULL))
		announce_die("deadlock_pair: failed to create threads\n");
	pthread_setname_np(first, "ab-first");
	pthread_setname_np(second, "ab-second");
	announce_main_and_pause(2);
}
